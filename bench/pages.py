"""Time the coordinators' pages at the size of a city and of the whole country.

Builds two databases beside DATABASE_URL's with bench/world.py (« city », « national »),
serves each with gunicorn (2 workers × 4 threads, as bench/match.py), and asks every page
of the list below, as each role, in interleaved rounds (city then national, page after
page), so that the noise of a shared machine falls on both sizes alike. Prints, per page
and role: the median time, the size of the answer, the SQL statements it sent (counted
in-process where they reach the driver, matching included), and the national/city ratio;
then the share of the CPU other processes took meanwhile.

    DATABASE_URL=$(scripts/dev.sh db) .venv/bin/python bench/pages.py \
        [--rounds 7] [--reload] [--load-only] [--worlds city,national] [--before REF]

`--before REF` also serves the code of git revision REF (a temporary worktree, the same
virtualenv and the same databases, migrated to this tree's head) in the same interleaved
rounds, so that before and after are measured on the same data at the same moment.

Prints figures; it is not a test and `make test` never runs it.
"""

import argparse
import math
import os
import re
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

import match  # noqa: E402
import psycopg  # noqa: E402
import world  # noqa: E402

WORLDS = ("city", "national")
TARGET_MS = 300.0
TARGET_KB = 300.0
TARGET_RATIO = 3.0
ASSIGN = "assign"  # the one-click assignment: POST, then the inbox it returns to
CATEGORY = "sante--sante-mentale"


def pages(deep_page, views=None):
    """(label, account, path) of every page of the issue's table, per role; `views`
    ({account: (overview query, close-up query)}, `map_views`) adds what the maps fetch."""
    t, c, a = "territorial", "citywide", "admin"
    fetched = []
    for role, (overview, close) in (views or {}).items():
        fetched += [("« Carte » : points, vue d'ensemble", role,
                     f"/coordination/carte/points?{overview}"),
                    ("« Carte » : points, un quartier", role,
                     f"/coordination/carte/points?{close}"),
                    ("« Couverture » : carte, vue d'ensemble", role,
                     f"/couverture/carte?{overview}"),
                    ("« Couverture » : carte, un quartier", role, f"/couverture/carte?{close}")]
    return fetched + [
        ("« À attribuer »", t, "/coordination/a-attribuer"),
        ("« À attribuer »", c, "/coordination/a-attribuer"),
        ("attribution en un clic (POST puis la liste)", t, ASSIGN),
        ("« En attente »", t, "/coordination/en-attente"),
        ("« En attente »", c, "/coordination/en-attente"),
        ("« Carte »", t, "/coordination/carte"),
        ("« Carte »", c, "/coordination/carte"),
        ("« Couverture »", t, "/couverture/"),
        ("« Couverture »", c, "/couverture/"),
        ("admin « Territoires »", a, "/admin/territoires"),
        ("/hsds/services page 1", None, "/hsds/services"),
        ("/hsds/services page profonde", None, f"/hsds/services?page={deep_page}"),
        ("/gestion/", c, "/gestion/"),
        ("recherche avec filtres", c,
         f"/ressources?lat=49.4944&lon=0.1079&categories={CATEGORY}&accessible=y"),
    ]


# A phone's map (390 x 844 px), in degrees at zoom 0 (256 px for 360 degrees of longitude).
PHONE_PX = (390, 844)


def _view(west, south, east, north, zoom=None):
    """The query a phone's map sends for this box: at the zoom it fits in (when not given)."""
    if zoom is None:
        span = max(east - west, (north - south) * PHONE_PX[0] / PHONE_PX[1], 1e-6)
        zoom = max(0, min(18, int(math.log2(PHONE_PX[0] * 360 / 256 / span))))
    return f"zone={west:.5f},{south:.5f},{east:.5f},{north:.5f}&zoom={zoom}"


