"""The value rules behind `services.fields`: patterns, limits and pure checks (never raise).

`Fields` reads a record and says in French what is wrong on which field; the rules it
applies to one value are here, so that a check needed outside a record (an identifier
in a path, a stored web address) is the same one.
"""

import math
import re
import uuid
from urllib.parse import urlsplit

# Control characters a person never types; tab, line feed and carriage return are kept
# in multi-line text (a note), folded into spaces in one-line text (a name).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
PHONE_RE = re.compile(r"\+?[0-9 .\-()/]+")
PHONE_MAX = 40
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
EMAIL_MAX = 254
URL_MAX = 500
LANGUAGE_RE = re.compile(r"[a-z]{2}")
# A date and time without an offset, as a `datetime-local` field sends it.
LOCAL_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")
SIRET_RE = re.compile(r"[0-9]{14}")
POSTAL_CODE_RE = re.compile(r"(?:\d{5}|2[AB]\d{3})")
_INTEGER_TEXT = re.compile(r"\s*([+-]?)(\d+)\s*")
# Every whole number read from outside is bounded: PostgreSQL's integer by default.
INTEGER_MAX = 2**31 - 1
# A numeral longer than this is past every bound: it is read as ±10**18, never converted
# digit by digit (Python refuses more than 4,300 digits, and the conversion is quadratic).
_LONGEST_NUMERAL = 18
TRUE_WORDS = frozenset({"true", "1", "yes", "oui", "on", "vrai"})
FALSE_WORDS = frozenset({"false", "0", "no", "non", "off", "faux"})


def clean_text(value, *, multiline=False):
    """Return `value` trimmed (inner white space folded unless multi-line), or raise ValueError.

    ValueError when it holds a control character or an unpaired surrogate.
    """
    if has_forbidden_character(value):
        raise ValueError("forbidden character")
    if multiline:
        return value.strip()
    return " ".join(value.split())


def has_forbidden_character(text):
    """Tell whether `text` holds what no person types: a control character or a lone surrogate.

    Tab and line breaks are allowed. PostgreSQL refuses NUL, UTF-8 cannot encode surrogates.
    """
    return _FORBIDDEN.search(text) is not None


def is_web_address(text):
    """Tell whether `text` is an http(s) address with a host name (never raises)."""
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in host and " " not in text


def whole_number(value, *, strict):
    """Return `value` as an int when it is a whole number (a numeral in text if not strict)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    numeral = _INTEGER_TEXT.fullmatch(value) if isinstance(value, str) and not strict else None
    if numeral is None:
        return None
    sign, digits = numeral.groups()
    digits = digits.lstrip("0") or "0"
    magnitude = int(digits) if len(digits) <= _LONGEST_NUMERAL else 10**_LONGEST_NUMERAL
    return -magnitude if sign == "-" else magnitude


def parse_uuid(value):
    """Return `value` as a UUID, or None when it is not one (never raises).

    For identifiers in a path or a form: an id that is not a UUID names nothing (a 404).
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def one_of(choices):
    """Write the allowed values the French way: « a, b ou c »."""
    values = list(choices)
    if len(values) < 2:
        return ", ".join(values)
    return ", ".join(values[:-1]) + " ou " + values[-1]
