"""What the directory's use cases share: ids from URLs, scoped rows, locks, saving, search
patterns."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from geo.points import stored_point

from ...errors import Conflict, NotFound
from ...extensions import db

DUPLICATE = "Un enregistrement identique existe déjà (même source et même identifiant)."


@dataclass
class Saved:
    """What a save did: the row, whether it was created, and a note for the person."""

    item: object
    created: bool
    note: str | None = None


def parse_uuid(value):
    """Return the UUID in ``value`` or raise NotFound (an unknown id in a URL is a 404)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def locked(model, row_id):
    """Load one row locked for update (only that table: its eager joins stay unlocked)."""
    return db.session.scalars(select(model).where(model.id == parse_uuid(row_id))
                              .with_for_update(of=model)).first()


def one_in(statement, model, row_id, *, lock=False, missing="Introuvable."):
    """The row `row_id` among those `statement` (a scoped select) finds, locked for update
    with `lock`; NotFound (`missing`) when it is not among them: out of scope is a 404."""
    statement = statement.where(model.id == parse_uuid(row_id))
    if lock:
        statement = statement.with_for_update(of=model).execution_options(populate_existing=True)
    row = db.session.scalar(statement)
    if row is None:
        raise NotFound(missing)
    return row


def lock_key(*parts):
    """Serialise writers of the same natural key until the transaction ends."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                       {"key": "\x1f".join(str(p) for p in parts)})


def flush_or(error=None):
    """Write the pending changes now; a unique key already taken raises ``error`` instead.

    The use case commits later (`use_case`); flushing here lets the violation surface
    inside it, where it can be said in French (a Conflict on the source key by default).
    """
    try:
        db.session.flush()
    except IntegrityError:
        raise (error or Conflict(DUPLICATE)) from None


def stored(point):
    """The column value of an optional (lon, lat) point."""
    return stored_point(*point) if point else None


def like_pattern(search):
    """An ILIKE pattern finding ``search`` anywhere, its own % and _ taken literally."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
