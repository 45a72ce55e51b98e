"""`flask backup restore FILE`: into an empty database, checked against the manifest, then
the journal of erasures replayed.

Refused before anything is written: a file whose checksum is not the manifest's, a schema
revision this code does not know (a backup of a newer version), a database that is not
empty. pg_restore runs in one transaction (all or nothing); then every table's row count
must be the manifest's, and the erasures journaled after the backup are applied again.
"""

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import create_engine

from . import journal
from .archive import CHUNK, FORMAT, count_rows, file_sha256, manifest_name, user_tables
from .tools import BackupError, database_url, libpq_args, require_tool


def locate(path):
    """Return (manifest, dump path) for a dump or a manifest path."""
    path = Path(path)
    manifest_path = path if path.suffix == ".json" else path.with_name(manifest_name(path.name))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"Manifeste illisible ou absent ({manifest_path.name}) : {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path.name} n'est pas un manifeste de sauvegarde.")
    return manifest, manifest_path.with_name(manifest["dump"])


def check(manifest, dump_path):
    """Refuse a dump that is not the one the manifest describes, or from a newer version."""
    if not dump_path.exists():
        raise BackupError(f"Le fichier de sauvegarde {dump_path.name} est absent.")
    if file_sha256(dump_path) != manifest["sha256"]:
        raise BackupError(f"{dump_path.name} ne correspond pas à son manifeste (somme de "
                          "contrôle différente) : fichier abîmé ou modifié, restauration refusée.")
    config = current_app.extensions["migrate"].migrate.get_config()
    scripts = ScriptDirectory.from_config(config)
    for revision in manifest["revision"]:
        try:
            known = scripts.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(f"La sauvegarde est à la révision {revision}, inconnue de cette "
                              "version de l'application : restaurez avec la version qui l'a faite.")


def restore(path, *, identity=None, journal_file=None):
    """Restore a backup into the (empty) database; return what was done (a dict)."""
    manifest, dump_path = locate(path)
    check(manifest, dump_path)
    require_tool("pg_restore")
    if manifest.get("encryption"):
        require_tool("age")
        if identity is None:
            raise BackupError("Cette sauvegarde est chiffrée : donnez la clé privée "
                              "(--identity FICHIER).")
    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            existing = user_tables(connection)
        if existing:
            raise BackupError(f"La base cible n'est pas vide ({len(existing)} table(s), dont "
                              f"{existing[0]}) : restaurez dans une base neuve.")
        _pg_restore(dump_path, manifest, identity)
        with engine.connect() as connection:
            found = count_rows(connection, user_tables(connection))
    finally:
        engine.dispose()
    if found != manifest["tables"]:
        wrong = sorted(t for t in set(found) | set(manifest["tables"])
                       if found.get(t) != manifest["tables"].get(t))
        raise BackupError("Les données restaurées ne correspondent pas au manifeste (tables : "
                          f"{', '.join(wrong[:5])}) : supprimez cette base et recommencez.")
    entries = journal.read(Path(journal_file) if journal_file
                           else journal.journal_path(dump_path.parent))
    erased, tombstones = journal.replay(entries)
    return {"tables": len(found), "rows": sum(found.values()), "revision": manifest["revision"],
            "snapshot_at": manifest["snapshot_at"], "journal": len(entries),
            "erased_again": erased, "tombstones_added": tombstones}


def _pg_restore(dump_path, manifest, identity):
    url, env = libpq_args(database_url())
    command = ["pg_restore", "--no-owner", "--no-privileges", "--no-comments",
               "--exit-on-error", "--single-transaction", f"--dbname={url}"]
    plain = hashlib.sha256()
    with tempfile.TemporaryFile() as errors, open(dump_path, "rb") as stored:
        source = stored
        decrypt = None
        if manifest.get("encryption"):
            decrypt = subprocess.Popen(["age", "--decrypt", "--identity", str(identity)],
                                       stdin=stored, stdout=subprocess.PIPE, stderr=errors)
            source = decrypt.stdout
        load = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=errors, stderr=errors,
                                env=env)
        try:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                plain.update(chunk)
                load.stdin.write(chunk)
        except BrokenPipeError:
            pass  # pg_restore stopped early: its status and messages say why
        load.stdin.close()
        failed = load.wait() != 0
        if decrypt is not None:
            failed = decrypt.wait() != 0 or failed
        if failed:
            errors.seek(0)
            raise BackupError("La restauration a échoué, rien n'a été écrit : "
                              + errors.read().decode(errors="replace").strip()[-500:])
    if plain.hexdigest() != manifest["plain_sha256"]:
        raise BackupError("Le contenu déchiffré ne correspond pas au manifeste.")
