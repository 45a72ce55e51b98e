"""`flask --app wsgi backup …`: create a backup, restore one, delete old ones (docs/deploy.md)."""

import sys

import click
from flask.cli import AppGroup

group = AppGroup("backup", help="Sauvegardes de la base (et leur restauration).")


def _refused(error):
    click.echo(f"Erreur : {error.message}", err=True)
    sys.exit(1)


@group.command("create")
@click.argument("directory", type=click.Path(file_okay=False))
def create(directory):
    """Dump the database into DIRECTORY with its manifest (encrypted to BACKUP_AGE_RECIPIENTS)."""
    from ..services import backups
    try:
        manifest = backups.create(directory)
    except backups.BackupError as error:
        _refused(error)
    rows = sum(manifest["tables"].values())
    click.echo(f"Sauvegarde {manifest['dump']} : {len(manifest['tables'])} tables, {rows} lignes, "
               f"{manifest['size']} octets, révision {', '.join(manifest['revision'])}"
               + (", chiffrée (age)" if manifest["encryption"] else ", NON chiffrée") + ".")
    click.echo(f"Journal des effacements : {manifest['journal_entries']} personne(s) "
               f"({manifest['journal_added']} ajoutée(s)).")


@group.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--identity", type=click.Path(exists=True, dir_okay=False),
              help="Clé privée age (sauvegarde chiffrée).")
@click.option("--journal", "journal_file", type=click.Path(exists=True, dir_okay=False),
              help="Journal des effacements (par défaut : erasures.jsonl à côté de FILE).")
def restore(file, identity, journal_file):
    """Restore FILE (a dump or its manifest) into the empty database, check it, replay erasures."""
    from ..services import backups
    try:
        done = backups.restore(file, identity=identity, journal_file=journal_file)
    except backups.BackupError as error:
        _refused(error)
    click.echo(f"Restauré : {done['tables']} tables, {done['rows']} lignes, conformes au "
               f"manifeste (révision {', '.join(done['revision'])}, instantané du "
               f"{done['snapshot_at']}).")
    click.echo(f"Effacements rejoués : {done['erased_again']} personne(s) effacée(s) de nouveau, "
               f"{done['tombstones_added']} pierre(s) tombale(s) ajoutée(s) "
               f"(journal : {done['journal']}).")
    click.echo("Ensuite : flask --app wsgi db upgrade, puis démarrez l'application.")


@group.command("prune")
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
@click.option("--keep-days", type=click.IntRange(min=1), default=35, show_default=True,
              help="Garder les sauvegardes plus récentes que ce nombre de jours.")
def prune(directory, keep_days):
    """Delete backups older than --keep-days (never the newest one, never the journal)."""
    from ..services import backups
    removed = backups.prune(directory, keep_days=keep_days)
    click.echo(f"{len(removed)} sauvegarde(s) supprimée(s)"
               + (f" : {', '.join(removed)}" if removed else "."))
