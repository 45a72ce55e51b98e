"""`flask --app wsgi notifications …`: deliver the outbox, enqueue the daily digest."""

import time

import click
from flask.cli import AppGroup

group = AppGroup("notifications", help="Notifications par e-mail (file d'envoi).")


@group.command("send")
@click.option("--loop", is_flag=True,
              help="Recommencer sans fin (sinon une seule passe, pour cron).")
@click.option("--interval", default=30, show_default=True,
              help="Secondes entre deux passes (--loop).")
@click.option("--limit", type=int, default=None,
              help="Au plus ce nombre de messages par passe.")
def send(loop, interval, limit):
    """Deliver due pending notifications (idempotent; several senders may run at once)."""
    from ..services import notifications
    while True:
        summary = notifications.send_pending(limit=limit)
        if "not_configured" in summary:
            click.echo(f"SMTP_URL est vide : {summary['not_configured']} notification(s) "
                       "conservée(s), rien n'est envoyé.")
        else:
            click.echo(f"Notifications : {summary['sent']} envoyée(s), "
                       f"{summary['retry']} à réessayer, {summary['failed']} en échec.")
        if not loop:
            return
        time.sleep(max(1, interval))


@group.command("digest")
def digest():
    """Enqueue today's digest for each coordinator (idempotent per day); `send` delivers it."""
    from ..services import digest as digest_service
    summary = digest_service.enqueue_daily_digests()
    click.echo(f"Résumés : {summary['queued']} ajouté(s) à la file, {summary['empty']} sans objet, "
               f"{summary['already']} déjà préparé(s) aujourd'hui.")
