"""Distinct counts (persons, referrals moved, active relays) kept month by month.

A person, a referral or a relay counted in several months of a period counts once in it
(API.md, "Indicators"), so these counts do not add up from one month to the next. Each month
keeps instead, per territory and per count, how many it counted (`n`) and, among them, how
many had been counted before in the same territory, by the month they were last counted
(`prev`: {first day of that month: how many}). Over a period starting on month P, a month
then adds `n` less those last counted in a month of the period (from P on): each one counts
once, in its first month of the period. The same holds for the relays active city-wide
(`CITY`, on the row outside every territory).

Counts of counts, no identifier: a frozen month keeps them as the other parts, and a later
erasure neither changes them nor can be traced through them.
"""

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import text

from ... import clock
from ...extensions import db

KINDS = ("persons", "newcomers", "oriented", "accepted", "closed", "helped", "unreachable",
         "relays_active")
CITY = "city_relays_active"
_NO_TERRITORY = "00000000-0000-0000-0000-000000000000"
_EVER = datetime(1900, 1, 1, tzinfo=UTC)  # before any report


def _month(at):
    return f"to_char(date_trunc('month', {at} AT TIME ZONE :tz), 'YYYY-MM-DD')"


_PERSONS = text(f"""
WITH cur AS (
  SELECT r.territory_id, r.resident_id, k.kind
  FROM referrals r,
       unnest(CASE WHEN r.reported_newcomer THEN ARRAY['persons', 'newcomers']
                   ELSE ARRAY['persons'] END) k(kind)
  WHERE r.reported_at >= :start AND r.reported_at < :end
  GROUP BY 1, 2, 3)
SELECT cur.territory_id, cur.kind, {_month("prev.at")} AS prev, count(*) AS n
FROM cur
LEFT JOIN LATERAL (SELECT max(p.reported_at) AS at FROM referrals p
                   WHERE p.resident_id = cur.resident_id
                     AND p.territory_id IS NOT DISTINCT FROM cur.territory_id
                     AND p.reported_at < :start AND p.reported_at >= :since
                     AND (cur.kind = 'persons' OR p.reported_newcomer)) prev ON true
GROUP BY 1, 2, 3""")


def _kinds(e):
    """What a move counts as; closures as a duplicate or on opposition are not counted."""
    return f"""unnest(CASE WHEN {e}.to_status = 'referred' THEN ARRAY['oriented']
        WHEN {e}.to_status = 'accepted' THEN ARRAY['accepted']
        WHEN {e}.outcome = 'helped' THEN ARRAY['closed', 'helped']
        WHEN {e}.outcome = 'unreachable' THEN ARRAY['closed', 'unreachable']
        WHEN {e}.outcome IS NULL OR {e}.outcome IN ('duplicate', 'opposed')
          THEN ARRAY[]::text[]
        ELSE ARRAY['closed'] END)"""


def _moved(e):
    return (f"{e}.to_status IN ('referred', 'accepted', 'closed') "
            f"AND {e}.from_status IS DISTINCT FROM {e}.to_status")


_MOVES = text(f"""
WITH cur AS (
  SELECT DISTINCT e.referral_id, k.kind
  FROM referral_events e, {_kinds("e")} k(kind)
  WHERE e.at >= :start AND e.at < :end AND {_moved("e")})
SELECT (SELECT r.territory_id FROM referrals r WHERE r.id = cur.referral_id) AS territory_id,
       cur.kind, {_month("prev.at")} AS prev, count(*) AS n
FROM cur
LEFT JOIN LATERAL (SELECT max(p.at) AS at FROM referral_events p, {_kinds("p")} pk(kind)
                   WHERE p.referral_id = cur.referral_id AND p.at < :start
                     AND p.at >= :since AND {_moved("p")} AND pk.kind = cur.kind) prev ON true
GROUP BY 1, 2, 3""")

# Per territory, and city-wide (`city`): the relays with a contact in the month, by the
# month of their last contact before it (in that territory; anywhere for the city).
_RELAYS = text(f"""
WITH cur AS (
  SELECT DISTINCT r.territory_id, c.author_id
  FROM contacts c JOIN referrals r ON r.id = c.referral_id
  JOIN relays rl ON rl.user_id = c.author_id
  WHERE c.at >= :start AND c.at < :end),
earlier AS MATERIALIZED (
  SELECT coalesce(r.territory_id, '{_NO_TERRITORY}') AS territory, c.author_id, c.at
  FROM contacts c JOIN referrals r ON r.id = c.referral_id
  WHERE c.at < :start AND c.at >= :since AND c.author_id IN (SELECT author_id FROM cur)),
there AS (
  SELECT territory, author_id, max(at) AS at FROM earlier
  WHERE (territory, author_id) IN (
    SELECT coalesce(territory_id, '{_NO_TERRITORY}'), author_id FROM cur)
  GROUP BY 1, 2),
anywhere AS (SELECT author_id, max(at) AS at FROM earlier GROUP BY author_id),
counted AS (
  SELECT cur.territory_id, false AS city, b.at
  FROM cur LEFT JOIN there b ON b.author_id = cur.author_id
   AND b.territory = coalesce(cur.territory_id, '{_NO_TERRITORY}')
  UNION ALL
  SELECT NULL, true, w.at
  FROM (SELECT DISTINCT author_id FROM cur) a LEFT JOIN anywhere w USING (author_id))
SELECT territory_id, city, {_month("at")} AS prev, count(*) AS n
FROM counted GROUP BY 1, 2, 3""")


