"""The SQL of the indicators: aggregates per territory over indexed columns, no person out.

Each function takes a window of UTC instants [start, end) and returns
{territory_id or None: {part: value}}. `month_parts` are what a frozen month keeps: the parts
that add up from one month to the next (and the state at the month's end), including the
candidacies' anonymous milestones (`candidacies.milestones`), and the month's distinct counts
in the form that lets a period count each person, referral or relay once (`distinct`).
"""

from collections import defaultdict
from datetime import timedelta

import numpy as np
from sqlalchemy import text

from ...extensions import db
from ..candidacies import milestones
from . import distinct

ADDITIVE = ("reported", "fc_reached", "fc48", "delays", "follow_ups_due", "follow_ups_done",
            "pairs", "ucla_sum", "less_lonely", "net_sum", "relays_new", "candidacies_received",
            "relays_trained")
AT_END = ("open_at_end", "stale_at_end")
STALE_WINDOW = timedelta(days=7)

_REPORTED = text("""
SELECT r.territory_id,
       count(*) AS reported,
       count(fc.first_at) AS fc_reached,
       count(*) FILTER (WHERE fc.first_at - r.reported_at <= interval '48 hours') AS fc48,
       coalesce(array_agg(round(greatest(extract(epoch FROM fc.first_at - r.reported_at), 0)
                                / 3600.0, 2)) FILTER (WHERE fc.first_at IS NOT NULL),
                '{}') AS delays
FROM referrals r
LEFT JOIN LATERAL (SELECT min(c.at) AS first_at FROM contacts c
                   WHERE c.referral_id = r.id AND c.reached) fc ON true
WHERE r.reported_at >= :start AND r.reported_at < :end
GROUP BY r.territory_id""")

_FOLLOW_UPS = text("""
SELECT r.territory_id,
       count(*) FILTER (WHERE f.due_on BETWEEN :first_day AND :last_day) AS follow_ups_due,
       count(*) FILTER (WHERE f.done_at >= :start AND f.done_at < :end) AS follow_ups_done
FROM follow_ups f JOIN referrals r ON r.id = f.referral_id
WHERE f.due_on BETWEEN :first_day AND :last_day OR (f.done_at >= :start AND f.done_at < :end)
GROUP BY r.territory_id""")

_PAIRS = text("""
SELECT r.territory_id, count(*) AS pairs,
       sum(f.total - b.total) AS ucla_sum,
       count(*) FILTER (WHERE f.total < b.total) AS less_lonely,
       sum(f.nets - b.nets) AS net_sum
FROM (SELECT referral_id, lacks_company + left_out + isolated AS total,
             cardinality(networks) AS nets
      FROM wellbeing_measures
      WHERE moment = 'follow_up' AND answered AND erased_at IS NULL
        AND at >= :start AND at < :end) f
JOIN (SELECT referral_id, lacks_company + left_out + isolated AS total,
             cardinality(networks) AS nets
      FROM wellbeing_measures
      WHERE moment = 'baseline' AND answered AND erased_at IS NULL) b
  ON b.referral_id = f.referral_id
JOIN referrals r ON r.id = f.referral_id
GROUP BY r.territory_id""")

_RELAYS_NEW = text("""
SELECT (SELECT t.id FROM territories t WHERE ST_Intersects(t.area, rl.point::geometry)
        ORDER BY ST_Area(t.area), t.code NULLS LAST, t.id LIMIT 1) AS territory_id,
       count(*) AS relays_new
FROM relays rl WHERE rl.created_at >= :start AND rl.created_at < :end
GROUP BY 1""")

# Open at the end: reported before it and whose last move before it is not a closure. A
# referral closed before the end and not moved since is left out by the index at once.
_AT_END = text("""
SELECT r.territory_id, count(*) AS open_at_end,
       count(*) FILTER (
         WHERE NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = r.id
                           AND e.at >= :stale_from AND e.at < :end)
           AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.referral_id = r.id
                           AND c.at >= :stale_from AND c.at < :end)) AS stale_at_end
FROM referrals r
LEFT JOIN LATERAL (SELECT e.to_status FROM referral_events e
                   WHERE e.referral_id = r.id AND e.at < :end
                   ORDER BY e.at DESC, e.id DESC LIMIT 1) last ON true
WHERE r.reported_at < :end AND NOT (r.status = 'closed' AND r.status_changed_at < :end)
  AND coalesce(last.to_status, 'reported') <> 'closed'
GROUP BY r.territory_id""")

