"""Frozen months (API.md, "Indicators"): seven days after a month ends, its parts per
territory are kept in `indicator_months`, anonymous (counts, sums, delays as numbers, and the
distinct counts as `distinct` keeps them: counts of counts), so that a published report can
be reproduced and later erasures change nothing in it."""

from datetime import time, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ... import clock
from ...extensions import db
from ...models import IndicatorMonth, Referral, Territory
from ..jobs import scheduled
from ..transaction import use_case
from . import distinct, queries
from .indicators import OUTSIDE, instant, month_end, next_month

FREEZE_AFTER = timedelta(days=7)


def _months_to_freeze(now):
    """Ended months, seven days past, from the first report on, not frozen yet."""
    first = db.session.scalar(select(func.min(Referral.reported_at)))
    if first is None:
        return []
    month = clock.local(first).date().replace(day=1)
    frozen = set(db.session.scalars(select(IndicatorMonth.month).distinct()))
    months = []
    while instant(next_month(month)) + FREEZE_AFTER <= now:
        if month not in frozen:
            months.append(month)
        month = next_month(month)
    return months


@use_case
def freeze_month(month):
    """Freeze one month (idempotent: a month already frozen is left as it is)."""
    parts = queries.month_parts(instant(month), instant(next_month(month)), month,
                                month_end(month))
    territories = db.session.execute(select(Territory.id, Territory.code, Territory.name)).all()
    rows = [(t.id, t.code, t.name) for t in territories] + [(None, None, OUTSIDE)]
    values = [{"month": month, "territory_id": key, "territory_code": code,
               "territory_name": name, "parts": parts.get(key, _empty()),
               "frozen_at": clock.now()} for key, code, name in rows]
    db.session.execute(pg_insert(IndicatorMonth).values(values).on_conflict_do_nothing())
    return len(values)


def _empty():
    return {"distinct": {},
            **{name: ([] if name == "delays" else 0) for name in queries.ADDITIVE + queries.AT_END}}


@use_case
def complete_month(month):
    """Add its distinct counts to a month frozen before they were kept. They come from what
    an erasure keeps (referrals' persons, territories and times, moves, contacts' authors),
    so they are what the live computation counted when the month was frozen."""
    counts = distinct.month_counts(instant(month), instant(next_month(month)))
    rows = db.session.scalars(select(IndicatorMonth).where(
        IndicatorMonth.month == month, ~IndicatorMonth.parts.has_key("distinct"))).all()
    for row in rows:
        row.parts = {**row.parts, "distinct": counts.get(row.territory_id, {}).get("distinct", {})}
    return len(rows)


@scheduled("indicators.freeze", daily_at=time(4, 15),
           label="Indicateurs : mois terminés figés (anonymes)")
def freeze_ended_months():
    """Freeze every ended month not frozen yet; return how many months and rows."""
    months = _months_to_freeze(clock.now())
    rows = sum(freeze_month(month) for month in months)
    incomplete = db.session.scalars(select(IndicatorMonth.month).distinct().where(
        ~IndicatorMonth.parts.has_key("distinct")).order_by(IndicatorMonth.month)).all()
    completed = sum(complete_month(month) for month in incomplete)
    return {"months": len(months), "rows": rows, "completed": completed}