def month_counts(start, end):
    """{territory_id: {"distinct": {kind: {"n", "prev"}}}} for the month [start, end), what a
    frozen month keeps."""
    found = defaultdict(lambda: {"distinct": {}})
    params = {"start": start, "end": end, "tz": clock.PARIS.key, "since": _EVER}
    for statement in (_PERSONS, _MOVES):
        for row in db.session.execute(statement, params):
            _count(found[row.territory_id]["distinct"], row.kind, row.prev, row.n)
    for row in db.session.execute(_RELAYS, params):
        if row.city:
            _count(found[None]["distinct"], CITY, row.prev, row.n)
        else:
            _count(found[row.territory_id]["distinct"], "relays_active", row.prev, row.n)
    return {key: dict(parts) for key, parts in found.items()}


# Months not frozen: their share of a period [:since, :end) at once, those whose first month
# in the period is one of them (`:live`), counted over the period's rows.
_FIRST_PERSONS = text(f"""
SELECT territory_id, kind, count(*) AS n
FROM (SELECT r.territory_id, r.resident_id, k.kind, min(r.reported_at) AS first
      FROM referrals r,
           unnest(CASE WHEN r.reported_newcomer THEN ARRAY['persons', 'newcomers']
                       ELSE ARRAY['persons'] END) k(kind)
      WHERE r.reported_at >= :since AND r.reported_at < :end
      GROUP BY 1, 2, 3) s
WHERE {_month("first")} = ANY(:live)
GROUP BY 1, 2""")
_FIRST_MOVES = text(f"""
SELECT r.territory_id, s.kind, count(*) AS n
FROM (SELECT e.referral_id, k.kind, min(e.at) AS first
      FROM referral_events e, {_kinds("e")} k(kind)
      WHERE e.at >= :since AND e.at < :end AND {_moved("e")}
      GROUP BY 1, 2) s
JOIN referrals r ON r.id = s.referral_id
WHERE {_month("s.first")} = ANY(:live)
GROUP BY 1, 2""")
_FIRST_RELAYS = text(f"""
WITH seen AS (
  SELECT r.territory_id, rl.id AS relay_id, min(c.at) AS first
  FROM contacts c JOIN referrals r ON r.id = c.referral_id
  JOIN relays rl ON rl.user_id = c.author_id
  WHERE c.at >= :since AND c.at < :end
  GROUP BY 1, 2)
SELECT territory_id, false AS city, count(*) AS n FROM seen
WHERE {_month("first")} = ANY(:live) GROUP BY 1
UNION ALL
SELECT NULL, true, count(*)
FROM (SELECT relay_id, min(first) AS first FROM seen GROUP BY 1) a
WHERE {_month("first")} = ANY(:live)""")


def live_share(months, since, end):
    """{territory_id: {kind: count}} in a period [since, end) of those whose first month in
    it is one of `months` (the months not frozen): the share of those months."""
    found = defaultdict(dict)
    params = {"since": since, "end": end, "tz": clock.PARIS.key,
              "live": [month.isoformat() for month in months]}
    for statement in (_FIRST_PERSONS, _FIRST_MOVES):
        for row in db.session.execute(statement, params):
            found[row.territory_id][row.kind] = int(row.n)
    for row in db.session.execute(_FIRST_RELAYS, params):
        if row.city:
            found[None][CITY] = int(row.n)
        else:
            found[row.territory_id]["relays_active"] = int(row.n)
    return dict(found)


def _count(into, kind, prev, n):
    counts = into.setdefault(kind, {"n": 0, "prev": {}})
    counts["n"] += int(n)
    if prev is not None:
        counts["prev"][prev] = counts["prev"].get(prev, 0) + int(n)


def frozen_share(kind):
    """SQL: a frozen month's share of a period starting on :first, for one count of its
    `"distinct"` (the frozen month's kept counts)."""
    kept = f"""x."distinct" -> '{kind}'"""
    return f"""coalesce(({kept} ->> 'n')::int - CASE WHEN {kept} -> 'prev' = '{{}}' THEN 0
        ELSE (SELECT coalesce(sum(h.value::int), 0) FROM jsonb_each_text({kept} -> 'prev') h
              WHERE h.key >= :first) END, 0)"""
