"""Benchmark check-in campaigns: launching for 10,000 registered people, then calls posted
from many phones at once, against GET /api/v1/me in the same run.

Prints figures; it is not a test and `make test` never runs it. It builds a database of its
own (bv_bench_campaign) beside DATABASE_URL's, with the migrations, every run:
  (1) seed: territories, relays with accounts, people on the watch register (seeded, in
      the Le Havre area, some outside every territory), then ANALYZE;
  (2) launch: `services.campaigns.launch` in-process by a city-wide coordinator, timed
      (target ≤ 5 s), with its counts;
  (3) calls: POST /api/v1/campaigns/{id}/checks/{check_id}/calls under wrk at 8 connections,
      a new client UUID each (bench/calls.lua); target ≥ 200 calls/s. The rows stored are
      counted: as many as the calls wrk saw answered, plus at most one per connection (a
      request still in flight when wrk stops is answered and stored, but not counted);
  (4) GET /api/v1/me under wrk at 8 connections on the same server: the ratio;
  (5) replays: 50 fixed calls posted again and again at 8 connections: 50 rows stored.
With --rounds N, (3) and (4) alternate N times (medians reported). With --baseline DIR (the
source tree of another commit: `git archive main | tar -x -C DIR`), a second server runs
that code on the same database, and its calls are measured in each round beside this code's:
on a shared machine, the ratio between the two in the same run is the comparison that holds.

    DATABASE_URL=... .venv/bin/python bench/campaign.py [--people 10000] [--relays 600]
        [--rounds 3] [--baseline DIR]
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from match import (  # noqa: E402
    Server,
    cpu_snapshot,
    libpq_url,
    migrate,
    others_share,
    say,
    with_dbname,
)

DBNAME = "bv_bench_campaign"
AREA = (0.07, 49.46, 0.21, 49.54)   # lon/lat box of the seeded points (Le Havre)
TARGET_LAUNCH_S = 5.0
TARGET_CALLS_PER_S = 200.0


def fresh_database(base_url):
    admin = libpq_url(with_dbname(base_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DBNAME}"')
    return with_dbname(base_url, DBNAME)


def env_for(db_url):
    env = dict(os.environ)
    env.update({"DATABASE_URL": db_url, "BIENVEILLEURS_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32), "PYTHONUNBUFFERED": "1",
                "LOG_FORMAT": "text"})
    return env


def _points(rng, n):
    return np.column_stack([rng.uniform(AREA[0], AREA[2], n), rng.uniform(AREA[1], AREA[3], n)])


def seed(n_people, n_relays, rng):
    """Territories, relays with accounts, registered people; return the coordinator."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, box
    from sqlalchemy import insert

    from bienveilleurs import clock
    from bienveilleurs.extensions import db
    from bienveilleurs.models import Relay, Resident, Territory, User, WatchEntry
    from geo.points import stored_point
    now = clock.now()
    for i, (x, y) in enumerate(((0.08, 49.47), (0.12, 49.47), (0.08, 49.50), (0.12, 49.50))):
        db.session.add(Territory(name=f"Secteur {i + 1}", code=f"S{i + 1}", area=from_shape(
            MultiPolygon([box(x, y, x + 0.04, y + 0.03)]), srid=4326)))
    coordinator = User(email="coordination@bench.invalid", role="coordinator",
                       display_name="Coordination", active=True)
    db.session.add(coordinator)
    user_ids = [uuid.uuid4() for _ in range(n_relays)]
    db.session.execute(insert(User), [
        {"id": uid, "email": f"relais{i}@bench.invalid", "role": "relay",
         "display_name": f"Relais {i}", "active": True} for i, uid in enumerate(user_ids)])
    db.session.execute(insert(Relay), [
        {"user_id": uid, "display_name": f"Relais {i}", "point": stored_point(lon, lat),
         "radius_m": int(rng.integers(800, 2500)), "capacity": 3, "status": "active"}
        for i, (uid, (lon, lat)) in enumerate(zip(user_ids, _points(rng, n_relays),
                                                  strict=True))])
    people = [uuid.uuid4() for _ in range(n_people)]
    db.session.execute(insert(Resident), [
        {"id": rid, "pseudonym": f"P{i}", "point": stored_point(lon, lat),
         "approx_point": stored_point(round(lon, 3), round(lat, 3)), "phone": "02 35 00 00 00",
         "consent_at": now} for i, (rid, (lon, lat)) in enumerate(zip(
             people, _points(rng, n_people), strict=True))])
    db.session.execute(insert(WatchEntry), [
        {"resident_id": rid, "reasons": ["over_65"], "consent_at": now, "confirmed_at": now,
         "created_at": now} for rid in people])
    db.session.commit()
    # A register built over months has its statistics (autovacuum): so has this one.
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return coordinator


