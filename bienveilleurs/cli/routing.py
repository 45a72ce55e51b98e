"""`flask --app wsgi routing import FILE`: the walking network from an OpenStreetMap extract."""

import click
from flask.cli import AppGroup

from ..config import setting
from ..errors import DomainError
from .common import fail

group = AppGroup("routing", help="Réseau piéton (temps de marche).")


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def routing_import(path):
    """Build the walking network from FILE (.osm.pbf or .osm), replacing the previous one."""
    from ..services.routing.network import import_network
    click.echo(f"Lecture de {click.format_filename(path)}…")
    try:
        summary = import_network(path)
    except DomainError as exc:
        fail(exc)
    click.echo(f"Réseau piéton importé : {summary['nodes']} nœuds, {summary['edges']} tronçons "
               f"({summary['ways']} voies praticables à pied) en {summary['seconds']:.1f} s "
               f"(lecture du fichier : {summary['read_s']:.1f} s).")
    if summary["dropped_edges"]:
        click.echo(f"{summary['dropped_edges']} tronçons isolés du reste du réseau ont été "
                   "écartés (voies coupées au bord de l'extrait, allées fermées).")
    if setting("ROUTING") == "walk":
        click.echo("Les propositions sont maintenant classées par temps de marche.")
    else:
        click.echo("ROUTING=none : les propositions restent classées à vol d'oiseau tant que "
                   "ce réglage n'est pas ROUTING=walk.")
