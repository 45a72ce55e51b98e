"""The walking arm of the matching benchmark (size "city"): the network, and where time goes.

`import_network` writes the generated street network (city_network.py) and imports it with
the real command, `flask routing import`. `profile` runs every query point in-process, the
straight-line service and the walking one in turn on the same point (so that both see the
same machine load), and splits the walking one's time: the candidates (the same two
statements with more rows), the walks (the snapping statement, the Dijkstra on the graph in
memory, loading that graph on the first point), and the rest (Python: ranking, reasons,
answers). The first walk of each point is then run again by pgRouting's one statement
(routing/pgrouting.py, the previous way), for comparison. A first pass over the points, not
timed, warms the process up as wrk's warm-up does the servers: the graph is loaded and the
candidates' snaps known (only the person's point is snapped by the statement).
"""

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


def _timed(owner, name, bucket):
    """Wrap owner.name so that each call appends (seconds, args, kwargs) to `bucket`."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            bucket.append((time.perf_counter() - started, args, kwargs))

    setattr(owner, name, wrapper)
    return original


def _reference_ms(pgrouting, call):
    """Time the same walk by pgRouting's one statement (the previous way, the reference)."""
    _seconds, args, kwargs = call
    started = time.perf_counter()
    pgrouting.walk_lengths(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def profile(db_url, queries, synthetic_area):
    """Return per-point timings of the straight and walking services, in-process."""
    from bienveilleurs import create_app
    from bienveilleurs.extensions import db
    from bienveilleurs.services import matching
    from bienveilleurs.services.routing import pgrouting, ranking, walking
    from geo.points import ServiceArea

    apps = {mode: create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RELAY_MAX_RADIUS_M": 5000,
                              "SERVICE_AREA": ServiceArea.parse(synthetic_area),
                              "ROUTING": mode})
            for mode in ("none", "walk")}
    parts = {key: [] for key in ("candidates", "walks", "snap", "paths", "load")}
    originals = [(matching, "_nearest_batches", _timed(matching, "_nearest_batches",
                                                       parts["candidates"])),
                 (ranking, "walk_lengths", _timed(ranking, "walk_lengths", parts["walks"])),
                 (walking, "snap", _timed(walking, "snap", parts["snap"])),
                 (walking.Graph, "paths", _timed(walking.Graph, "paths", parts["paths"])),
                 (walking.Graph, "load", _timed(walking.Graph, "load", parts["load"]))]
    rows = []
    try:
        with apps["walk"].app_context():  # as wrk's warm-up: the points' snaps are known
            for args in queries:
                matching.match(matching.parse_match_query(
                    args, area=apps["walk"].config["SERVICE_AREA"]), include_relays=True,
                    max_radius_m=5000)
            db.session.rollback()
            db.session.remove()
        loaded = {"graph": walking._graph, "load_s": sum(t for t, _a, _k in parts["load"])}
        for args in queries:
            row = {}
            for mode, app in apps.items():
                with app.app_context():
                    query = matching.parse_match_query(args, area=app.config["SERVICE_AREA"])
                    for bucket in parts.values():
                        bucket.clear()
                    started = time.perf_counter()
                    answer = matching.match(query, include_relays=True, max_radius_m=5000)
                    total = time.perf_counter() - started
                    row[mode] = {"total": total, "answer": answer, "passes": len(parts["walks"]),
                                 **{key: sum(t for t, _a, _k in bucket)
                                    for key, bucket in parts.items()}}
                    if mode == "walk" and parts["walks"]:
                        row["reference_ms"] = _reference_ms(pgrouting, parts["walks"][0])
                        row["first_ms"] = parts["walks"][0][0] * 1000
                    db.session.rollback()
                    db.session.remove()
            rows.append(row)
        rows[0].update(loaded)
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    return rows


def summary(rows):
    """Medians and shares of the profile, as printable lines."""
    def med(values):
        return statistics.median(values) * 1000 if values else float("nan")

    def walked(key):
        return [r["walk"][key] for r in rows]

    straight = [r["none"]["total"] for r in rows]
    walk = walked("total")
    rest = [r["walk"]["total"] - r["walk"]["candidates"] - r["walk"]["walks"] for r in rows]
    other = [r["walk"]["walks"] - r["walk"]["snap"] - r["walk"]["paths"] - r["walk"]["load"]
             for r in rows]
    passes = walked("passes")
    items = [i for r in rows for lst in ("relays", "resources") for i in r["walk"]["answer"][lst]]
    on_foot = sum(1 for i in items if i["routing"] == "walk")
    changed = sum(1 for r in rows
                  if [i["id"] for i in r["walk"]["answer"]["resources"]]
                  != [i["id"] for i in r["none"]["answer"]["resources"]])
    lines = [
        f"in-process, same points, interleaved: straight {med(straight):.2f} ms, "
        f"walking {med(walk):.2f} ms (medians; ratio of means "
        f"{statistics.mean(walk) / statistics.mean(straight):.2f})",
        f"walking, median per point: candidates' two statements {med(walked('candidates')):.2f} "
        f"ms (straight: {med([r['none']['candidates'] for r in rows]):.2f} ms), walks "
        f"{med(walked('walks')):.2f} ms (snapping statement {med(walked('snap')):.2f} ms, "
        f"Dijkstra in memory {med(walked('paths')):.2f} ms, the rest {med(other):.2f} ms), "
        f"Python (ranking, reasons, answer) and the network check {med(rest):.2f} ms",
        f"walk passes per point: 1 for {passes.count(1)}, 2 for {passes.count(2)}, "
        f"3 or more for {sum(1 for p in passes if p >= 3)} (a wider radius when an item of "
        "the answer lies farther on foot than the first reaches)",
    ]
    firsts = [r["first_ms"] for r in rows if "first_ms" in r]
    reference = [r["reference_ms"] for r in rows if "reference_ms" in r]
    if firsts:
        lines.append(f"first walk pass, medians: {statistics.median(firsts):.2f} ms in memory; "
                     f"the same by pgRouting's one statement (the previous way) "
                     f"{statistics.median(reference):.2f} ms")
    graph = rows[0]["graph"] if rows else None
    if graph is not None:
        lines.append(f"graph loaded once per process: {rows[0]['load_s'] * 1000:.0f} ms, "
                     f"{graph.matrix.shape[0]} nodes, {graph.matrix.nnz // 2} node pairs, "
                     f"arrays {graph.nbytes / 2**20:.1f} MiB, {len(graph.snaps)} points' snaps "
                     "kept")
    lines.append(f"items answered with a walking time: {on_foot} of {len(items)}; points whose "
                 f"resources come in another order than straight-line: {changed} of {len(rows)}")
    return lines