def launch(coordinator):
    from bienveilleurs import clock
    from bienveilleurs.services import campaigns
    body = {"id": str(uuid.uuid4()), "kind": "heatwave", "title": "Canicule (banc d'essai)",
            "deadline": (clock.now() + timedelta(hours=6)).isoformat()}
    started = time.perf_counter()
    launched = campaigns.launch(coordinator, body)
    return launched, time.perf_counter() - started


CONNECTIONS = 8
REPLAYED = 50


def run_wrk(url, script, args, duration, conns=CONNECTIONS):
    wrk = shutil.which("wrk") or sys.exit("wrk not found: apt-get install wrk")
    cmd = [wrk, "-t1", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "10s",
           "-s", str(HERE / script), url, "--", *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    line = re.search(r"^BENCH (.*)$", done.stdout, re.M)
    if done.returncode != 0 or not line:
        raise SystemExit("wrk failed:\n" + done.stdout + done.stderr)
    f = {k: float(v) for k, v in (kv.split("=") for kv in line.group(1).split())}
    ok = int(f["requests"] - f["bad_status"] - f["socket_errors"])
    return {"rps": f["requests"] / (f["duration_us"] / 1e6), "p50": f["p50_us"] / 1000,
            "p95": f["p95_us"] / 1000, "requests": int(f["requests"]), "ok": ok,
            "errors": int(f["bad_status"] + f["socket_errors"])}


def _median(runs, key):
    return sorted(r[key] for r in runs)[len(runs) // 2]


def _ms(runs):
    return (f"{_median(runs, 'rps'):.0f}/s (p50 {_median(runs, 'p50'):.1f} ms, "
            f"p95 {_median(runs, 'p95'):.1f} ms)")


def _call_files(workdir, cid, check_ids, runs):
    """One list of paths per run of calls, each starting elsewhere in the campaign: no run
    calls again the people an earlier one called (while it posts fewer than its share)."""
    files = []
    for k in range(runs):
        shift = k * len(check_ids) // runs
        order = check_ids[shift:] + check_ids[:shift]
        path = workdir / f"calls-{k}.txt"
        path.write_text("".join(f"/api/v1/campaigns/{cid}/checks/{c}/calls\n" for c in order))
        files.append(path)
    return files


def measure(servers, workdir, files, token, at, args):
    """Rounds of: calls on each server (this code first, then the baseline's; the other
    way round every other round), then GET /api/v1/me on this code's; then the replays.
    Returns the runs by name."""
    runs = {name: [] for name in servers}
    runs["me"] = []
    paths = iter(files)
    for k in range(args.rounds):
        for name, server in list(servers.items())[::-1 if k % 2 else 1]:
            runs[name].append(run_wrk(server.url, "calls.lua", [str(next(paths)), token, at],
                                      args.duration))
        runs["me"].append(run_wrk(servers["app"].url, "rotate.lua",
                                  [str(workdir / "me.txt"), token], args.duration))
    runs["replays"] = [run_wrk(servers["app"].url, "calls.lua",
                               [str(files[0]), token, at, str(REPLAYED)],
                               max(2, args.duration // 2))]
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--relays", type=int, default=600)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--baseline", type=Path, help="the source tree of another commit "
                        "(git archive main | tar -x -C DIR): its calls measured in the same "
                        "rounds, on the same database")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL") or sys.exit("DATABASE_URL is not set")
    db_url = fresh_database(base)
    migrate(db_url)
    env = env_for(db_url)
    os.environ.update(env)
    from sqlalchemy import func, select

    from bienveilleurs import clock, create_app
    from bienveilleurs.extensions import db
    from bienveilleurs.models import CampaignCall, CampaignCheck
    from bienveilleurs.services import accounts
    app = create_app()
    with app.app_context():
        say(f"seeding {args.people} registered people and {args.relays} relays")
        coordinator = seed(args.people, args.relays, np.random.default_rng(20))
        before = cpu_snapshot()
        launched, seconds = launch(coordinator)
        launch_others = others_share(before, cpu_snapshot())
        counts = launched.counts
        say(f"launch: {seconds:.2f} s for {counts['people']} checks (own relay "
            f"{counts['own_relay']}, nearest {counts['nearest_relay']}, unassigned "
            f"{counts['unassigned']}) — target ≤ {TARGET_LAUNCH_S:.0f} s; other processes took "
            f"{launch_others:.0%} of the CPU meanwhile")
        token = accounts.issue_token(coordinator.email, label="banc d'essai")
        check_ids = db.session.scalars(select(CampaignCheck.id).where(
            CampaignCheck.campaign_id == launched.campaign.id).order_by(CampaignCheck.id)).all()
        at = clock.now().isoformat()
        cid = launched.campaign.id
    workdir = Path(tempfile.mkdtemp(prefix="bench-campaign-"))
    (workdir / "me.txt").write_text("/api/v1/me\n")
    servers = {"app": Server("app", "wsgi:app", env, workdir, workers=args.workers,
                             threads=args.threads)}
    if args.baseline:
        root = args.baseline.resolve()
        servers["baseline"] = Server("baseline", "wsgi:app", {**env, "PYTHONPATH": str(root)},
                                     workdir, workers=args.workers, threads=args.threads,
                                     root=root)
    files = _call_files(workdir, cid, check_ids, args.rounds * len(servers))
    try:
        for server in servers.values():
            server.wait_ready("/api/v1/me")
        before = cpu_snapshot()
        runs = measure(servers, workdir, files, token, at, args)
        wrk_others = others_share(before, cpu_snapshot())
    finally:
        for server in servers.values():
            server.stop()
    with app.app_context():  # every request answered now, those in flight at wrk's stop too
        replay_ids = CampaignCall.id.in_([uuid.UUID(f"00000000-0000-4000-8000-{i:012d}")
                                          for i in range(REPLAYED)])
        stored = db.session.scalar(select(func.count()).where(~replay_ids))
        replayed = db.session.scalar(select(func.count()).where(replay_ids))
    report(runs, stored, replayed, args, wrk_others, workdir)


def report(runs, stored, replayed, args, wrk_others, workdir):
    calls = [r for name in runs if name not in ("me", "replays") for r in runs[name]]
    answered = sum(r["ok"] for r in calls)
    in_flight, most = stored - answered, CONNECTIONS * len(calls)
    me, replays = _median(runs["me"], "rps"), runs["replays"][0]
    rounds = f"median of {args.rounds} rounds" if args.rounds > 1 else "one round"
    say(f"calls at {CONNECTIONS} connections ({rounds}): {_ms(runs['app'])}, {answered} "
        f"answered in all, {sum(r['errors'] for r in calls)} errors; stored {stored} "
        f"(answered + {in_flight} in flight at the stops, at most {most}: "
        f"{0 <= in_flight <= most}) — target ≥ {TARGET_CALLS_PER_S:.0f}/s")
    if "baseline" in runs:
        say(f"calls of the baseline ({args.baseline}), same rounds: {_ms(runs['baseline'])}; "
            f"this code / baseline = "
            f"{_median(runs['app'], 'rps') / _median(runs['baseline'], 'rps'):.2f}")
    say(f"replays: {replays['requests']} posts of {REPLAYED} calls at {CONNECTIONS} connections "
        f"({replays['rps']:.0f}/s, {replays['errors']} errors): {replayed} rows stored "
        f"(each once: {replayed == min(REPLAYED, replays['requests'])})")
    say(f"GET /api/v1/me at {CONNECTIONS} connections: {me:.0f}/s "
        f"(p50 {_median(runs['me'], 'p50'):.1f} ms); calls / me = "
        f"{_median(runs['app'], 'rps') / me:.2f}"
        + (f", baseline's calls / me = {_median(runs['baseline'], 'rps') / me:.2f}"
           if "baseline" in runs else ""))
    if args.rounds > 1:
        say("each round (req/s): " + "; ".join(
            f"{name} " + ", ".join(f"{r['rps']:.0f}" for r in runs[name])
            for name in runs if name != "replays"))
    say(f"machine: {os.cpu_count()} CPUs, shared with other work (other processes took "
        f"{wrk_others:.0%} of the CPU during the wrk runs); gunicorn {args.workers} "
        f"workers × {args.threads} threads; logs in {workdir}")


if __name__ == "__main__":
    main()
