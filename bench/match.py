"""Benchmark GET /api/v1/match against its ceilings and against the naive approach.

Prints figures; it is not a test and `make test` never runs it. `make bench` runs it on the
local cluster (DATABASE_URL names any database of it; the benchmark creates its own
databases bv_bench_<size> beside it, builds them with the migrations, and reuses them
while their rows match).

Arms, on the same seeded query points:
  (a) pgbench runs the two SQL statements services/matching.py builds (captured from a real
      call, one pgbench script per query point): the database ceiling;
  (b) bench/bare_app.py under gunicorn: bearer-token check + the same SQL with plain
      psycopg, rows as JSON: the web ceiling;
  (c) GET /api/v1/match of the real app under gunicorn, same workers and threads;
  (d) the naive approach (load every row, Python haversine), small and middle sizes only,
      timed in-process (no HTTP, which flatters it);
  (w) size "city" only: the same app ranking by walking time on a generated city-size street
      network (bench/city_network.py, ~100,000 edges, imported by `flask routing import`),
      beside (c) in the same run on the same points, and where its time goes (walk_arm.py).
HTTP arms run under wrk at 1 and 8 connections, only on 127.0.0.1. (a), (b) and (c) rank by
straight-line distance (ROUTING=none).

    .venv/bin/python bench/match.py --sizes small,middle [--duration 10] [--rounds 1]
"""

import argparse
import glob
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import synthetic  # noqa: E402
import walk_arm  # noqa: E402

BENCH_EMAIL = "banc-essai@bench.invalid"
CONCURRENCIES = (1, 8)
TARGET_P95_MS = 20.0
TARGET_WEB_RATIO = 0.70
TARGET_NAIVE_SPEEDUP = 100.0
NAIVE_SIZES = ("small", "middle")
TARGET_WALK_RATIO = 2.5


def say(*parts):
    print(*parts, flush=True)


# --- database ----------------------------------------------------------------

