"""The journal of erasures: an append-only file beside the backups, so that a restored
backup never brings back a person who opposed after it was taken.

`BACKUP_DIR/erasures.jsonl` holds one line per erased person: `{"kind": "resident", "id":
…, "erased_at": …}`: identifiers and times only, nothing about the person. The job
`backups.erasure_journal` appends the new erasures every minute (and `flask backup create`
before each dump); a restore replays every line whose person is not erased in the restored
data. Erasures by the retention schedule are not journaled: they depend only on time, and
the next retention run redoes them.
"""

import fcntl
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from ...config import setting
from ...extensions import db
from ...models import ErasedId, Resident
from ..jobs import scheduled
from ..privacy import erase_resident
from ..referrals.scope import SYSTEM_ACTOR
from ..transaction import use_case

JOURNAL_NAME = "erasures.jsonl"


@dataclass(frozen=True)
class Entry:
    kind: str
    id: uuid.UUID
    erased_at: datetime


def journal_path(directory):
    return Path(directory) / JOURNAL_NAME


def read(path):
    """Return the journal's entries, once per person; a torn last line is left out."""
    entries = {}
    if not Path(path).exists():
        return []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                raw = json.loads(line)
                entry = Entry(raw["kind"], uuid.UUID(raw["id"]),
                              datetime.fromisoformat(raw["erased_at"]))
            except (ValueError, KeyError, TypeError):
                continue
            entries.setdefault(entry.id, entry)
    return list(entries.values())


def sync(directory):
    """Append the database's erasures that the journal lacks; return how many were added."""
    path = journal_path(directory)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one writer at a time on this machine
        known = {entry.id for entry in read(path)}
        rows = db.session.execute(select(ErasedId.id, ErasedId.erased_at)
                                  .where(ErasedId.kind == "resident")
                                  .order_by(ErasedId.erased_at, ErasedId.id)).all()
        added = [row for row in rows if row.id not in known]
        for row in added:
            handle.write(json.dumps({"kind": "resident", "id": str(row.id),
                                     "erased_at": row.erased_at.isoformat()}) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return len(added)


@scheduled("backups.erasure_journal", every=timedelta(minutes=1),
           label="Journal des effacements, à côté des sauvegardes")
def sync_journal():
    """Keep BACKUP_DIR's journal of erasures up to date (nothing without BACKUP_DIR)."""
    if not setting("BACKUP_DIR"):
        return {"sans_objet": "BACKUP_DIR n'est pas défini"}
    return {"ajoutés": sync(setting("BACKUP_DIR"))}


@use_case
def replay(entries):
    """Erase again, in restored data, each journaled person who is not erased there.

    A person created after the backup is not in it: their tombstone is still written, so
    that a late offline replay about them is refused. Returns (erased again, tombstones only).
    """
    erased, tombstones = 0, 0
    for entry in sorted(entries, key=lambda e: (e.erased_at, str(e.id))):
        resident = db.session.scalar(select(Resident).where(Resident.id == entry.id)
                                     .with_for_update())
        if resident is None:
            result = db.session.execute(
                insert(ErasedId).values(id=entry.id, kind="resident", erased_at=entry.erased_at)
                .on_conflict_do_nothing(index_elements=["id"]))
            tombstones += result.rowcount
        elif resident.erased_at is None:
            erase_resident(SYSTEM_ACTOR, entry.id, entry.erased_at)
            erased += 1
    return erased, tombstones
