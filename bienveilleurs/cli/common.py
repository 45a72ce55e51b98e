"""What the commands share: how a refused request is reported."""

import sys

import click


def fail(error):
    """Print a domain error (and each field's problem) on stderr, then exit with status 1."""
    click.echo(f"Erreur : {error.message}", err=True)
    for detail in error.details:
        click.echo(f"  - {detail.get('field')}: {detail.get('message')}", err=True)
    sys.exit(1)