def libpq_url(url):
    """Turn a SQLAlchemy URL (postgresql+psycopg://) into a libpq one."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def with_dbname(url, dbname):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + dbname))


def ensure_database(base_url, dbname):
    admin = libpq_url(with_dbname(base_url, "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            say(f"  creating database {dbname}")
            conn.execute(f'CREATE DATABASE "{dbname}"')


def app_env(db_url):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db_url,
        "SERVICE_AREA": synthetic.SERVICE_AREA,
        "BIENVEILLEURS_ENV": "production",
        "SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_hex(32),
        "RELAY_MAX_RADIUS_M": "5000",
        "ROUTING": "none",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def migrate(db_url):
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=app_env(db_url),
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("flask db upgrade failed:\n" + done.stdout + done.stderr)


def prepare_data(db_url, size, *, seed, reload):
    from bienveilleurs.services import codes
    want = synthetic.SIZES[size]
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        have = synthetic.counts(conn)
        version = synthetic.loaded_version(conn)
        if not reload and have == want and version == synthetic.expected_version(size, seed):
            say(f"  reusing {have[0]} resources and {have[1]} relays already loaded")
            return
        say(f"  loading {want[0]} resources and {want[1]} relays (COPY)")
        sub_codes = [c for c in codes.thematiques() if codes.SEPARATOR in c]
        synthetic.load(conn, size, seed=seed, categories=sub_codes,
                       audiences=list(codes.publics()), log=say)


# --- query points --------------------------------------------------------------

def query_points(n, seed, size):
    """Return n query strings: 80 % in cities (for "city", in neighbourhoods), 20 % anywhere
    (in the city); 40 % filter by a category."""
    from bienveilleurs.services import codes
    rng = np.random.default_rng(seed + 1)
    lon, lat = synthetic.sampler(size)(rng, n)
    tops = list(codes.top_categories())
    subs = [c for c in codes.thematiques() if codes.SEPARATOR in c]
    queries = []
    for i in range(n):
        args = {"lat": f"{lat[i]:.6f}", "lon": f"{lon[i]:.6f}"}
        draw = rng.random()
        if draw < 0.2:
            args["categories"] = tops[rng.integers(len(tops))]
        elif draw < 0.4:
            args["categories"] = subs[rng.integers(len(subs))]
        queries.append(args)
    return queries


# --- the app, in-process: token, captured SQL, reference answers ---------------------

def in_app(db_url, queries):
    """Issue the bench token, capture the SQL of every query, and keep the app's answers."""
    from psycopg import ClientCursor
    from sqlalchemy import event

    from bienveilleurs import create_app
    from bienveilleurs.extensions import db
    from bienveilleurs.models import User
    from bienveilleurs.services import accounts, matching
    from geo.points import ServiceArea

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url,
                      "SERVICE_AREA": ServiceArea.parse(synthetic.SERVICE_AREA),
                      "RELAY_MAX_RADIUS_M": 5000, "ROUTING": "none"})
    with app.app_context():
        if db.session.scalar(db.select(User.id).where(User.email == BENCH_EMAIL)) is None:
            accounts.create_user(BENCH_EMAIL, role="coordinator",
                                 password=secrets.token_urlsafe(24), display_name="Banc d'essai")
        accounts.revoke_tokens(BENCH_EMAIL)
        token = accounts.issue_token(BENCH_EMAIL, label="bench/match.py")

        captured = []

        class CapturingCursor(psycopg.Cursor):
            """Record what reaches the driver: the matching service runs its statements on
            the session's psycopg connection, below SQLAlchemy's execution events."""

            def execute(self, query, params=None, **kwargs):
                if re.search(r"\bFROM (relays|resources)\b", str(query)):
                    captured.append((query, params))
                return super().execute(query, params, **kwargs)

        def install(dbapi_connection, connection_record):
            dbapi_connection.cursor_factory = CapturingCursor

        db.engine.dispose()
        event.listen(db.engine, "connect", install)
        raw = db.engine.raw_connection()
        mogrifier = ClientCursor(raw.driver_connection)
        scripts, answers, templates = [], [], {}
        grown = 0
        try:
            for args in queries:
                query = matching.parse_match_query(args, area=app.config["SERVICE_AREA"])
                captured.clear()
                answer = matching.match(query, include_relays=True, max_radius_m=5000)
                db.session.rollback()
                # More than 2: a batch grew (too few resources not full among the first
                # rows); the last statement of each kind is the one that answered.
                grown += len(captured) > 2
                by_table = {}
                for statement, params in captured:
                    kind = "relays" if re.search(r"\bFROM relays\b", statement) else "resources"
                    by_table[kind] = (statement, params)
                if set(by_table) != {"relays", "resources"}:
                    raise SystemExit("could not tell the relays statement from the resources one")
                scripts.append([mogrifier.mogrify(s, p) for s, p in (by_table["relays"],
                                                                     by_table["resources"])])
                answers.append(answer)
                for kind, (statement, params) in by_table.items():
                    key = kind + ("_categories" if kind == "resources" and query.categories else "")
                    if key not in templates:
                        templates[key] = template(statement, params, query)
        finally:
            event.remove(db.engine, "connect", install)
            raw.close()
        db.session.remove()
        db.engine.dispose()
    if grown:
        say(f"  {grown} of {len(queries)} points needed a larger batch of rows (too few "
            "resources not full among the first): the bare app, which runs one batch, may "
            "answer them differently")
    return token, scripts, answers, templates


def template(statement, params, query):
    """Describe a captured statement so the bare app can run it for any point."""
    out = {"sql": statement, "params": {}, "lon_keys": [], "lat_keys": [], "categories_key": None}
    for key, value in params.items():
        if isinstance(value, float) and value == query.lon:
            out["lon_keys"].append(key)
        elif isinstance(value, float) and value == query.lat:
            out["lat_keys"].append(key)
        elif isinstance(value, list) and query.categories and value == query.categories:
            out["categories_key"] = key
        out["params"][key] = value
    if not out["lon_keys"] or not out["lat_keys"]:
        raise SystemExit("could not find the point parameters in the captured statement")
    return out


# --- arms ----------------------------------------------------------------------------

def pgbench_binary():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"),
                   key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    return (shutil.which("pgbench")
            or sys.exit("pgbench not found (Debian package postgresql-contrib)"))


def percentiles_ms(latencies_us):
    arr = np.asarray(latencies_us, dtype=float) / 1000.0
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "p99": float(np.percentile(arr, 99)), "mean": float(arr.mean())}


