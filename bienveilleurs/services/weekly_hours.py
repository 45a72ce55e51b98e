"""Plain weekly opening hours: read the common subset of OpenStreetMap `opening_hours`.

Most directory entries say "Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00; PH off". That
subset (day ranges, time ranges, `off`, `PH off`) maps to Open Referral schedules and reads
well in French on paper. Anything richer (months, weeks, sunrise, comments…) is not
guessed at: `parse_weekly` returns None and callers show the expression as it is.
Validation of the full grammar stays in `geo.hours`.
"""

import re

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
HSDS_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

_TIME = r"(?:[01]\d|2[0-4]):[0-5]\d"
_SPAN = re.compile(rf"({_TIME})-({_TIME})")
_DAY_SPEC = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?")


def _days(spec):
    """Return the day indexes of "Mo-Fr,Sa" or None if it is not a plain day list."""
    days = []
    for part in spec.split(","):
        match = _DAY_SPEC.fullmatch(part.strip())
        if not match:
            return None
        start = DAYS.index(match.group(1))
        end = DAYS.index(match.group(2)) if match.group(2) else start
        index = start
        while True:
            days.append(index)
            if index == end:
                break
            index = (index + 1) % 7
    return days


def parse_weekly(expression):
    """Return {day index: [(opens "HH:MM", closes "HH:MM"), …]}, None if not plain weekly hours."""
    if not expression or not isinstance(expression, str):
        return None
    week = {}
    for rule in expression.split(";"):
        rule = rule.strip()
        if not rule or rule in ("PH off", "PH closed"):
            continue
        if rule == "24/7":
            for day in range(7):
                week[day] = [("00:00", "24:00")]
            continue
        day_spec, _, times = rule.partition(" ")
        days = _days(day_spec)
        if days is None:
            return None
        times = times.strip()
        if times in ("off", "closed"):
            for day in days:
                week[day] = []
            continue
        spans = []
        for part in times.split(","):
            match = _SPAN.fullmatch(part.strip())
            if not match:
                return None
            spans.append((match.group(1), match.group(2)))
        # A later rule replaces earlier ones for its days, as in OpenStreetMap.
        for day in days:
            week[day] = list(spans)
    return {day: spans for day, spans in sorted(week.items()) if spans}


def _french_time(value):
    hours, minutes = value.split(":")
    hours = int(hours)
    return f"{hours} h" if minutes == "00" else f"{hours} h {minutes}"


def _runs(days):
    """Group consecutive day indexes: [0, 1, 2, 4] → [(0, 2), (4, 4)]."""
    groups, start, previous = [], None, None
    for day in days:
        if start is None:
            start = previous = day
        elif day == previous + 1:
            previous = day
        else:
            groups.append((start, previous))
            start = previous = day
    if start is not None:
        groups.append((start, previous))
    return groups


def _french_days(days):
    """Group consecutive days: [0, 1, 2, 3, 4] → "du lundi au vendredi"."""
    parts = []
    for first, last in _runs(days):
        if first == last:
            parts.append(FRENCH_DAYS[first])
        elif last == first + 1:
            parts.append(f"{FRENCH_DAYS[first]} et {FRENCH_DAYS[last]}")
        else:
            parts.append(f"du {FRENCH_DAYS[first]} au {FRENCH_DAYS[last]}")
    return ", ".join(parts)


def french_spans(spans):
    """ "de 9 h à 12 h et de 14 h à 17 h" from [("09:00", "12:00"), ("14:00", "17:00")]."""
    return " et ".join(f"de {_french_time(a)} à {_french_time(b)}" for a, b in spans)


def french_lines(expression):
    """Return lines like "Du lundi au vendredi, de 9 h à 12 h et de 14 h à 17 h" (or the
    expression itself when it is not a plain weekly one)."""
    week = parse_weekly(expression)
    if week is None:
        return [expression] if expression else []
    by_spans = {}
    for day, spans in week.items():
        by_spans.setdefault(tuple(spans), []).append(day)
    lines = []
    for spans, days in sorted(by_spans.items(), key=lambda item: item[1][0]):
        label = _french_days(days)
        lines.append(f"{label[0].upper()}{label[1:]}, {french_spans(spans)}")
    if "PH off" in expression:
        lines.append("Fermé les jours fériés")
    return lines


def hsds_schedules(expression):
    """Return [{"byday", "opens_at", "closes_at", "description"}] of plain weekly hours, or []."""
    week = parse_weekly(expression)
    if not week:
        return []
    by_span = {}
    for day, spans in week.items():
        for span in spans:
            by_span.setdefault(span, []).append(day)
    schedules = []
    for (opens, closes), days in sorted(by_span.items(), key=lambda item: (item[1][0], item[0])):
        schedules.append({
            "byday": ",".join(HSDS_DAYS[d] for d in days),
            "opens_at": opens,
            "closes_at": closes,
            "description": f"{_french_days(days).capitalize()} : "
                           f"{_french_time(opens)} – {_french_time(closes)}",
        })
    return schedules


def osm_from_hsds(schedules):
    """Build an OpenStreetMap expression from HSDS weekly schedules (byday, opens_at, closes_at).

    Returns None when a schedule is not weekly or its days or times are not readable.
    """
    week = {}
    for schedule in schedules:
        freq = (schedule.get("freq") or "WEEKLY").strip().upper()
        byday = (schedule.get("byday") or "").strip().upper()
        opens = (schedule.get("opens_at") or "").strip()[:5]
        closes = (schedule.get("closes_at") or "").strip()[:5]
        if freq != "WEEKLY" or not byday or not opens or not closes:
            return None
        if not re.fullmatch(_TIME, opens) or not re.fullmatch(_TIME, closes):
            return None
        for code in byday.split(","):
            code = code.strip()
            if code not in HSDS_DAYS:  # "1MO" (first Monday of the month) is not weekly
                return None
            week.setdefault(HSDS_DAYS.index(code), []).append((opens, closes))
    if not week:
        return None
    by_spans = {}
    for day, spans in sorted(week.items()):
        by_spans.setdefault(tuple(sorted(spans)), []).append(day)
    rules = []
    for spans, days in sorted(by_spans.items(), key=lambda item: item[1][0]):
        rules.append(f"{_osm_days(days)} " + ",".join(f"{a}-{b}" for a, b in spans))
    return "; ".join(rules)


def _osm_days(days):
    return ",".join(DAYS[a] if a == b else f"{DAYS[a]}-{DAYS[b]}" for a, b in _runs(days))
