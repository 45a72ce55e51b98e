"""One injectable clock, so that frozen-clock tests also freeze what reaches the database."""

from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_frozen = None


def now():
    """Return the current time, timezone-aware UTC (or the frozen time in tests)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def frozen(at):
    """Freeze `now()` at `at` (an aware datetime) for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def local(dt):
    """Convert a stored UTC time to Europe/Paris for display."""
    return dt.astimezone(PARIS) if dt is not None else None
