"""Why a proposal fits the person: the reasons of API.md (`fit`), the order, one line in French.

Reasons (`{"code", "value"}`), in this order:
- `audience`: the audience the resource serves that the person belongs to (when the
  person's audiences are known), else the audience it is meant for; none for « tous
  publics »;
- `full`: the resource says it is full (`saturation` `full`);
- `open_now` (true), or `opens_at` (the next opening, ISO time in the city's time zone,
  within a week) when closed;
- `language`: each language the resource shares with the person;
- `accessible`: accessible to people with reduced mobility.

The order of every list proposed (API.md, Matching): resources known to be full after all
the others; then by walking time when there is one (items without one after), else by
straight-line distance; ties by id.
"""

from datetime import datetime

from geo.hours import is_open, next_opening

from .. import clock
from .codes import audience_label, language_name

EVERYONE = "tous-publics"
FULL = "full"
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def is_full(item):
    return item.get("saturation") == FULL


def order_key(item, *, walking):
    """The sort key of API.md's order: full last, then walk (nulls after) or distance, then id."""
    if walking:
        walk = item.get("walk_s")
        return (is_full(item), walk is None, walk or 0, item["id"])
    return (is_full(item), item["distance_m"], item["id"])


def _opening(expression, at, tz):
    """Return (open now or None, next opening within a week or None), never raising."""
    if not expression:
        return None, None
    try:
        now = is_open(expression, at, tz=tz)
        later = next_opening(expression, at, tz=tz) if now is False else None
    except ValueError:
        return None, None
    return now, later


def reasons(item, *, audiences, languages, at, tz):
    """Return the `fit` list of a resource item (a matching dict) for this person.

    `audiences` and `languages` are the person's (empty when unknown); `at` an aware time.
    Also sets the item's `open_now`, from the same evaluation.
    """
    fit = []
    specific = [a for a in item.get("audiences") or [] if a != EVERYONE]
    shared = [a for a in specific if a in set(audiences)] if audiences else specific
    if shared:
        fit.append({"code": "audience", "value": shared[0]})
    if is_full(item):
        fit.append({"code": "full", "value": True})
    open_now, opens_at = _opening(item.get("opening_hours"), at, tz)
    item["open_now"] = open_now
    if open_now:
        fit.append({"code": "open_now", "value": True})
    elif opens_at is not None:
        fit.append({"code": "opens_at", "value": opens_at.isoformat()})
    wanted = set(languages)
    fit.extend({"code": "language", "value": code}
               for code in item.get("languages") or [] if code in wanted)
    if item.get("accessible"):
        fit.append({"code": "accessible", "value": True})
    return fit


def _hour(moment):
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def _when(opens_at, now):
    """« aujourd'hui à 14 h », « demain à 9 h », « lundi à 9 h 30 » (the city's time)."""
    days = (opens_at.date() - now.astimezone(opens_at.tzinfo).date()).days
    day = {0: "aujourd'hui", 1: "demain"}.get(days, WEEKDAYS[opens_at.weekday()])
    return f"{day} à {_hour(opens_at)}"


def _audience_words(code):
    label = audience_label(code)
    return "pour les " + label[:1].lower() + label[1:]


def distance_words(walk_s, distance_m):
    """« 12 min à pied », or « 850 m à vol d'oiseau » when no walk is known."""
    if walk_s is not None:
        minutes = max(1, round(walk_s / 60))
        if minutes < 60:
            return f"{minutes} min à pied"
        return f"{minutes // 60} h {minutes % 60:02d} à pied"
    if distance_m is None:
        return ""
    if distance_m < 1000:
        return f"{int(round(distance_m))} m à vol d'oiseau"
    return f"{distance_m / 1000:.1f} km à vol d'oiseau".replace(".", ",")


def describe(item, *, now=None, timeless=False, distance=True):
    """One line saying why a proposal fits: « pour les séniors · ouvert demain à 9 h ·
    12 min à pied ». `timeless` leaves out what changes with the hour (a printed page);
    `distance=False`, the distance (shown apart)."""
    now = now or clock.now()
    parts = []
    for reason in item.get("fit") or []:
        code, value = reason["code"], reason["value"]
        if code == "audience":
            parts.append(_audience_words(value))
        elif code == "full":
            parts.append("complet")
        elif code == "open_now" and not timeless:
            parts.append("ouvert maintenant")
        elif code == "opens_at" and not timeless:
            parts.append("ouvert " + _when(datetime.fromisoformat(value), now))
        elif code == "language" and value != "fr":
            parts.append("parle " + language_name(value))
        elif code == "accessible":
            parts.append("accessible en fauteuil")
    far = distance_words(item.get("walk_s"), item.get("distance_m")) if distance else ""
    if far:
        parts.append(far)
    return " · ".join(parts)
