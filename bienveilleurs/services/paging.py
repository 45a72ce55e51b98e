"""Lists shown a page at a time, by keyset: « suivants » continues after the last row shown.

A page is the rows that follow a key (the order's columns of the last row of the previous
page), never an OFFSET: page 40 costs what page 1 costs when an index matches the order,
and a row that leaves the list (assigned, closed) moves no other row to another page.

- `keyset_page(statement, order, after=, size=)`: one page of a select() as a `Page`;
- `PageKey`: the key of a page in a list ordered by a moment then an id (the referrals'
  lists, by their last move), read from the query string with `read_key`; `NameKey` and
  `read_name_key` for a list ordered by a name then an id (territories); `StatusKey` and
  `read_status_key` for a list ordered by status, then a moment and an id (a board);
- `PAGE_SIZE`: the rows of a page when the caller names none;
- `without_jit()`: before a page's statement whose cost PostgreSQL overestimates.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text, tuple_

from ..extensions import db
from .fields import QueryFields

PAGE_SIZE = 25


class Page(list):
    """The rows of one page (a list), and `after`: the key of the next page, or None."""

    def __init__(self, rows, after=None):
        super().__init__(rows)
        self.after = after


@dataclass(frozen=True)
class PageKey:
    """Where a page starts in a list ordered by (moment, id): after this row."""

    at: datetime
    id: uuid.UUID

    def query_args(self):
        """The query string of the page that starts here (see `read_key`)."""
        return {"depuis": self.at.isoformat(), "apres": str(self.id)}


def without_jit():
    """Turn PostgreSQL's JIT compilation off for the rest of the transaction.

    A page's statement walks an index until its few rows are found, but the planner prices
    it as the whole walk (a LIMIT over a merge or a LATERAL join it cannot bound): above
    `jit_above_cost` it compiles the statement first, which took longer (about 50 ms at a
    country's size) than running it. Only inside a transaction (the pages' reads are).
    """
    db.session.execute(text("SET LOCAL jit = off"))


def read_key(args):
    """Return the PageKey in a query string or form (`depuis`, `apres`), or None (the first
    page); 400/422 through the fields rules when one is there without the other or wrong."""
    fields = QueryFields(args)
    at = fields.datetime("depuis", label="Le début de la page")
    row = fields.uuid("apres", label="La ligne précédant la page")
    if (at is None) != (row is None) and fields.ok:
        fields.fail("depuis" if at is None else "apres",
                    "La page est désignée par « depuis » et « apres » ensemble.")
    fields.done()
    return PageKey(at, row) if at is not None else None


@dataclass(frozen=True)
class NameKey:
    """Where a page starts in a list ordered by (name, id): after this row."""

    name: str
    id: uuid.UUID

    def query_args(self):
        return {"apres_nom": self.name, "apres": str(self.id)}


def read_name_key(args):
    """Return the NameKey in a query string (`apres_nom`, `apres`), or None (the first
    page)."""
    fields = QueryFields(args)
    name = fields.text("apres_nom", label="Le nom précédant la page", max_length=200)
    row = fields.uuid("apres", label="La ligne précédant la page")
    if (name is None) != (row is None) and fields.ok:
        fields.fail("apres_nom" if name is None else "apres",
                    "La page est désignée par « apres_nom » et « apres » ensemble.")
    fields.done()
    return NameKey(name, row) if name is not None else None


@dataclass(frozen=True)
class StatusKey:
    """Where a page starts in a list ordered by status (in an order of the list's own), then
    by a moment and an id: after this row (a campaign's board)."""

    status: str
    at: datetime
    id: uuid.UUID

    def query_args(self):
        return {"statut": self.status, "depuis": self.at.isoformat(), "apres": str(self.id)}


def read_status_key(args, statuses):
    """Return the StatusKey in a query string or form (`statut`, `depuis`, `apres`, the
    status one of `statuses`), or None (the first page)."""
    fields = QueryFields(args)
    values = {"statut": fields.choice("statut", statuses, label="Le statut de la page"),
              "depuis": fields.datetime("depuis", label="Le début de la page"),
              "apres": fields.uuid("apres", label="La ligne précédant la page")}
    missing = [name for name, value in values.items() if value is None]
    if 0 < len(missing) < len(values) and fields.ok:
        fields.fail(missing[0], "La page est désignée par « statut », « depuis » et « apres » "
                                "ensemble.")
    fields.done()
    return StatusKey(*values.values()) if not missing else None


def keyset_page(statement, order, *, after=None, key=None, size=PAGE_SIZE, entities=True):
    """Return the `size` rows of `statement` (ORM entities, else plain rows) after `after`
    in `order`.

    `order` are the columns the list is sorted on, ascending, the last one unique (an id);
    `after` their values in the last row of the previous page (None: the first page);
    `key(row)` gives them for a row, so that the Page can name its next page.
    One statement: it asks for one row more than shown to know whether a next page exists.
    """
    if after is not None:
        statement = statement.where(tuple_(*order) > tuple_(*after))
    statement = statement.order_by(*order).limit(size + 1)
    rows = (db.session.scalars(statement) if entities else db.session.execute(statement)).all()
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, key(rows[-1]) if more and key is not None else None)
