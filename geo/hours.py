"""Check and evaluate OpenStreetMap ``opening_hours`` expressions.

Parsing and evaluation are delegated to opening-hours-py (the Python binding of the
opening-hours Rust crate), which knows the full OSM grammar and the French public
holiday calendar; this module only adds French messages and the city's clock (Europe/Paris
unless told otherwise).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours

from geo.errors import GeoError

PARIS = ZoneInfo("Europe/Paris")
FIELD = "opening_hours"

# OpenStreetMap caps tag values at 255 characters; longer text would not round-trip to
# OSM or to data·inclusion exports.
MAX_LENGTH = 255

_EXAMPLE = "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off"


def validate_opening_hours(expr: object) -> None:
    """Raise GeoError(field="opening_hours") unless ``expr`` is a valid OSM expression."""
    if not isinstance(expr, str) or not expr.strip():
        raise GeoError(
            f"Les horaires d'ouverture doivent être renseignés au format OpenStreetMap "
            f"(exemple : « {_EXAMPLE} »).",
            field=FIELD,
        )
    if len(expr) > MAX_LENGTH:
        raise GeoError(
            f"Les horaires d'ouverture ne doivent pas dépasser {MAX_LENGTH} caractères.",
            field=FIELD,
        )
    if _parse(expr) is None:
        raise GeoError(
            "Les horaires d'ouverture ne sont pas au format OpenStreetMap. Exemple : "
            f"« {_EXAMPLE} » (jours en anglais abrégés : Mo, Tu, We, Th, Fr, Sa, Su ; "
            "PH pour les jours fériés).",
            field=FIELD,
        )


def is_open(
    expr: str | None,
    at: datetime,
    *,
    lon: float | None = None,
    lat: float | None = None,
    tz: ZoneInfo = PARIS,
) -> bool | None:
    """Tell whether ``expr`` is open at the aware datetime ``at``, in the local time of ``tz``.

    Returns None when the expression is missing, unparseable, or says "unknown".
    Give ``lon``/``lat`` for exact sunrise and sunset times; without them the library
    uses fixed times.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("is_open needs a timezone-aware datetime")
    if not isinstance(expr, str) or not expr.strip():
        return None
    coords = (lat, lon) if lat is not None and lon is not None else None
    parsed = _parse(expr, coords=coords, tz=tz)
    if parsed is None:
        return None
    # The library only understands zoneinfo timezones, and converting from an instant
    # never lands on a local time skipped by the spring change.
    return _state(parsed, at.astimezone(tz))


def _state(parsed, local):
    try:
        state, _comment = parsed.state(local)
    except (TypeError, ValueError, OverflowError):
        return None
    if state == opening_hours.State.OPEN:
        return True
    if state == opening_hours.State.CLOSED:
        return False
    return None


def next_opening(
    expr: str | None, at: datetime, *, within: timedelta = timedelta(days=7), tz: ZoneInfo = PARIS
) -> datetime | None:
    """Return when ``expr``, closed at ``at``, opens next (local time of ``tz``), if that is
    known and no later than ``within``; None when open, unknown, or opening later."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("next_opening needs a timezone-aware datetime")
    if not isinstance(expr, str) or not expr.strip():
        return None
    parsed = _parse(expr, coords=None, tz=tz)
    local = at.astimezone(tz)
    if parsed is None or _state(parsed, local) is not False:
        return None
    try:
        change = parsed.next_change(local)
    except (TypeError, ValueError, OverflowError):
        return None
    if change is None or change - local > within or _state(parsed, change) is not True:
        return None
    return change.astimezone(tz)


@lru_cache(maxsize=4096)
def _parse(
    expr: str, *, coords: tuple[float, float] | None = None, tz: ZoneInfo = PARIS
) -> opening_hours.OpeningHours | None:
    """Return the parsed expression for France and the time zone, or None if it is invalid.

    Kept in a bounded cache: a directory repeats a few hundred distinct expressions, and a
    matching call evaluates one per row returned.
    """
    try:
        return opening_hours.OpeningHours(expr, timezone=tz, country="FR", coords=coords)
    except (opening_hours.ParserError, SyntaxError, ValueError, TypeError):
        return None