def run_pgbench(db_url, scripts, workdir, conns, duration, warmup):
    parts = urllib.parse.urlsplit(libpq_url(db_url))
    env = dict(os.environ, PGHOST=parts.hostname, PGPORT=str(parts.port or 5432),
               PGUSER=urllib.parse.unquote(parts.username or ""),
               PGPASSWORD=urllib.parse.unquote(parts.password or ""),
               PGDATABASE=parts.path.lstrip("/"))
    files = []
    for i, (relays_sql, resources_sql) in enumerate(scripts):
        path = workdir / f"match_{i:03d}.sql"
        path.write_text(relays_sql.strip() + ";\n" + resources_sql.strip() + ";\n",
                        encoding="utf-8")
        files += ["-f", f"{path}@1"]
    base = [pgbench_binary(), "-n", "-M", "prepared", "-c", str(conns), "-j", str(min(conns, 2))]
    if warmup:
        subprocess.run(base + ["-T", str(warmup)] + files, env=env, capture_output=True, check=True)
    logdir = workdir / f"pglog_c{conns}_{time.monotonic_ns()}"
    logdir.mkdir()
    done = subprocess.run(base + ["-T", str(duration), "-l", "--log-prefix", str(logdir / "log")]
                          + files, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("pgbench failed:\n" + done.stdout[-2000:] + done.stderr[-2000:])
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)",
                          done.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latencies = []
    for log in logdir.iterdir():
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]))
    shutil.rmtree(logdir)
    return {"rps": tps, "errors": int(failed.group(1)) if failed else 0,
            **percentiles_ms(latencies)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn process on 127.0.0.1, stopped with its process group."""

    def __init__(self, name, app_spec, env, workdir, *, workers, threads, extra=(), root=ROOT):
        self.name = name
        self.port = free_port()
        self.log = open(workdir / f"{name}.log", "w")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.proc = subprocess.Popen(
            [gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--worker-class", "gthread",
             # One request per connection, as from a reverse proxy without upstream
             # keep-alive: wrk's 8 kept-alive connections would otherwise be shared out once
             # between the workers (7 + 1 as often as 4 + 4), and the figures of either
             # server swung by half from one run to the next.
             "--keep-alive", "0", *extra, app_spec],
            cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited; see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + path, timeout=2)
                return
            except urllib.error.HTTPError:
                return  # answering (401 without a token)
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start; see {self.log.name}")

    def workers_rss_mib(self):
        """Resident memory of each worker process (children of the gunicorn master)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            kib = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            sizes.append(int(kib.group(1)) / 1024 if kib else float("nan"))
        return sizes

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def get_json(url, token):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def run_wrk(base_url, paths_file, token, conns, duration, warmup):
    wrk = shutil.which("wrk") or sys.exit("wrk not found: apt-get install wrk")
    cmd = [wrk, "-t1", f"-c{conns}", "--latency", "--timeout", "10s",
           "-s", str(HERE / "rotate.lua"), base_url, "--", str(paths_file), token]
    if warmup:
        subprocess.run(cmd[:3] + [f"-d{warmup}s"] + cmd[3:], capture_output=True, check=True)
    done = subprocess.run(cmd[:3] + [f"-d{duration}s"] + cmd[3:], capture_output=True, text=True)
    line = re.search(r"^BENCH (.*)$", done.stdout, re.M)
    if done.returncode != 0 or not line:
        raise SystemExit("wrk failed:\n" + done.stdout + done.stderr)
    f = {k: float(v) for k, v in (kv.split("=") for kv in line.group(1).split())}
    return {"rps": f["requests"] / (f["duration_us"] / 1e6), "p50": f["p50_us"] / 1000,
            "p95": f["p95_us"] / 1000, "p99": f["p99_us"] / 1000, "mean": f["mean_us"] / 1000,
            "errors": int(f["bad_status"] + f["socket_errors"]), "requests": int(f["requests"])}


def naive_match(conn, lon, lat, categories, limit):
    """The approach the index replaces: fetch every row, measure each, sort in Python."""
    from geo.distance import haversine_m
    wanted = set(categories)
    resources = []
    for rid, _name, cats, rlon, rlat in conn.execute(
            "SELECT r.id::text, r.name, r.categories, "
            "ST_X(r.point::geometry), ST_Y(r.point::geometry) "
            "FROM resources r WHERE r.active AND r.point IS NOT NULL"):
        if wanted and not wanted.intersection(cats):
            continue
        resources.append((haversine_m(lon, lat, rlon, rlat), rid))
    relays = []
    for rid, rlon, rlat, radius, capacity, load, status in conn.execute(
            "SELECT id::text, ST_X(point::geometry), ST_Y(point::geometry), radius_m, capacity, "
            "active_referrals, status FROM relays"):
        if status != "active" or load >= capacity:
            continue
        d = haversine_m(lon, lat, rlon, rlat)
        if d <= radius:
            relays.append((d, rid))
    return ([rid for _, rid in sorted(relays)[:limit]],
            [rid for _, rid in sorted(resources)[:limit]])


def timed_get(url, token, repeat=3):
    """Return the median wall time in ms of `repeat` sequential GETs of url (one client)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        get_json(url, token)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_naive(db_url, queries, answers, n_points, *, app_url, token):
    """Time the naive search on the first points, each followed by the app on the same point.

    Interleaving keeps both under the same machine load, so the speed ratio holds even on a
    shared, noisy machine; the naive search runs in-process (no HTTP), which flatters it.
    """
    from bienveilleurs.services.codes import expand_categories
    times, app_times, mismatches = [], [], 0
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        for args, answer in list(zip(queries, answers, strict=True))[:n_points]:
            cats = expand_categories([args["categories"]]) if "categories" in args else []
            started = time.perf_counter()
            relays, resources = naive_match(conn, float(args["lon"]), float(args["lat"]), cats, 5)
            times.append(time.perf_counter() - started)
            app_times.append(timed_get(app_url + "/api/v1/match?" + urllib.parse.urlencode(args),
                                       token))
            if (relays != [r["id"] for r in answer["relays"]]
                    or resources != [r["id"] for r in answer["resources"]]):
                mismatches += 1
    ms = [t * 1000 for t in times]
    return {"rps": 1000 / statistics.mean(ms), "mean": statistics.mean(ms),
            "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
            "p99": float(np.percentile(ms, 99)), "errors": 0, "points": len(ms),
            "mismatches": mismatches, "app_mean": statistics.mean(app_times),
            "speedup": statistics.mean(ms) / statistics.mean(app_times)}


def check_walks(walker, paths, token):
    """Every query point once on the walking app: 200s; return the items with a walk."""
    walked = 0
    for path in paths:
        got = get_json(walker.url + "/api/v1/match?" + path, token)
        walked += sum(1 for lst in ("relays", "resources") for item in got[lst]
                      if item["routing"] == "walk")
    return walked


def check_answers(bare, app, paths, token, answers):
    """Every query point, once, on both servers: 200s, and the same ids in the same order."""
    differ = 0
    for path, answer in zip(paths, answers, strict=True):
        got_app = get_json(app.url + "/api/v1/match?" + path, token)
        got_bare = get_json(bare.url + "/match?" + path, token)
        want = ([r["id"] for r in answer["relays"]], [r["id"] for r in answer["resources"]])
        for got in (got_app, got_bare):
            if ([r["id"] for r in got["relays"]], [r["id"] for r in got["resources"]]) != want:
                differ += 1
    return differ


def median_run(runs):
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def cpu_snapshot():
    """Return CPU clock ticks so far: (busy on the whole machine, spent by this benchmark).

    "This benchmark" is this process and its descendants (servers, wrk, pgbench) plus every
    PostgreSQL process; children that ended are counted in their parent's totals.
    The difference between two snapshots shows what other processes took meanwhile: the
    load average cannot, since the benchmark alone keeps it near 6 on 2 cores.
    """
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]  # minus idle and iowait
    parents, used = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        # utime, stime, cutime, cstime
        used[pid] = (sum(int(v) for v in fields[11:15]), comm)
    ours = 0
    for pid, (ticks_used, comm) in used.items():
        ancestor = pid
        while ancestor > 1 and ancestor != os.getpid():
            ancestor = parents.get(ancestor, 0)
        if ancestor == os.getpid() or comm == "postgres":
            ours += ticks_used
    return busy, ours, time.monotonic()


def others_share(before, after):
    """Share of the machine's CPU taken by other processes between two snapshots."""
    if not before or not after:
        return float("nan")
    elapsed_ticks = (after[2] - before[2]) * os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1)
    others = (after[0] - before[0]) - (after[1] - before[1])
    return max(0.0, others / elapsed_ticks)


