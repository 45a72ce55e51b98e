"""`flask --app wsgi demo …`: the fictitious Le Havre demonstration data."""

import sys

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
    """Print the demonstration accounts, their passwords and second-factor keys."""
    from ..models import Role
    from ..services import demo
    click.echo("Comptes de démonstration (données fictives) :")
    for email, role, password, secret in demo.present_accounts():
        click.echo(f"  {Role(role).label:<19} {email:<40} mot de passe : {password}")
        if secret:
            click.echo(f"  {'':<19} double authentification : clé {secret} (à ajouter dans une "
                       f"application d'authentification), ou le code du moment avec "
                       f"« flask --app wsgi demo code {email} »")


@group.command("code")
@click.argument("email")
def demo_code(email):
    """Print the code of the moment of a demo account's second factor (outside production)."""
    from flask import current_app

    from ..services import demo
    if current_app.config["ENV_NAME"] == "production":
        click.echo("Erreur : pas de code de démonstration en production.", err=True)
        sys.exit(1)
    code = demo.current_code(email)
    if code is None:
        click.echo(f"Erreur : {email} n'est pas un compte de démonstration avec double "
                   "authentification.", err=True)
        sys.exit(1)
    click.echo(code)
