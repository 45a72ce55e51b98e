"""The indicators of a whole year for every territory, at 10^5 and 10^6 referrals.

Not a test: `make test` never runs it. On the local cluster (DATABASE_URL names any database
of it), it builds a database of its own with the migrations, then, for each size, 1,500
territories (a grid over the service area), relays with accounts, and that many referrals
(one person each) with their events, contacts, call-backs and measures spread over two
years (SQL `generate_series`, seeded). It then times, in the same run:

- a plain `SELECT count(*)` over the year's referrals (the floor);
- `GET /api/v1/indicators` for the year, every territory, through the app (bearer token),
  computed live (no month frozen);
- the same once the ended months are frozen by the job (`indicators.freeze`), checked equal
  to the live call, territory by territory;
- the `indicators.freeze` job itself;
- the distinct counts (persons, referrals moved, active relays) counted straight over the
  year with `COUNT(DISTINCT …)` (`REFERENCE`: how the frozen call counted them before each
  month kept its own), checked equal to what the app counts from the months.

    .venv/bin/python bench/indicators.py [--sizes 100000,1000000] [--rounds 3]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TERRITORIES = (30, 50)  # a grid of 1,500 cells
AREA = (0.05, 49.45, 0.25, 49.56)
RELAYS = 3000
YEAR = 2025  # the year timed; reports run from 2024-07-01 to 2026-06-30

BUILD = [
    # 1,500 territories, each a cell of the grid.
    """INSERT INTO territories (id, name, code, area, created_at)
       SELECT gen_random_uuid(), 'Cellule ' || i || '-' || j, format('T%s-%s', i, j),
              ST_Multi(ST_MakeEnvelope(:x0 + i * :dx, :y0 + j * :dy, :x0 + (i + 1) * :dx,
                                       :y0 + (j + 1) * :dy, 4326)), now()
       FROM generate_series(0, :nx - 1) i, generate_series(0, :ny - 1) j""",
    """INSERT INTO users (id, email, role, display_name, active, session_version, created_at)
       SELECT gen_random_uuid(), 'relais' || n || '@bench.invalid', 'relay', 'Relais ' || n,
              true, 1, now() FROM generate_series(1, :relays) n""",
    """INSERT INTO relays (id, user_id, display_name, point, radius_m, capacity,
                           active_referrals, languages, skills, status, created_at, updated_at)
       SELECT gen_random_uuid(), u.id, u.display_name,
              ST_SetSRID(ST_MakePoint(:x0 + random() * (:x1 - :x0),
                                      :y0 + random() * (:y1 - :y0)), 4326)::geography,
              1500, 1000000, 0, '{fr}', '{}', 'active',
              timestamptz '2024-07-01' + random() * interval '730 days', now()
       FROM users u WHERE u.role = 'relay'""",
    """CREATE TEMP TABLE bench_rows AS
       SELECT n, gen_random_uuid() AS resident_id, gen_random_uuid() AS referral_id,
              :x0 + random() * (:x1 - :x0) AS lon, :y0 + random() * (:y1 - :y0) AS lat,
              timestamptz '2024-07-01' + random() * interval '730 days' AS reported_at,
              random() AS fate, random() AS delay, random() < 0.2 AS newcomer,
              (SELECT array_agg(id) FROM relays)[1 + floor(random() * :relays)::int] AS relay_id
       FROM generate_series(1, :size) n""",
    """INSERT INTO residents (id, first_name, point, approx_point, languages, audiences,
                              newcomer, created_at, updated_at)
       SELECT resident_id, 'Personne', ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography,
              ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, '{fr}', '{}', newcomer,
              reported_at, reported_at FROM bench_rows""",
    """INSERT INTO referrals (id, resident_id, category, status, outcome, relay_id, version,
                              status_changed_at, created_at, updated_at, territory_id,
                              reported_at, reported_newcomer)
       SELECT referral_id, resident_id, 'sante', CASE WHEN fate < 0.75 THEN 'closed'
              ELSE 'contacted' END, CASE WHEN fate < 0.6 THEN 'helped' WHEN fate < 0.75
              THEN 'unreachable' END, relay_id, 4, reported_at, reported_at, reported_at,
              (SELECT t.id FROM territories t WHERE t.code = format('T%s-%s',
                   least(floor((lon - :x0) / :dx)::int, :nx - 1),
                   least(floor((lat - :y0) / :dy)::int, :ny - 1))),
              reported_at, newcomer FROM bench_rows""",
    """INSERT INTO referral_events (referral_id, at, actor_role, from_status, to_status,
                                    relay_id, outcome, note_professional, report_note_shared)
       SELECT referral_id, reported_at, 'coordinator', NULL, 'reported', NULL, NULL, false,
              false FROM bench_rows
       UNION ALL SELECT referral_id, reported_at + interval '5 hours', 'coordinator',
              'reported', 'assigned', relay_id, NULL, false, false FROM bench_rows
       UNION ALL SELECT referral_id, reported_at + delay * interval '96 hours', 'relay',
              'assigned', 'contacted', NULL, NULL, false, false FROM bench_rows
       UNION ALL SELECT referral_id, reported_at + interval '6 days', 'relay', 'contacted',
              'referred', NULL, NULL, false, false FROM bench_rows WHERE fate < 0.5
       UNION ALL SELECT referral_id, reported_at + interval '20 days', 'coordinator',
              CASE WHEN fate < 0.5 THEN 'referred' ELSE 'contacted' END, 'closed', NULL,
              CASE WHEN fate < 0.6 THEN 'helped' ELSE 'unreachable' END, false, false
              FROM bench_rows WHERE fate < 0.75""",
    """INSERT INTO contacts (id, referral_id, author_id, at, channel, reached, payload_digest,
                             created_at)
       SELECT gen_random_uuid(), b.referral_id, r.user_id,
              b.reported_at + b.delay * interval '96 hours', 'phone', true,
              '\\x00'::bytea, b.reported_at FROM bench_rows b JOIN relays r ON r.id = b.relay_id""",
    """INSERT INTO follow_ups (id, referral_id, relay_id, closed_at, due_on, done_at,
                               created_at)
       SELECT gen_random_uuid(), referral_id, relay_id, reported_at + interval '20 days',
              (reported_at + interval '50 days')::date,
              CASE WHEN delay < 0.7 THEN reported_at + interval '52 days' END, reported_at
       FROM bench_rows WHERE fate < 0.6""",
    """INSERT INTO wellbeing_measures (id, referral_id, at, moment, answered, lacks_company,
                                       left_out, isolated, networks, payload_digest,
                                       created_at)
       SELECT gen_random_uuid(), referral_id, reported_at + interval '2 days', 'baseline',
              true, 3, 2, 3, '{family}'::varchar[], '\\x00'::bytea, reported_at
       FROM bench_rows WHERE fate < 0.6
       UNION ALL
       SELECT gen_random_uuid(), referral_id, reported_at + interval '52 days', 'follow_up',
              true, 2, 2, 1 + floor(delay * 3)::int, '{family,friends}'::varchar[],
              '\\x00'::bytea, reported_at FROM bench_rows WHERE fate < 0.6 AND delay < 0.7""",
    "DROP TABLE bench_rows",
    "ANALYZE",
]


# The distinct counts of API.md counted straight over a period, per territory (and the
# relays city-wide, `territory_id` null in the second grouping set).
REFERENCE = [
    """SELECT r.territory_id, false AS city, count(DISTINCT r.resident_id) AS persons,
              count(DISTINCT r.resident_id) FILTER (WHERE r.reported_newcomer) AS newcomers
       FROM referrals r WHERE r.reported_at >= :start AND r.reported_at < :end
       GROUP BY r.territory_id""",
    """SELECT r.territory_id, false AS city,
         count(DISTINCT e.referral_id) FILTER (WHERE e.to_status = 'referred') AS oriented,
         count(DISTINCT e.referral_id) FILTER (WHERE e.to_status = 'accepted') AS accepted,
         count(DISTINCT e.referral_id) FILTER (
           WHERE e.to_status = 'closed' AND e.outcome NOT IN ('duplicate', 'opposed')) AS closed,
         count(DISTINCT e.referral_id) FILTER (
           WHERE e.to_status = 'closed' AND e.outcome = 'helped') AS helped,
         count(DISTINCT e.referral_id) FILTER (
           WHERE e.to_status = 'closed' AND e.outcome = 'unreachable') AS unreachable
       FROM referral_events e JOIN referrals r ON r.id = e.referral_id
       WHERE e.at >= :start AND e.at < :end AND e.to_status IN ('referred', 'accepted', 'closed')
         AND e.from_status IS DISTINCT FROM e.to_status
       GROUP BY r.territory_id""",
    """SELECT r.territory_id, GROUPING(r.territory_id) = 1 AS city,
              count(DISTINCT rl.id) AS relays_active
       FROM contacts c JOIN referrals r ON r.id = c.referral_id
       JOIN relays rl ON rl.user_id = c.author_id
       WHERE c.at >= :start AND c.at < :end
       GROUP BY GROUPING SETS ((r.territory_id), ())""",
]


def reference(db, start, end):
    """{territory_id or "city": {kind: count}} counted straight over [start, end)."""
    found = {}
    for statement in REFERENCE:
        for row in db.session.execute(text(statement), {"start": start, "end": end}).mappings():
            counts = found.setdefault("city" if row["city"] else row["territory_id"], {})
            counts.update({k: v for k, v in row.items() if k not in ("territory_id", "city")})
    return found


def check_distinct(app, year):
    """Time `REFERENCE` over the year; check the app's distinct counts equal it."""
    from datetime import date

    from bienveilleurs.extensions import db
    from bienveilleurs.services.evaluation import indicators
    with app.app_context():
        period = indicators.Period(date(year, 1, 1), date(year, 12, 31))
        start = indicators.instant(period.start)
        end = indicators.instant(indicators.next_month(period.end))
        seconds, expected = timed(1, lambda: reference(db, start, end))
        keys = [k for k in expected if k not in ("city", None)] + [None]
        totals, city = indicators._period_parts(period, keys)
        for key in keys:
            for kind, count in expected.get(key, {}).items():
                assert totals[key].get(kind, 0) == count, (key, kind, totals[key], count)
        assert city == expected["city"]["relays_active"], (city, expected["city"])
        db.session.rollback()
    return seconds