def map_views(url):
    """{account: (overview, close-up)}: what each coordinator's map asks first (their
    territories' extent, or the service area when city-wide), then at zoom 15 on a phone
    over their first territory's centre."""
    with psycopg.connect(match.libpq_url(url)) as conn:
        extent, centre = conn.execute("""
            SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)], ARRAY[ST_X(c), ST_Y(c)]
            FROM (SELECT ST_Extent(t.area) AS e,
                         (array_agg(ST_PointOnSurface(t.area) ORDER BY t.name))[1] AS c
                  FROM territories t
                  JOIN coordinator_territories ct ON ct.territory_id = t.id
                  JOIN users u ON u.id = ct.user_id WHERE u.email = %s) s""",
                                      (world.ACCOUNTS[0],)).fetchone()
    lon, lat = centre
    half_lon = PHONE_PX[0] / 2 * 360 / 256 / 2 ** 15
    half_lat = half_lon * PHONE_PX[1] / PHONE_PX[0] * math.cos(math.radians(lat))
    close = _view(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat, 15)
    area = [float(v) for v in match.synthetic.SERVICE_AREA.split(",")]
    return {"territorial": (_view(*extent), close), "citywide": (_view(*area), close)}


def refresh_coverage(app):
    """Compute the coverage the pages read (the job `coverage.refresh`), and say how long."""
    from bienveilleurs.services import coverage_cache
    with app.app_context():
        started = time.perf_counter()
        counts = coverage_cache.refresh()
        say(f"  coverage.refresh: {time.perf_counter() - started:.1f} s {counts}")


ROLE_EMAIL = {"territorial": world.ACCOUNTS[0], "citywide": world.ACCOUNTS[1],
              "admin": world.ACCOUNTS[2]}


def say(*parts):
    print(*parts, flush=True)


def prepare(base_url, name, *, seed, reload):
    from bienveilleurs.services import codes
    dbname = f"bv_pages_{name}"
    say(f"=== {name} (database {dbname})")
    match.ensure_database(base_url, dbname)
    url = match.with_dbname(base_url, dbname)
    match.migrate(url)
    with psycopg.connect(match.libpq_url(url), autocommit=True) as conn:
        if not reload and world.loaded_version(conn) == world.expected_version(name, seed):
            say("  reusing the world already loaded")
            return url
        sub_codes = [c for c in codes.thematiques() if codes.SEPARATOR in c]
        world.load(conn, name, seed=seed, categories=sub_codes,
                   audiences=list(codes.publics()), log=say)
    return url


def app_env(url, secret):
    env = match.app_env(url)
    env.update({"SECRET_KEY": secret, "TERRITORIES_MAX": "2000"})
    return env


