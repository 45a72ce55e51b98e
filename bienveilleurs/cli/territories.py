"""`flask --app wsgi territories import FILE.geojson`: neighbourhoods from polygons."""

import click
from flask.cli import AppGroup

from ..errors import DomainError
from .common import fail

group = AppGroup("territories", help="Territoires (quartiers).")


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def territories_import(path):
    """Create or update territories from a GeoJSON file (properties `name`, optional `code`)."""
    from ..services.territories import import_territories
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        summary = import_territories(data)
    except DomainError as exc:
        fail(exc)
    click.echo(f"Territoires : {summary['created']} créé(s), {summary['updated']} mis à jour.")
