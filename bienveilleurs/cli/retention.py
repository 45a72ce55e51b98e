"""`flask --app wsgi retention run`: anonymise and purge per the retention settings (cron)."""

import click
from flask.cli import AppGroup

from ..config import setting

group = AppGroup("retention", help="Conservation des données personnelles (RGPD).")


@group.command("run")
def retention_run():
    """Anonymise residents and relays past the retention period; purge old traces."""
    from ..services import privacy
    summary = privacy.run_retention()
    click.echo(f"Conservation : {setting('RETENTION_DAYS')} jours après le dernier contact, "
               f"journal des accès {setting('ACCESS_LOG_DAYS')} jours.")
    click.echo(f"Personnes anonymisées : {summary['residents_anonymised']} "
               f"(orientations clôturées : {summary['referrals_closed']})")
    click.echo(f"Bienveilleurs partis anonymisés : {summary['relays_anonymised']}")
    click.echo(f"Lignes du journal des accès purgées : {summary['access_log_purged']}")
    click.echo(f"Compteurs de connexion purgés : {summary['login_throttle_purged']}")
    click.echo(f"Notifications anciennes supprimées : {summary['notifications_purged']}")