# Frozen months summed in the database in one pass over their rows: the additive parts, each
# distinct count's share of the period, the delays of all the months (the median needs them
# all), and the months frozen before the distinct counts were kept.
_SUMMED = [name for name in ADDITIVE if name != "delays"]
_FROZEN = text(f"""
SELECT m.territory_id,
       {", ".join(f"sum(x.{name}) AS {name}" for name in _SUMMED)},
       {", ".join(f"sum({distinct.frozen_share(kind)}) AS {kind}"
                  for kind in (*distinct.KINDS, distinct.CITY))},
       string_agg(btrim(x.delays::text, '[]'), ',') FILTER (WHERE x.delays <> '[]') AS delays,
       array_agg(m.month) FILTER (WHERE x."distinct" IS NULL) AS without
FROM indicator_months m,
     jsonb_to_record(m.parts) AS x({", ".join(f"{name} numeric" for name in _SUMMED)},
                                   delays jsonb, "distinct" jsonb)
WHERE m.month = ANY(:months)
GROUP BY m.territory_id""")
_FROZEN_AT_END = text(f"""
SELECT territory_id, {", ".join(f"(parts ->> '{name}')::int AS {name}" for name in AT_END)}
FROM indicator_months WHERE month = :month""")


def frozen_parts(months, last, first):
    """({territory_id: parts} summed over the frozen `months` of a period starting on month
    `first`, with the state at the end of `last` when `last` (the period's last month) is one
    of them; the months frozen without their distinct counts)."""
    found, without = {}, set()
    params = {"months": list(months), "first": first.isoformat()}
    for row in db.session.execute(_FROZEN, params).mappings():
        parts = {name: int(row[name] or 0) for name in (*_SUMMED, *distinct.KINDS,
                                                         distinct.CITY)}
        parts["delays"] = np.fromstring(row["delays"] or "", sep=",")
        without.update(row["without"] or [])
        found[row["territory_id"]] = parts
    if last is not None:
        for row in db.session.execute(_FROZEN_AT_END, {"month": last}).mappings():
            found.setdefault(row["territory_id"], {}).update(
                {name: row[name] or 0 for name in AT_END})
    return found, sorted(without)


def _collect(statement, params, into):
    for row in db.session.execute(statement, params).mappings():
        parts = into[row["territory_id"]]
        for name, value in row.items():
            if name != "territory_id":
                parts[name] = ([float(v) for v in value] if name == "delays"
                               else int(value or 0))
    return into


def month_parts(start, end, first_day, last_day, with_distinct=True):
    """{territory_id: parts} of one month: additive parts, the state at its end and, with
    `with_distinct`, the distinct counts as a frozen month keeps them."""
    found = defaultdict(dict)
    for territory_id, parts in (distinct.month_counts(start, end) if with_distinct else {}).items():
        found[territory_id].update(parts)
    window = {"start": start, "end": end}
    _collect(_REPORTED, window, found)
    _collect(_FOLLOW_UPS, {**window, "first_day": first_day, "last_day": last_day}, found)
    _collect(_PAIRS, window, found)
    _collect(_RELAYS_NEW, window, found)
    _collect(_AT_END, {"end": end, "stale_from": end - STALE_WINDOW}, found)
    for name, counts in (("candidacies_received", milestones.candidacies_received(start, end)),
                         ("relays_trained", milestones.relays_trained(start, end))):
        for territory_id, count in counts.items():
            found[territory_id][name] = count
    for parts in found.values():
        for name in ADDITIVE + AT_END:
            parts.setdefault(name, [] if name == "delays" else 0)
        if with_distinct:
            parts.setdefault("distinct", {})
    return dict(found)
