"""The walking arm of the matching benchmark (size "city"): the network, and where time goes.

`import_network` writes the generated street network (city_network.py) and imports it with
the real command, `flask routing import`. `profile` runs every query point in-process, the
straight-line service and the walking one in turn on the same point (so that both see the
same machine load), and splits the walking one's time between its statements: the
candidates (the same two statements with more rows), the walk statement(s), and the rest
(Python: ranking, reasons, answers). EXPLAIN ANALYZE of the first walk statement of each
point then splits that statement between snapping the points to the network and pgRouting.
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import city_network

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def import_network(db_url, workdir, env, say):
    """Write the city's network as an .osm.pbf and import it; return the command's summary."""
    path = workdir / "city.osm.pbf"
    started = time.monotonic()
    nodes, ways = city_network.write(path)
    say(f"  network written: {nodes} OSM nodes, {ways} ways, {path.stat().st_size // 1024} kB "
        f"in {time.monotonic() - started:.1f} s")
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run([flask, "--app", "wsgi", "routing", "import", str(path)], cwd=ROOT,
                          env={**env, "ROUTING": "walk"}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("flask routing import failed:\n" + done.stdout + done.stderr)
    summary = [line for line in done.stdout.splitlines() if line.startswith("Réseau")]
    say("  " + (summary[0] if summary else done.stdout.strip()))
    return summary[0] if summary else ""


def _timed(module, name, bucket):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append((time.perf_counter() - started, kwargs.get("radius_m")))

    setattr(module, name, wrapper)
    return original


def _plan_times(node, out):
    """Collect (snap CTE, pgRouting) actual times from an EXPLAIN (FORMAT JSON) plan."""
    if node.get("Subplan Name") == "CTE snap":
        out["snap"] += node["Actual Total Time"]
    if node.get("Function Name") == "pgr_withpointscost":
        out["pgr"] += node["Actual Total Time"]
    for child in node.get("Plans", []):
        _plan_times(child, out)


def _explain(driver, walking, origin, points, radius):
    everyone = [origin, *points]
    xy = [walking.mercator(lon, lat) for lon, lat in everyone]
    row = driver.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + walking.WALK_SQL,
                         {"xs": [x for x, _ in xy], "ys": [y for _, y in xy],
                          "lats": [lat for _, lat in everyone],
                          "radius": float(radius)}).fetchone()
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    out = {"snap": 0.0, "pgr": 0.0, "total": plan[0]["Execution Time"]}
    _plan_times(plan[0]["Plan"], out)
    edges = driver.execute(
        f"SELECT count(*) FROM {walking.NETWORK_SCHEMA}.edges WHERE geom && ST_Expand("
        "ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 3857), %s / cos(radians(%s)))",
        (origin[0], origin[1], float(radius), origin[1])).fetchone()[0]
    out["edges"] = edges
    return out


def profile(db_url, queries, synthetic_area):
    """Return per-point timings of the straight and walking services, in-process."""
    from bienveilleurs import create_app
    from bienveilleurs.extensions import db
    from bienveilleurs.services import matching
    from bienveilleurs.services.routing import ranking, walking
    from geo.points import ServiceArea

    apps = {mode: create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RELAY_MAX_RADIUS_M": 5000,
                              "SERVICE_AREA": ServiceArea.parse(synthetic_area),
                              "ROUTING": mode})
            for mode in ("none", "walk")}
    candidates, walks = [], []
    originals = (_timed(matching, "_nearest_batches", candidates),
                 _timed(ranking, "walk_lengths", walks))
    rows = []
    try:
        for args in queries:
            row = {}
            for mode, app in apps.items():
                with app.app_context():
                    query = matching.parse_match_query(args, area=app.config["SERVICE_AREA"])
                    candidates.clear()
                    walks.clear()
                    started = time.perf_counter()
                    answer = matching.match(query, include_relays=True, max_radius_m=5000)
                    total = time.perf_counter() - started
                    row[mode] = {"total": total, "candidates": sum(t for t, _ in candidates),
                                 "walk": sum(t for t, _ in walks), "passes": len(walks),
                                 "radius": [r for _, r in walks], "answer": answer}
                    if mode == "walk" and walks:
                        points = [(i["lon"], i["lat"]) for lst in ("relays", "resources")
                                  for i in answer[lst]]
                        driver = db.session.connection().connection.driver_connection
                        row["plan"] = _explain(driver, walking, (query.lon, query.lat),
                                               points, walks[0][1])
                    db.session.rollback()
                    db.session.remove()
            rows.append(row)
    finally:
        matching._nearest_batches, ranking.walk_lengths = originals
    return rows


def summary(rows):
    """Medians and shares of the profile, as printable lines."""
    def med(values):
        return statistics.median(values) * 1000 if values else float("nan")

    straight = [r["none"]["total"] for r in rows]
    walk = [r["walk"]["total"] for r in rows]
    cand = [r["walk"]["candidates"] for r in rows]
    walk_sql = [r["walk"]["walk"] for r in rows]
    rest = [r["walk"]["total"] - r["walk"]["candidates"] - r["walk"]["walk"] for r in rows]
    passes = [r["walk"]["passes"] for r in rows]
    plans = [r["plan"] for r in rows if "plan" in r]
    items = [i for r in rows for lst in ("relays", "resources") for i in r["walk"]["answer"][lst]]
    walked = sum(1 for i in items if i["routing"] == "walk")
    changed = sum(1 for r in rows
                  if [i["id"] for i in r["walk"]["answer"]["resources"]]
                  != [i["id"] for i in r["none"]["answer"]["resources"]])
    lines = [
        f"in-process, same points, interleaved: straight {med(straight):.2f} ms, "
        f"walking {med(walk):.2f} ms (medians; ratio of means "
        f"{statistics.mean(walk) / statistics.mean(straight):.2f})",
        f"walking, median per point: candidates' two statements {med(cand):.2f} ms "
        f"(straight: {med([r['none']['candidates'] for r in rows]):.2f} ms), walk statement(s) "
        f"{med(walk_sql):.2f} ms, Python (ranking, reasons, answer) {med(rest):.2f} ms",
        f"walk statements per point: 1 for {passes.count(1)}, 2 for {passes.count(2)}, "
        f"3 or more for {sum(1 for p in passes if p >= 3)} (a wider window when an item of "
        "the answer lies farther on foot than the first reaches)",
    ]
    if plans:
        part = {key: statistics.median(p[key] for p in plans)
                for key in ("total", "snap", "pgr", "edges")}
        lines.append(
            f"first walk statement (EXPLAIN ANALYZE, medians): {part['total']:.2f} ms, of "
            f"which snapping the points {part['snap']:.2f} ms and pgRouting (graph of the "
            f"window + Dijkstra) {part['pgr']:.2f} ms, on a window of {part['edges']:.0f} "
            f"edges (max {max(p['edges'] for p in plans)})")
    lines.append(f"items answered with a walking time: {walked} of {len(items)}; points whose "
                 f"resources come in another order than straight-line: {changed} of {len(rows)}")
    return lines