def bench_size(size, base_url, args, workdir):
    dbname = f"bv_bench_{size}"
    db_url = with_dbname(base_url, dbname)
    say(f"\n=== {size}: {synthetic.SIZES[size][0]} resources, {synthetic.SIZES[size][1]} relays "
        f"(database {dbname})")
    ensure_database(base_url, dbname)
    migrate(db_url)
    prepare_data(db_url, size, seed=args.seed, reload=args.reload)

    network = None
    if size == "city":
        network = walk_arm.import_network(db_url, workdir, app_env(db_url), say)
    queries = query_points(args.points, args.seed, size)
    paths = [urllib.parse.urlencode(q) for q in queries]
    token, scripts, answers, templates = in_app(db_url, queries)
    found = sum(1 for a in answers if a["relays"]), sum(1 for a in answers if a["resources"])
    say(f"  {len(queries)} query points ({sum('categories' in q for q in queries)} with "
        f"categories); points with relays found: {found[0]}, with resources: {found[1]}")

    sizedir = workdir / size
    sizedir.mkdir()
    (sizedir / "statements.json").write_text(json.dumps(templates), encoding="utf-8")
    (sizedir / "app_paths.txt").write_text("".join(f"/api/v1/match?{p}\n" for p in paths))
    (sizedir / "bare_paths.txt").write_text("".join(f"/match?{p}\n" for p in paths))

    results = {"a": {}, "b": {}, "c": {}, "d": None, "w": {}, "network": network}
    env = app_env(db_url)
    env.update({"BENCH_DSN": libpq_url(db_url), "BENCH_SQL": str(sizedir / "statements.json")})
    sizing = {"workers": args.workers, "threads": args.threads}
    bare = Server(f"bare_{size}", "bare_app:app", env, sizedir,
                  extra=("--pythonpath", str(HERE)), **sizing)
    app = Server(f"app_{size}", "wsgi:app", env, sizedir, **sizing)
    walker = (Server(f"walk_{size}", "wsgi:app", {**env, "ROUTING": "walk"}, sizedir, **sizing)
              if network is not None else None)
    try:
        bare.wait_ready("/match")
        app.wait_ready("/api/v1/match")
        differ = check_answers(bare, app, paths, token, answers)
        if walker:
            walker.wait_ready("/api/v1/match")
            walked = check_walks(walker, paths, token)
            say(f"  walking app: {len(paths)} points answered, {walked} items with a walking "
                "time")
        cpu_before = cpu_snapshot()
        say(f"  answers checked on both servers: {len(paths)} points, {differ} differing")
        for conns in CONCURRENCIES:
            runs = {"a": [], "b": [], "c": []}
            if walker:
                runs["w"] = []
            for _ in range(args.rounds):
                runs["a"].append(run_pgbench(db_url, scripts, sizedir, conns, args.duration,
                                             args.warmup))
                runs["b"].append(run_wrk(bare.url, sizedir / "bare_paths.txt", token, conns,
                                         args.duration, args.warmup))
                runs["c"].append(run_wrk(app.url, sizedir / "app_paths.txt", token, conns,
                                         args.duration, args.warmup))
                if walker:
                    runs["w"].append(run_wrk(walker.url, sizedir / "app_paths.txt", token,
                                             conns, args.duration, args.warmup))
            for arm in runs:
                results[arm][conns] = median_run(runs[arm])
                say(f"  ({arm}) {conns} conn: {fmt_run(results[arm][conns])}")
        results["others"] = others_share(cpu_before, cpu_snapshot())
        if walker:
            results["rss"] = {"c": app.workers_rss_mib(), "w": walker.workers_rss_mib()}
            walker.stop()
            results["profile"] = walk_arm.summary(
                walk_arm.profile(db_url, queries, synthetic.SERVICE_AREA))
            for line in results["profile"]:
                say("  (w) " + line)
        if size in NAIVE_SIZES and not args.no_naive:
            results["d"] = run_naive(db_url, queries, answers, args.naive_points, app_url=app.url,
                                     token=token)
            d = results["d"]
            say(f"  (d) naive: {d['points']} points, mean {d['mean']:.0f} ms per query in-process; "
                f"the app on the same points, interleaved: {d['app_mean']:.1f} ms over HTTP; "
                f"{d['mismatches']} answers differing from the app's")
    finally:
        bare.stop()
        app.stop()
        if walker:
            walker.stop()
    results["check_differ"] = differ
    return results


