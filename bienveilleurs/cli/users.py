"""`flask --app wsgi users …`: accounts and API tokens."""

import sys

import click
from flask.cli import AppGroup

from ..errors import DomainError
from ..models import ROLE_VALUES
from .common import fail

group = AppGroup("users", help="Comptes et jetons d'API.")


@group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLE_VALUES))
@click.option("--password", help="Mot de passe (au moins 12 caractères).")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard.")
@click.option("--name", "display_name", default="", help="Nom affiché.")
@click.option("--structure", "structure_ids", multiple=True,
              help="Structure (travailleur social).")
@click.option("--territory", "territory_ids", multiple=True,
              help="Territoire (coordinateur) : son code ou son identifiant ; répétable.")
def users_create(email, role, password, password_stdin, display_name, structure_ids,
                 territory_ids):
    """Create an account."""
    from ..services import accounts, territories
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        click.echo("Erreur : indiquez --password ou --password-stdin.", err=True)
        sys.exit(2)
    try:
        user = accounts.create_user(email, role=role, password=password,
                                    display_name=display_name,
                                    territory_ids=territories.territory_ids_named(territory_ids),
                                    structure_ids=structure_ids)
    except DomainError as exc:
        fail(exc)
    click.echo(f"Compte créé : {user.email} ({user.role}), id {user.id}")


@group.command("token")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Révoquer tous les jetons de ce compte.")
@click.option("--label", default="", help="Libellé du jeton.")
def users_token(email, revoke, label):
    """Issue an API token (printed alone on the last line), or revoke the account's tokens."""
    from ..services import accounts
    try:
        if revoke:
            count = accounts.revoke_tokens(email)
            click.echo(f"{count} jeton(s) révoqué(s) pour {email}.")
            return
        token = accounts.issue_token(email, label=label)
    except DomainError as exc:
        fail(exc)
    click.echo("Jeton créé. Il ne sera plus jamais affiché ; conservez-le en lieu sûr :", err=True)
    click.echo(token)


@group.command("reset-2fa")
@click.argument("email")
def users_reset_two_factor(email):
    """Turn off the second factor of an account that lost its phone and recovery codes."""
    from ..services import two_factor
    try:
        user = two_factor.reset(email)
    except DomainError as exc:
        fail(exc)
    click.echo(f"Double authentification réinitialisée pour {user.email} ; ses sessions sont "
               "fermées." + (" Elle l'activera de nouveau à sa prochaine connexion."
                             if user.two_factor_required else ""))
