"""`flask --app wsgi resources import|export`: the directory in the sector's file formats."""

import sys

import click
from flask.cli import AppGroup

from geo.geocoding import make_geocoder

from ..config import setting

group = AppGroup("resources", help="Import et export de l'annuaire des ressources.")

IMPORT_FORMATS = ("data-inclusion", "hsds", "geojson", "csv")
EXPORT_FORMATS = ("data-inclusion", "geojson", "csv")
MAX_LISTED = 200


class _Bar:
    """Adapt click.progressbar to the import's progress protocol (the total is known late)."""

    def __init__(self):
        self.bar = None

    def start(self, total):
        if total:
            self.bar = click.progressbar(length=total, label="Vérification", file=sys.stderr,
                                         show_pos=True)
            self.bar.__enter__()

    def advance(self, count):
        if self.bar is not None:
            self.bar.update(count)

    def finish(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@group.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", required=True, type=click.Choice(IMPORT_FORMATS),
              help="data-inclusion (JSON ou CSV, fichier, dossier ou zip), "
                   "hsds (datapackage.json), geojson ou csv.")
@click.option("--skip-invalid", is_flag=True,
              help="Importer les enregistrements valides et lister les autres "
                   "(sinon : tout ou rien).")
@click.option("--source", default=None, help="Nom de la source quand le fichier n'en donne pas.")
@click.option("--dry-run", is_flag=True, help="Tout vérifier et compter, sans rien enregistrer.")
def resources_import(path, fmt, skip_invalid, source, dry_run):
    """Import resources (and structures) from PATH."""
    from ..services.imports import import_path
    bar = _Bar()
    try:
        report = import_path(path, fmt, area=setting("SERVICE_AREA"),
                             skip_invalid=skip_invalid, dry_run=dry_run, source=source,
                             geocoder=make_geocoder(setting("GEOCODER_URL")), progress=bar)
    finally:
        bar.finish()
    for line in report.summary_lines():
        click.echo(line)
    for warning in report.warnings:
        click.echo(f"Avertissement : {warning}", err=True)
    if report.rejected:
        click.echo("Rejets :", err=True)
        for problem in report.rejected[:MAX_LISTED]:
            click.echo(f"  - {problem}", err=True)
        if len(report.rejected) > MAX_LISTED:
            click.echo(f"  … et {len(report.rejected) - MAX_LISTED} autre(s).", err=True)
    if report.unlocated:
        click.echo("Non localisées :")
        for item in report.unlocated[:MAX_LISTED]:
            click.echo(f"  - {item['file']}, {item['position']} — {item['name']} : {item['note']}")
        if len(report.unlocated) > MAX_LISTED:
            click.echo(f"  … et {len(report.unlocated) - MAX_LISTED} autre(s).")
    if report.stopped:
        sys.exit(1)


@group.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice(EXPORT_FORMATS))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Fichier de sortie (sinon la sortie standard).")
@click.option("--separator", default=",", type=click.Choice([",", ";"]),
              help="Séparateur du CSV (« ; » pour les tableurs réglés en français).")
@click.option("--structures", is_flag=True,
              help="data·inclusion : exporter les structures plutôt que les services.")
def resources_export(fmt, output, separator, structures):
    """Export the active resources."""
    from ..services.exports import export
    chunks, _, _ = export(fmt, separator=separator,
                          kind="structures" if structures else "services")
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
        click.echo(f"Export écrit dans {output}.", err=True)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)