def scratch_database(base):
    url = make_url(base)
    name = f"bv_bench_indicators_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, url.set(database=name).render_as_string(hide_password=False)


def build(db, size):
    nx, ny = TERRITORIES
    x0, y0, x1, y1 = AREA
    params = {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "nx": nx, "ny": ny,
              "dx": (x1 - x0) / nx, "dy": (y1 - y0) / ny, "relays": RELAYS, "size": size}
    for table in ("wellbeing_measures", "follow_ups", "indicator_months", "contacts",
                  "referral_events", "referrals", "residents", "relays", "api_tokens",
                  "territories"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(text("DELETE FROM users"))
    db.session.execute(text("SELECT setseed(0.19)"))
    started = time.monotonic()
    for statement in BUILD:
        db.session.execute(text(statement), params)
    db.session.commit()
    return time.monotonic() - started


def timed(rounds, function):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(app, rounds):
    from bienveilleurs.extensions import db
    from bienveilleurs.services.evaluation import rollup
    from tests.factories import make_user
    with app.app_context():
        observer = make_user(role="observer")
        db.session.commit()
        runner = app.test_cli_runner()
        token = runner.invoke(args=["users", "token", observer.email]).output.strip()
        token = token.splitlines()[-1]
        floor, count = timed(rounds, lambda: db.session.execute(text(
            "SELECT count(*) FROM referrals WHERE reported_at >= :a AND reported_at < :b"),
            {"a": f"{YEAR}-01-01", "b": f"{YEAR + 1}-01-01"}).scalar())
        db.session.rollback()
    client = app.test_client()
    path = f"/api/v1/indicators?from={YEAR}-01-01&to={YEAR}-12-31"
    headers = {"Authorization": f"Bearer {token}"}

    def call():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return response.json

    live, body = timed(rounds, call)
    with app.app_context():
        from bienveilleurs import clock
        with clock.frozen(clock.now()):
            freeze, _ = timed(1, rollup.freeze_ended_months)
    frozen, again = timed(rounds, call)
    assert again["all"] == body["all"], "frozen and live differ"
    assert again["territories"] == body["territories"], "frozen and live differ"
    straight = check_distinct(app, YEAR)
    return {"count": count, "floor_s": floor, "live_s": live, "frozen_s": frozen,
            "freeze_s": freeze, "straight_s": straight, "rows": len(body["territories"]),
            "reported": body["all"]["values"]["referrals_reported"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database (to study it)")
    args = parser.parse_args()
    os.environ.setdefault("BIENVEILLEURS_ENV", "test")
    admin, name, url = scratch_database(os.environ["DATABASE_URL"])
    try:
        from flask_migrate import upgrade

        from bienveilleurs import create_app
        from bienveilleurs.extensions import db
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()
        print(f"{os.cpu_count()} cœurs (machine partagée) ; médiane de {args.rounds} appels")
        for size in (int(s) for s in args.sizes.split(",")):
            with app.app_context():
                seconds = build(db, size)
            result = measure(app, args.rounds)
            print(f"{size:>9} orientations (construites en {seconds:.0f} s), "
                  f"{result['rows']} lignes, {result['count']} signalées en {YEAR} : "
                  f"COUNT(*) {result['floor_s'] * 1000:.0f} ms ; API en direct "
                  f"{result['live_s'] * 1000:.0f} ms ; API sur mois figés "
                  f"{result['frozen_s'] * 1000:.0f} ms "
                  f"({result['frozen_s'] / result['floor_s']:.1f}× le COUNT) ; "
                  f"figer les mois {result['freeze_s']:.1f} s ; comptes distincts de l'année "
                  f"par COUNT(DISTINCT) {result['straight_s'] * 1000:.0f} ms "
                  f"({result['straight_s'] / result['floor_s']:.1f}× le COUNT)")
        with app.app_context():
            db.engine.dispose()
    finally:
        if args.keep:
            print(f"base gardée : {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
