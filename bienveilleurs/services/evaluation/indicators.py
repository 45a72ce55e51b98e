"""The one place the indicators are computed (API.md, "Indicators"), for the API, the CSV,
the pages and the printed report.

A period is whole months in the city's time zone. Each month's additive parts (reports,
first contacts and their delays, follow-ups, measure pairs, new relays, candidacies, first
trainings), its state at the
end (open, stale) and its distinct counts (persons, referrals with a move, active relays, in
the form `distinct` explains) come from the frozen rollup when the month is frozen
(`rollup`), else are computed live. Rows are the territories, then the
points outside every territory (« Hors territoire »); `all` is computed from the rows; then
small counts are suppressed (`suppression`).
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from ... import clock
from ...config import setting
from ...errors import Forbidden, NotFound
from ...extensions import db
from ...models import IndicatorMonth, Role, Territory
from .. import areas
from ..csv_safe import csv_text
from ..fields import QueryFields, parse_uuid
from . import distinct, queries
from .suppression import Cell, Row, suppress, suppress_one

OUTSIDE = "Hors territoire"
# name: (French label, kind); the order of the API, the CSV and the pages.
INDICATORS = {
    "referrals_reported": ("Signalements", "count"),
    "residents_reported": ("Personnes signalées", "count"),
    "newcomers_reported": ("Dont nouveaux arrivants", "count"),
    "first_contact_48h_pct": ("Premier contact en 48 h (%)", "share"),
    "median_hours_to_first_contact": ("Délai médian du premier contact (h)", "mean"),
    "referrals_oriented": ("Orientations vers une ressource", "count"),
    "referrals_accepted": ("Prises en charge", "count"),
    "referrals_closed": ("Clôtures", "count"),
    "closed_helped": ("Clôtures : personne aidée", "count"),
    "closed_unreachable": ("Clôtures : injoignable", "count"),
    "open_at_end": ("En cours en fin de période", "count"),
    "stale_at_end": ("Sans nouvelles depuis 7 jours en fin de période", "count"),
    "relays_active": ("Bienveilleurs actifs", "count"),
    "relays_new": ("Nouveaux bienveilleurs", "count"),
    "candidacies_received": ("Candidatures reçues", "count"),
    "relays_trained": ("Bienveilleurs formés", "count"),
    "follow_ups_due": ("Rappels prévus", "count"),
    "follow_ups_done": ("Rappels faits", "count"),
    "wellbeing_pairs": ("Personnes mesurées avant et après", "count"),
    "ucla3_mean_change": ("Évolution moyenne de l'isolement (UCLA-3)", "mean"),
    "less_lonely_pct": ("Moins seules (%)", "share"),
    "networks_mean_change": ("Évolution moyenne du nombre de réseaux", "mean"),
}
_DISTINCT_NAMES = {"persons": "residents_reported", "newcomers": "newcomers_reported",
                   "oriented": "referrals_oriented", "accepted": "referrals_accepted",
                   "closed": "referrals_closed", "helped": "closed_helped",
                   "unreachable": "closed_unreachable", "relays_active": "relays_active"}
FIRST_YEAR, LAST_YEAR = 2000, 2999
MAX_MONTHS = 120
VIEWERS = (Role.ADMIN.value, Role.OBSERVER.value, Role.COORDINATOR.value)


@dataclass
class Period:
    start: date  # the first day of a month
    end: date  # the last day of a month

    @property
    def months(self):
        months, month = [], self.start
        while month <= self.end:
            months.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return months


@dataclass
class IndicatorTable:
    start: date
    end: date
    min_cell: int
    rows: list  # Row with .territory (id, code, name)
    all: Row


def month_end(month):
    return date(month.year, month.month, monthrange(month.year, month.month)[1])


def next_month(month):
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def instant(day):
    """The first instant of a city day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=clock.PARIS).astimezone(UTC)


