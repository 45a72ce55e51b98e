"""Command-line interface: `flask --app wsgi …` (see shared API.md, "Command line")."""

import sys

import click
from flask.cli import AppGroup

from .errors import DomainError

users_cli = AppGroup("users", help="Comptes et jetons d'API.")
demo_cli = AppGroup("demo", help="Données de démonstration (fictives) pour Le Havre.")
territories_cli = AppGroup("territories", help="Territoires (quartiers).")


def _fail(error):
    click.echo(f"Erreur : {error.message}", err=True)
    for detail in error.details:
        click.echo(f"  - {detail.get('field')}: {detail.get('message')}", err=True)
    sys.exit(1)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "relay", "social_worker"]))
@click.option("--password", help="Mot de passe (au moins 12 caractères).")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard.")
@click.option("--name", "display_name", default="", help="Nom affiché.")
@click.option("--structure", "structure_ids", multiple=True, help="Structure (travailleur social).")
@click.option("--territory", "territory_ids", multiple=True, help="Territoire (coordinateur), répétable.")
def users_create(email, role, password, password_stdin, display_name, structure_ids, territory_ids):
    """Create an account."""
    from .services import accounts
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        click.echo("Erreur : indiquez --password ou --password-stdin.", err=True)
        sys.exit(2)
    try:
        user = accounts.create_user(email, role=role, password=password, display_name=display_name,
                                    territory_ids=territory_ids, structure_ids=structure_ids)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Compte créé : {user.email} ({user.role}), id {user.id}")


@users_cli.command("token")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Révoquer tous les jetons de ce compte.")
@click.option("--label", default="", help="Libellé du jeton.")
def users_token(email, revoke, label):
    """Issue an API token (printed alone on the last line), or revoke the account's tokens."""
    from .services import accounts
    try:
        if revoke:
            count = accounts.revoke_tokens(email)
            click.echo(f"{count} jeton(s) révoqué(s) pour {email}.")
            return
        token = accounts.issue_token(email, label=label)
    except DomainError as exc:
        _fail(exc)
    click.echo("Jeton créé. Il ne sera plus jamais affiché ; conservez-le en lieu sûr :", err=True)
    click.echo(token)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Ne rien faire si la base contient déjà des comptes.")
def demo_load(if_empty):
    """Load the Le Havre demonstration data (fictitious; idempotent)."""
    from .services import demo
    summary = demo.load(if_empty=if_empty)
    if summary is None:
        click.echo("La base contient déjà des données : démonstration non chargée.")
        return
    click.echo("Données de démonstration chargées : " +
               ", ".join(f"{k} {v}" for k, v in summary.items()))


@demo_cli.command("accounts")
def demo_accounts():
    """Print the demonstration accounts and their passwords."""
    from .services import demo
    click.echo("Comptes de démonstration (données fictives) :")
    for email, role, password in demo.present_accounts():
        click.echo(f"  {role:<14} {email:<40} mot de passe : {password}")


@territories_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def territories_import(path):
    """Create or update territories from a GeoJSON file (properties `name`, optional `code`)."""
    from .services.territories import import_territories
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        summary = import_territories(data)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"Territoires : {summary['created']} créé(s), {summary['updated']} mis à jour.")


def register_cli(app):
    for group in (users_cli, demo_cli, territories_cli):
        app.cli.add_command(group)
    from .cli_privacy import retention_cli
    app.cli.add_command(retention_cli)
    from .cli_notifications import notifications_cli
    app.cli.add_command(notifications_cli)
    from .cli_resources import resources_cli
    app.cli.add_command(resources_cli)
    from .cli_referrals import referrals_cli
    app.cli.add_command(referrals_cli)