def fmt_run(r):
    return (f"{r['rps']:.0f} req/s, p50 {r['p50']:.2f} ms, p95 {r['p95']:.2f} ms, "
            f"p99 {r['p99']:.2f} ms, errors {r['errors']}")


# --- report ---------------------------------------------------------------------------

ARM_LABELS = {
    "a": "(a) pgbench, the 2 SQL statements",
    "b": "(b) bare Flask + psycopg (web ceiling)",
    "c": "(c) GET /api/v1/match (the app)",
    "d": "(d) naive: every row, Python haversine",
    "w": "(w) GET /api/v1/match, walking time",
}


def machine_note():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}")


def report(all_results, args, versions):
    say("\n" + "=" * 100)
    say(f"Matching benchmark — {machine_note()}; {versions}")
    say(f"gunicorn --workers {args.workers} --threads {args.threads} (gthread) --keep-alive 0 "
        "for (b) and (c); "
        f"wrk -t1, {args.duration} s per run after {args.warmup} s warm-up, "
        f"median of {args.rounds} round(s); {args.points} query points, limit 5; "
        "client, servers and PostgreSQL share the cores.")
    lines = ["| size | arm | conns | req/s | p50 ms | p95 ms | p99 ms |",
             "|---|---|---:|---:|---:|---:|---:|"]
    verdicts = []
    for size, res in all_results.items():
        n_res, n_rel = synthetic.SIZES[size]
        label = (f"{size} ({n_res // 1000}k / "
                 f"{n_rel // 1000 if n_rel >= 1000 else n_rel}{'k' if n_rel >= 1000 else ''})")
        for arm in "abcw":
            for conns in CONCURRENCIES if res[arm] else ():
                r = res[arm][conns]
                lines.append(f"| {label} | {ARM_LABELS[arm]} | {conns} | {r['rps']:.0f} | "
                             f"{r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} |")
        if res["d"]:
            d = res["d"]
            lines.append(f"| {label} | {ARM_LABELS['d']} | 1 | {d['rps']:.2f} | {d['p50']:.0f} | "
                         f"{d['p95']:.0f} | {d['p99']:.0f} |")
        ratio = {c: res["c"][c]["rps"] / res["b"][c]["rps"] for c in CONCURRENCIES}
        ceiling = {c: res["c"][c]["rps"] / res["a"][c]["rps"] for c in CONCURRENCIES}
        text = (f"{size}: (c)/(b) throughput {ratio[1]:.0%} at 1 conn, {ratio[8]:.0%} at 8 conns; "
                f"(c)/(a) {ceiling[1]:.0%} / {ceiling[8]:.0%}")
        speedup = None
        if res["d"]:
            speedup = res["d"]["speedup"]
            text += (f"; (c)/(d) speed {speedup:.0f}x "
                     f"(naive mean {res['d']['mean']:.0f} ms in-process "
                     f"vs app mean {res['d']['app_mean']:.1f} ms over HTTP, same points, "
                     "interleaved; against the wrk mean at 1 conn: "
                     f"{res['d']['mean'] / res['c'][1]['mean']:.0f}x)")
        verdicts.append(text)
        if size in ("middle", "large"):
            p95 = res["c"][8]["p95"]
            verdicts.append(f"  target p95 < {TARGET_P95_MS:.0f} ms at 8 conns: {p95:.2f} ms — "
                            f"{'met' if p95 < TARGET_P95_MS else 'NOT met'}")
            verdicts.append(f"  target (c) >= {TARGET_WEB_RATIO:.0%} of (b) at 8 conns: "
                            f"{ratio[8]:.0%} — "
                            f"{'met' if ratio[8] >= TARGET_WEB_RATIO else 'NOT met'}")
            if size == "middle" and speedup is not None:
                verdicts.append(f"  target (c) >= {TARGET_NAIVE_SPEEDUP:.0f}x faster than (d): "
                                f"{speedup:.0f}x — "
                                f"{'met' if speedup >= TARGET_NAIVE_SPEEDUP else 'NOT met'}")
        if res["w"]:
            verdicts.extend(walk_verdicts(res))
        verdicts.append("  CPU taken by other processes during the measured runs: "
                        f"{res['others']:.0%} of the machine "
                        "(above a few per cent, the figures are not fair)")
        errors = sum(res[arm][c]["errors"] for arm in "abcw" if res[arm] for c in CONCURRENCIES)
        verdicts.append(f"  errors during runs: {errors}; answers differing between app, bare app "
                        f"and in-process service: {res['check_differ']}"
                        + (f"; naive answers differing: {res['d']['mismatches']}"
                           if res["d"] else ""))
    say("\n".join(lines))
    say("")
    say("\n".join(verdicts))


