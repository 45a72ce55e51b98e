"""`flask --app wsgi referrals …`: the expiry job for referrals with no answer (for cron)."""

import click
from flask import current_app
from flask.cli import AppGroup

referrals_cli = AppGroup("referrals", help="Orientations : relances et expirations.")


@referrals_cli.command("expire")
def expire():
    """Send back referrals with no answer from the resource (idempotent, for cron)."""
    from .services import referrals
    count = referrals.expire_referrals()
    days = current_app.config.get("REFERRAL_EXPIRY_DAYS", 14)
    click.echo(f"{count} orientation(s) sans réponse depuis {days} jours renvoyée(s) "
               "à la coordination.")
