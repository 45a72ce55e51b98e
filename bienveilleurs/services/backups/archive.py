"""`flask backup create DIR`: a consistent dump with its manifest, encrypted when asked.

The row counts of the manifest and the dump come from one snapshot: a REPEATABLE READ
transaction exports its snapshot, counts the rows, and `pg_dump --snapshot` dumps exactly
what it counted. The dump (custom format) is streamed through `age` to the public keys of
BACKUP_AGE_RECIPIENTS when set, so that no clear copy ever touches the disk; the private
key stays off the server, with whoever restores.
"""

import hashlib
import json
import os
import subprocess
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from ... import clock
from ...config import setting
from . import journal
from .tools import BackupError, database_url, libpq_args, require_tool

FORMAT = "bienveilleurs-backup/1"
CHUNK = 1 << 20


def user_tables(connection):
    """Tables of the application (PostGIS's own reference table excepted), by name."""
    return list(connection.execute(text(
        "select tablename from pg_tables where schemaname = 'public' "
        "and tablename <> 'spatial_ref_sys' order by tablename")).scalars())


def count_rows(connection, tables):
    return {table: connection.execute(text(f'select count(*) from "{table}"')).scalar()
            for table in tables}


def recipients():
    return [key.strip() for key in setting("BACKUP_AGE_RECIPIENTS").split(",") if key.strip()]


def create(directory):
    """Dump the database into `directory` with its manifest; return the manifest (a dict)."""
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    require_tool("pg_dump")
    keys = recipients()
    if keys:
        require_tool("age")
    journaled = journal.sync(directory)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    dump_name = f"bienveilleurs-{stamp}.dump" + (".age" if keys else "")
    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                connection.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = connection.execute(text("select pg_export_snapshot()")).scalar()
                taken_at = connection.execute(text("select now()")).scalar()
                revision = sorted(connection.execute(
                    text("select version_num from alembic_version")).scalars())
                counts = count_rows(connection, user_tables(connection))
                version = connection.execute(text("show server_version")).scalar()
                digests = _dump(snapshot, directory / dump_name, keys)
    finally:
        engine.dispose()
    manifest = {
        "format": FORMAT, "created_at": clock.now().isoformat(), "snapshot_at":
        taken_at.isoformat(), "revision": revision, "server_version": version,
        "dump": dump_name, "size": (directory / dump_name).stat().st_size,
        "sha256": digests["stored"], "plain_sha256": digests["plain"],
        "encryption": {"tool": "age", "recipients": keys} if keys else None,
        "tables": counts, "journal_entries": len(journal.read(journal.journal_path(directory))),
        "journal_added": journaled,
    }
    _write_json(directory / manifest_name(dump_name), manifest)
    return manifest


def manifest_name(dump_name):
    return dump_name.split(".dump", 1)[0] + ".json"


def _dump(snapshot, target, keys):
    """Run pg_dump on the snapshot into `target`, through age when keys are given."""
    url, env = libpq_args(database_url())
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
               f"--snapshot={snapshot}", f"--dbname={url}"]
    partial = target.with_name(target.name + ".partial")
    plain = hashlib.sha256()
    with open(partial, "wb") as out, tempfile.TemporaryFile() as errors:
        os.chmod(partial, 0o600)
        dump = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=env)
        encrypt = None
        if keys:
            encrypt = subprocess.Popen(["age", *[a for k in keys for a in ("-r", k)]],
                                       stdin=subprocess.PIPE, stdout=out, stderr=errors)
        sink = encrypt.stdin if encrypt else out
        for chunk in iter(lambda: dump.stdout.read(CHUNK), b""):
            plain.update(chunk)
            sink.write(chunk)
        failed = dump.wait() != 0
        if encrypt:
            encrypt.stdin.close()
            failed = encrypt.wait() != 0 or failed
        if failed:
            errors.seek(0)
            partial.unlink()
            raise BackupError("La sauvegarde a échoué : "
                              + errors.read().decode(errors="replace").strip()[-500:])
    partial.rename(target)
    return {"plain": plain.hexdigest(), "stored": file_sha256(target)}


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path, value):
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    partial.rename(path)


def prune(directory, *, keep_days):
    """Delete the backups older than `keep_days` (never the newest one, never the journal)."""
    directory = Path(directory)
    manifests = sorted(directory.glob("bienveilleurs-*.json"))
    limit = clock.now() - timedelta(days=keep_days)
    removed = []
    for path in manifests[:-1]:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        created = manifest.get("created_at")
        if created is None or datetime.fromisoformat(created) >= limit:
            continue
        (directory / manifest["dump"]).unlink(missing_ok=True)
        path.unlink()
        removed.append(manifest["dump"])
    return removed