def walk_verdicts(res):
    """The walking arm against (c), measured in the same run on the same points."""
    lines = [f"  network: {res['network']}"]
    for conns in CONCURRENCIES:
        w, c = res["w"][conns], res["c"][conns]
        lines.append(f"  (w)/(c) at {conns} conn: mean latency {w['mean'] / c['mean']:.2f}x "
                     f"({w['mean']:.2f} vs {c['mean']:.2f} ms), p95 {w['p95'] / c['p95']:.2f}x, "
                     f"throughput {w['rps'] / c['rps']:.0%}")
    ratio = res["w"][1]["mean"] / res["c"][1]["mean"]
    if res.get("rss"):
        lines.append("  memory per worker after the runs (RSS): (w) "
                     + ", ".join(f"{m:.0f}" for m in res["rss"]["w"]) + " MiB; (c) "
                     + ", ".join(f"{m:.0f}" for m in res["rss"]["c"]) + " MiB")
    lines.append(f"  target (w) <= {TARGET_WALK_RATIO}x (c) latency at 1 conn: {ratio:.2f}x — "
                 f"{'met' if ratio <= TARGET_WALK_RATIO else 'NOT met'}")
    lines.extend("  (w) " + line for line in res.get("profile", []))
    return lines


def versions(base_url):
    with psycopg.connect(libpq_url(base_url), autocommit=True) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    return f"PostgreSQL {pg}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="small,middle,city",
                        help="comma-separated: small (5k/300), middle (140k/10k), large (1M/100k), "
                             "city (5k/300 in one city, with the walking arm)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs per arm and concurrency (median kept)")
    parser.add_argument("--points", type=int, default=100,
                        help="query points (at most 128: pgbench scripts)")
    parser.add_argument("--naive-points", type=int, default=10)
    parser.add_argument("--no-naive", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reload", action="store_true",
                        help="reload the data even if it looks loaded")
    parser.add_argument("--load-only", action="store_true",
                        help="build and load the databases, measure nothing")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in synthetic.SIZES]
    if unknown:
        parser.error(f"unknown size(s): {', '.join(unknown)}")
    if not 1 <= args.points <= 128:
        parser.error("--points must be between 1 and 128")
    base_url = (os.environ.get("DATABASE_URL")
                or sys.exit("DATABASE_URL is not set (make bench sets it)"))
    # The app insists on DATABASE_URL at import of its config; keep the environment consistent.
    os.environ.setdefault("BIENVEILLEURS_ENV", "development")

    if args.load_only:
        for size in sizes:
            dbname = f"bv_bench_{size}"
            say(f"=== {size} (database {dbname})")
            ensure_database(base_url, dbname)
            migrate(with_dbname(base_url, dbname))
            prepare_data(with_dbname(base_url, dbname), size, seed=args.seed, reload=args.reload)
        return
    # `kill` (SIGTERM) unwinds like Ctrl-C, so the gunicorn servers are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("interrupted"))
    all_results = {}
    with tempfile.TemporaryDirectory(prefix="bv-bench-") as tmp:
        for size in sizes:
            all_results[size] = bench_size(size, base_url, args, Path(tmp))
    report(all_results, args, versions(base_url))


if __name__ == "__main__":
    main()
