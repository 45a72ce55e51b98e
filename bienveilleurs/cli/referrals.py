"""`flask --app wsgi referrals …`: the expiry job for referrals with no answer (for cron)."""

import click
from flask.cli import AppGroup

from ..config import setting

group = AppGroup("referrals", help="Orientations : relances et expirations.")


@group.command("expire")
def expire():
    """Send back referrals with no answer from the resource (idempotent, for cron)."""
    from ..services import referrals
    count = referrals.expire_referrals()
    days = setting("REFERRAL_EXPIRY_DAYS")
    click.echo(f"{count} orientation(s) sans réponse depuis {days} jours renvoyée(s) "
               "à la coordination.")