def in_process_app(url, secret):
    """The app in this process, on `url`, counting every statement that reaches the driver
    (the ORM's and matching's), for the statement column."""
    from sqlalchemy import event

    from bienveilleurs import create_app
    from bienveilleurs.extensions import db
    from geo.points import ServiceArea

    os.environ.update(app_env(url, secret))  # the servers' settings (cookie names…)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret,
                      "SERVICE_AREA": ServiceArea.parse(match.synthetic.SERVICE_AREA),
                      "RELAY_MAX_RADIUS_M": 5000, "TERRITORIES_MAX": 2000})
    counter = {"n": 0}

    class Counting(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            counter["n"] += 1
            return super().execute(query, params, **kwargs)

    with app.app_context():
        event.listen(db.engine, "connect",
                     lambda dbapi, record: setattr(dbapi, "cursor_factory", Counting))
    return app, counter


def session_cookies(app):
    """{account: (cookie name, value)}: a signed session with its second factor given."""
    from bienveilleurs.extensions import db
    from bienveilleurs.models import User
    cookies = {}
    with app.app_context(), app.test_request_context():
        serializer = app.session_interface.get_signing_serializer(app)
        now = datetime.now(UTC).timestamp() + 3600 * 24  # no idle end during the run
        for role, email in ROLE_EMAIL.items():
            user = db.session.scalar(db.select(User).where(User.email == email))
            value = serializer.dumps({"_user_id": user.get_id(), "_fresh": True,
                                      "started": now, "seen": now, "second_factor": True})
            cookies[role] = (app.config["SESSION_COOKIE_NAME"], value)
    return cookies


def deep_page(url):
    with psycopg.connect(match.libpq_url(url)) as conn:
        total = conn.execute("SELECT count(*) FROM resources WHERE active").fetchone()[0]
    return max(1, (total + 49) // 50 - 1)


class Client:
    """urllib with one account's session cookie; no keep-alive (as the servers)."""

    def __init__(self, base, cookie):
        self.base, self.cookie = base, cookie

    def request(self, path, data=None):
        headers = {"Cookie": f"{self.cookie[0]}={self.cookie[1]}"} if self.cookie else {}
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        if body is not None:
            headers["Origin"] = self.base
            headers["Referer"] = self.base + "/coordination/a-attribuer"
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as response:
                self._keep(response.headers)
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _keep(self, headers):
        """Keep the session the server sends back (it holds the CSRF secret of the forms)."""
        for line in headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            if self.cookie and name == self.cookie[0]:
                self.cookie = (name, rest.split(";", 1)[0])


ONE_CLICK = re.compile(
    r'action="(/coordination/orientations/[0-9a-f-]{36}/attribuer)".*?'
    r'name="csrf_token" value="([^"]+)".*?name="relay_id" value="([^"]+)".*?'
    r'name="version" value="(\d+)"', re.S)


def assign_once(client):
    """Open the inbox, click the first proposed relay; time the POST and the inbox after."""
    status, page = client.request("/coordination/a-attribuer")
    found = ONE_CLICK.search(page.decode())
    if not found:
        return None
    action, token, relay, version = found.groups()
    started = time.perf_counter()
    status, body = client.request(action, {"csrf_token": token, "relay_id": relay,
                                           "version": version, "back": "inbox"})
    elapsed = time.perf_counter() - started
    return (elapsed * 1000, len(body), status)


def timed(client, path):
    """(ms, bytes, status) of one request of `path`; a request past the client's timeout
    counts as that long, with status 504, so that one slow page never ends the run."""
    started = time.perf_counter()
    try:
        if path == ASSIGN:
            return assign_once(client)
        status, body = client.request(path)
    except (TimeoutError, urllib.error.URLError) as error:
        say(f"  {path}: {error}")
        return ((time.perf_counter() - started) * 1000, 0, 504)
    return ((time.perf_counter() - started) * 1000, len(body), status)


def count_statements(app, counter, cookies, path):
    """Statements sent for one request of `path`, in-process (the assignment: its POST)."""
    if path == ASSIGN:
        return None
    client = app.test_client()
    if cookies:
        client.set_cookie(cookies[0], cookies[1])
    counter["n"] = 0
    client.get(path)
    return counter["n"]


def before_tree(ref, workdir):
    """A temporary worktree of `ref` (removed at the end), run with this virtualenv."""
    path = Path(workdir) / "before"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=ROOT,
                   check=True, capture_output=True)
    return path


def median(values):
    return statistics.median(values) if values else float("nan")


def fmt(cell):
    if not cell or not cell["ms"]:
        return "—"
    kb = median(cell["kb"])
    stm = f" · {cell['statements']} req." if cell.get("statements") is not None else ""
    return f"{median(cell['ms']):,.0f} ms · {kb:,.0f} kB{stm}"


def report(results, arms, names, rounds, others):
    say(f"\nMedian of {rounds} interleaved rounds; gunicorn 2 workers × 4 threads; client, "
        f"servers and PostgreSQL on the same machine, shared with other work "
        f"(other processes took {others:.0%} of the CPU meanwhile).")
    header = "| page | rôle | " + " | ".join(f"{n} ({a})" for a in arms for n in names)
    if len(names) == 2:
        header += " | " + " | ".join(f"national/city ({a})" for a in arms)
    say(header + " |")
    say("|---|---|" + "---|" * (len(arms) * len(names) + (len(arms) if len(names) == 2 else 0)))
    verdicts = []
    for (label, role), by_arm in results.items():
        cells = [fmt(by_arm[a][n]) for a in arms for n in names]
        if len(names) == 2:
            for a in arms:
                city, national = (median(by_arm[a][n]["ms"]) for n in names)
                cells.append(f"{national / city:.1f}" if city and not math.isnan(city)
                             and not math.isnan(national) else "—")
        say(f"| {label} | {role or 'public'} | " + " | ".join(cells) + " |")
        if "after" in arms and names[-1] == "national":
            cell = by_arm["after"]["national"]
            ms, kb = median(cell["ms"]), median(cell["kb"])
            if ms > TARGET_MS or kb > TARGET_KB:
                verdicts.append(f"{label} ({role}): {ms:.0f} ms, {kb:.0f} kB")
    if verdicts:
        say("\nAbove the targets (300 ms, 300 kB) at the national size: " + "; ".join(verdicts))


def run_rounds(rounds, table, names, arms, clients, results, cpu_before):
    """Ask every page `rounds` times, interleaved (page by page: each size, each arm)."""
    for round_ in range(rounds):
        for index in range(len(table[names[0]])):
            for name in names:
                label, role, path = table[name][index]
                for arm in arms:
                    got = timed(clients[arm, name][role], path)
                    if got is None:
                        continue
                    ms, size, status = got
                    if status == 404 and arm == "before":
                        continue  # what the revision before did not have (the maps' views)
                    if status >= 400:
                        say(f"  {arm} {name} {path}: HTTP {status}")
                    cell = results[label, role][arm][name]
                    cell["ms"].append(ms)
                    cell["kb"].append(size / 1024)
        say(f"  round {round_ + 1}/{rounds} done")
        if round_ + 1 < rounds:  # what is measured so far, should the run be cut
            report(results, arms, names, round_ + 1,
                   match.others_share(cpu_before, match.cpu_snapshot()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--reload", action="store_true", help="rebuild the worlds")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--worlds", default=",".join(WORLDS))
    parser.add_argument("--before", help="git revision to measure beside this tree")
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL") or sys.exit("DATABASE_URL is not set")
    names = args.worlds.split(",")
    urls = {name: prepare(base_url, name, seed=args.seed, reload=args.reload)
            for name in names}
    if args.load_only:
        return
    secret = os.urandom(32).hex()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    arms = ["after"] + (["before"] if args.before else [])
    trees = {"after": ROOT}
    if args.before:
        trees["before"] = before_tree(args.before, workdir)
    servers, clients, statements, table = {}, {}, {}, {}
    try:
        for name in names:
            app, counter = in_process_app(urls[name], secret)
            refresh_coverage(app)
            cookies = session_cookies(app)
            deep, views = deep_page(urls[name]), map_views(urls[name])
            statements[name] = {(label, role): count_statements(app, counter, cookies.get(role),
                                                                path)
                                for label, role, path in pages(deep, views)}
            for arm in arms:
                server = match.Server(f"{arm}_{name}", "wsgi:app", app_env(urls[name], secret),
                                      workdir, workers=2, threads=4,
                                      extra=("--chdir", str(trees[arm])))
                servers[arm, name] = server
                server.wait_ready("/hsds/services")
                clients[arm, name] = {role: Client(server.url, cookies.get(role))
                                      for role in (None, *ROLE_EMAIL)}
            table[name] = pages(deep, views)
        results = {}
        for label, role, _ in table[names[0]]:
            results[label, role] = {a: {n: {"ms": [], "kb": [], "statements": None}
                                        for n in names} for a in arms}
            for name in names:
                results[label, role]["after"][name]["statements"] = \
                    statements[name][label, role]
        cpu_before = match.cpu_snapshot()
        run_rounds(args.rounds, table, names, arms, clients, results, cpu_before)
        others = match.others_share(cpu_before, match.cpu_snapshot())
        report(results, arms, names, args.rounds, others)
    finally:
        for server in servers.values():
            server.stop()
        if args.before:
            subprocess.run(["git", "worktree", "remove", "--force", str(trees["before"])],
                           cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
