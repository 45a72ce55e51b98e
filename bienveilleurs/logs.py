"""No personal data in the application log.

A database error carries the values it was given: SQLAlchemy prints the bound parameters
(the engine is built with `hide_parameters=True`, see config), and PostgreSQL's DETAIL line
repeats the failing row ("Failing row contains (…, Mireille, 06…)") or the key. Other
exceptions may quote what was typed. So every log record is made safe when it is created,
before any handler (file, console, a test's capture) sees it:

- an exception attached to the record (`log.exception`, `exc_info=`) is written as its
  traceback (files, lines, functions: code, never values) with, for each exception of the
  chain, its type and only what is known to hold no data: a database error's SQLSTATE,
  constraint, table and column, and its first line when that class of error never quotes a
  value; a system error's number and text;
- an exception passed as an argument of the message gets the same treatment;
- the development server's request lines lose their query string.

Our own log calls name accounts, identifiers and counts, never a resident's data.
"""

import logging
import re
import traceback

MARK = "_bienveilleurs_safe"
WITHHELD = "message non journalisé (il peut contenir des données personnelles)"
# Messages of these types name code, not values.
SAFE_TYPES = (AttributeError, NameError, ImportError, NotImplementedError, RecursionError)
# SQLSTATE classes whose first line never quotes a value: integrity (the values are on the
# DETAIL line), connection, insufficient resources, operator intervention, rollback.
SAFE_SQLSTATE_CLASSES = ("23", "08", "53", "57", "40")
QUERY_STRING = re.compile(r"(\s/[^\s?]*)\?\S*")


def _database_error(exc):
    """The DBAPI error behind `exc` (SQLAlchemy wraps it as `.orig`), or None."""
    inner = getattr(exc, "orig", None) or exc
    return inner if hasattr(inner, "sqlstate") and hasattr(inner, "diag") else None


def _database_text(error):
    diag = error.diag
    sqlstate = error.sqlstate or diag.sqlstate or ""
    parts = [f"sqlstate={sqlstate or '?'}"]
    for name in ("constraint_name", "table_name", "column_name"):
        value = getattr(diag, name, None)
        if value:
            parts.append(f"{name.split('_')[0]}={value}")
    if sqlstate[:2] in SAFE_SQLSTATE_CLASSES or not sqlstate:
        first = (diag.message_primary or str(error)).splitlines()
        if first and (sqlstate or "connection" in first[0]):
            parts.append(first[0][:300])
    return " ".join(parts)


def safe_text(exc):
    """What may be logged of one exception: its type and a message free of data."""
    name = type(exc).__qualname__
    database = _database_error(exc)
    if database is not None:
        return f"{name} ({type(database).__qualname__}): {_database_text(database)}"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{name}: [Errno {exc.errno}] {exc.strerror}"
    if isinstance(exc, SAFE_TYPES):
        return f"{name}: {exc}"
    return f"{name}: {WITHHELD}"


def safe_traceback(exc):
    """The traceback of `exc` and of the exceptions it came from, without their messages."""
    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    blocks = []
    for exc in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        blocks.append(f"Traceback (most recent call last):\n{frames}{safe_text(exc)}")
    return "\n\nThe above exception led to the following one:\n\n".join(blocks)


def make_safe(record):
    """Rewrite a log record so that it carries no value taken from data; return it."""
    if getattr(record, MARK, False):
        return record
    setattr(record, MARK, True)
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = safe_traceback(record.exc_info[1])
        record.exc_info = None
    if isinstance(record.msg, BaseException):
        record.msg = safe_text(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_safe_arg(record.name, a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _safe_arg(record.name, v) for k, v in record.args.items()}
    return record


def _safe_arg(logger_name, value):
    if isinstance(value, BaseException):
        return safe_text(value)
    if logger_name == "werkzeug" and isinstance(value, str):
        return QUERY_STRING.sub(r"\1?…", value)
    return value


def install():
    """Make every log record of this process safe at its creation (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, MARK, False):
        return

    def factory(*args, **kwargs):
        return make_safe(current(*args, **kwargs))

    setattr(factory, MARK, True)
    logging.setLogRecordFactory(factory)