def read_period(args):
    """Read `from`, `to` (whole months) and `territory` from a query string."""
    fields = QueryFields(args)
    values = {}
    for name, label in (("from", "La date de début"), ("to", "La date de fin")):
        text = fields.text(name, label=label, max_length=10, required=True)
        try:
            values[name] = date.fromisoformat(text) if text else None
        except ValueError:
            fields.fail(name, f"{label} doit être une date AAAA-MM-JJ.")
            values[name] = None
    start, end = values["from"], values["to"]
    if start is not None and start.day != 1:
        fields.fail("from", "La période commence le premier jour d'un mois.")
    if end is not None and end != month_end(end):
        fields.fail("to", "La période finit le dernier jour d'un mois.")
    for name, day in (("from", start), ("to", end)):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            fields.fail(name, f"L'année doit être entre {FIRST_YEAR} et {LAST_YEAR}.")
            values[name] = None
    start, end = values["from"], values["to"]
    if start is not None and end is not None and start > end:
        fields.fail("to", "La fin de la période précède son début.")
    elif start is not None and end is not None and \
            (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        fields.fail("to", f"La période dure au plus {MAX_MONTHS // 12} ans.")
    territory = fields.text("territory", label="Le territoire", max_length=60)
    fields.done()
    return Period(start, end), territory


def _visible_territories(user, wanted):
    """(territories shown, whether the « Hors territoire » row is shown)."""
    if user.role not in VIEWERS:
        raise Forbidden("Les indicateurs sont pour l'administration, la coordination et "
                        "l'observation.")
    query = select(Territory.id, Territory.code, Territory.name).order_by(
        Territory.code.asc().nulls_last(), Territory.name)
    limited = user.role == Role.COORDINATOR.value and not areas.is_city_wide(user)
    if limited:
        query = query.where(Territory.id.in_([t.id for t in user.territories]))
    territories = db.session.execute(query).all()
    outside = not limited
    if wanted:
        uid = parse_uuid(wanted)
        territories = [t for t in territories if t.id == uid or t.code == wanted]
        outside = False
        if not territories:
            raise NotFound("Territoire inconnu, ou hors de votre périmètre.")
    return territories, outside


def _cells(parts):
    """The cells of one row from its parts (summed additive parts, distinct counts)."""
    get = parts.get
    median, delays = _median(get("delays", []))
    pairs = get("pairs", 0)
    cells = {name: Cell(get(part, 0), "count") for part, name in _DISTINCT_NAMES.items()}
    cells.update({
        "referrals_reported": Cell(get("reported", 0), "count"),
        "first_contact_48h_pct": Cell(_pct(get("fc48", 0), get("reported", 0)), "share",
                                      get("fc48", 0), get("reported", 0)),
        "median_hours_to_first_contact": Cell(median, "mean", 0, delays),
        "open_at_end": Cell(get("open_at_end", 0), "count"),
        "stale_at_end": Cell(get("stale_at_end", 0), "count"),
        "relays_new": Cell(get("relays_new", 0), "count"),
        "candidacies_received": Cell(get("candidacies_received", 0), "count"),
        "relays_trained": Cell(get("relays_trained", 0), "count"),
        "follow_ups_due": Cell(get("follow_ups_due", 0), "count"),
        "follow_ups_done": Cell(get("follow_ups_done", 0), "count"),
        "wellbeing_pairs": Cell(pairs, "count"),
        "ucla3_mean_change": Cell(_mean(get("ucla_sum", 0), pairs), "mean", 0, pairs),
        "less_lonely_pct": Cell(_pct(get("less_lonely", 0), pairs), "share",
                                get("less_lonely", 0), pairs),
        "networks_mean_change": Cell(_mean(get("net_sum", 0), pairs), "mean", 0, pairs),
    })
    return {name: cells[name] for name in INDICATORS}


def _median(chunks):
    """(the median of the delays in `chunks` rounded to 0.1, how many), as
    `statistics.median` finds it (the mean of the two middle ones when even), without
    sorting them all."""
    values = np.concatenate([np.asarray(c, dtype=float) for c in chunks]) if chunks else ()
    count = len(values)
    if not count:
        return None, 0
    middle = count // 2
    if count % 2:
        return round(float(np.partition(values, middle)[middle]), 1), count
    low, high = np.partition(values, (middle - 1, middle))[middle - 1:middle + 1]
    return round((float(low) + float(high)) / 2, 1), count


def _pct(numerator, denominator):
    return round(100 * numerator / denominator, 1) if denominator else None


def _mean(total, count):
    return float(round(Decimal(total) / count, 2)) if count else None


def _add(into, parts):
    """Add one source's parts (a month, or the frozen months) to a row's totals; the delays
    are kept as the sources' lists, put together only for the median."""
    for name, value in parts.items():
        if name in queries.AT_END:
            continue
        if name == "delays":
            into.setdefault(name, []).append(value)
        else:
            into[name] = into.get(name, 0) + value


def _period_parts(period, keys):
    """{territory_id: summed parts} over the period, and the relays active city-wide: the
    frozen months summed by the database, the others computed now; a distinct count is the
    frozen months' share (`distinct`) and the other months' one, counted at once."""
    months = period.months
    frozen = set(db.session.scalars(select(IndicatorMonth.month).distinct()
                                    .where(IndicatorMonth.month.in_(months))))
    totals = {key: {} for key in keys}
    sources = []
    live = [month for month in months if month not in frozen]
    if frozen:
        last = months[-1] if months[-1] in frozen else None
        parts, without = queries.frozen_parts(sorted(frozen), last, period.start)
        sources.append((parts, last is not None))
        live += without  # frozen before the distinct counts were kept
    for month in months:
        if month not in frozen:
            sources.append((queries.month_parts(instant(month), instant(next_month(month)),
                                                month, month_end(month), with_distinct=False),
                            month == months[-1]))
    if live:
        sources.append((distinct.live_share(live, instant(period.start),
                                            instant(next_month(period.end))), False))
    for parts, at_end in sources:
        for key in keys:
            one = parts.get(key, {})
            _add(totals[key], one)
            if at_end:
                for name in queries.AT_END:
                    totals[key][name] = one.get(name, 0)
    city = totals.get(None, {}).get(distinct.CITY, 0)
    return totals, city


def compute(user, period, wanted=None):
    """The indicator table `user` may see for `period` (and one territory when `wanted`)."""
    territories, outside = _visible_territories(user, wanted)
    keys = [t.id for t in territories] + ([None] if outside else [])
    totals, city_relays = _period_parts(period, keys)
    k = setting("STATS_MIN_CELL")
    rows = []
    for territory in territories:
        row = Row(territory.code, _cells(totals[territory.id]))
        row.territory = {"id": str(territory.id), "code": territory.code, "name": territory.name}
        rows.append(row)
    if outside:
        row = Row(None, _cells(totals[None]))
        row.territory = {"id": None, "code": None, "name": OUTSIDE}
        rows.append(row)
    summed = {"delays": []}
    for key in keys:
        one = totals[key]
        summed["delays"] += one.get("delays", [])
        _add(summed, {name: v for name, v in one.items() if name != "delays"})
        for name in queries.AT_END:
            summed[name] = summed.get(name, 0) + one.get(name, 0)
    if outside and not wanted:  # the whole city: a relay active in two territories, once
        summed["relays_active"] = city_relays
    suppress(rows, k)
    every = suppress_one(Row("all", _cells(summed)), k)
    return IndicatorTable(period.start, period.end, k, rows, every)


def read_indicators(user, args):
    """Parse the query string (`from`, `to`, `territory`) and compute the table."""
    if user.role not in VIEWERS:
        raise Forbidden("Les indicateurs sont pour l'administration, la coordination et "
                        "l'observation.")
    period, wanted = read_period(args)
    return compute(user, period, wanted)


def table_json(table):
    return {"from": table.start.isoformat(), "to": table.end.isoformat(),
            "min_cell": table.min_cell,
            "territories": [{**row.territory, "values": row.values,
                             "suppressed": row.suppressed} for row in table.rows],
            "all": {"values": table.all.values, "suppressed": table.all.suppressed}}


def _csv_value(row, name):
    if name in row.suppressed:
        return "s"
    value = row.values[name]
    return "" if value is None else value


def table_csv(table):
    """API.md: one row per territory then `all`; `;`, UTF-8 with a BOM; `s` when hidden."""
    header = ["territory_code", "territory_name", *INDICATORS]
    lines = [[row.territory["code"] or "", row.territory["name"],
              *(_csv_value(row, n) for n in INDICATORS)] for row in table.rows]
    lines.append(["all", "Ensemble", *(_csv_value(table.all, n) for n in INDICATORS)])
    return csv_text(header, lines, separator=";")
