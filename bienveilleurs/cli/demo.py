"""`flask --app wsgi demo …`: the fictitious Le Havre demonstration data."""

import click
from flask.cli import AppGroup

group = AppGroup("demo", help="Données de démonstration (fictives) pour Le Havre.")


@group.command("load")
@click.option("--if-empty", is_flag=True,
              help="Ne rien faire si la base contient déjà des comptes.")
def demo_load(if_empty):
    """Load the Le Havre demonstration data (fictitious; idempotent)."""
    from ..services import demo
    summary = demo.load(if_empty=if_empty)
    if summary is None:
        click.echo("La base contient déjà des données : démonstration non chargée.")
        return
    click.echo("Données de démonstration chargées : " +
               ", ".join(f"{k} {v}" for k, v in summary.items()))


@group.command("accounts")
def demo_accounts():
    """Print the demonstration accounts and their passwords."""
    from ..models import Role
    from ..services import demo
    click.echo("Comptes de démonstration (données fictives) :")
    for email, role, password in demo.present_accounts():
        click.echo(f"  {Role(role).label:<19} {email:<40} mot de passe : {password}")
