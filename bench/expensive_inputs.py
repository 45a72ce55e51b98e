"""Time the outside review's expensive inputs (issue 15): each must answer in under 2 s or be
refused with a clear message.

Not a test (`make test` never runs it): `make bench-inputs` runs it on the local cluster
(DATABASE_URL names any database of it; the bench builds its own, bv_bench_inputs, with the
migrations and the demo data, and drops it at the end). Requests go through the app in
process (Flask's test client: routing, the views, the templates; no socket).

  A. A territory of 1,150,000 points: its import is refused; the same outline written
     straight into the table (data imported before the limit) and the neighbourhood
     booklet of it, as a page and as a PDF.
  B. 20,000 territories: their import is refused; then the most the app accepts
     (TERRITORIES_MAX, imported in files of TERRITORIES_PER_IMPORT), and /couverture/ and
     /admin/territoires; then 20,000 written straight into the table, and the same pages.

    .venv/bin/python bench/expensive_inputs.py [--points 1150000] [--territories 20000]
"""

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DATABASE = "bv_bench_inputs"
LIMIT_S = 2.0


def say(*parts):
    print(*parts, flush=True)


def timed(label, call):
    start = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - start
    verdict = "ok" if elapsed < LIMIT_S else "TROP LENT"
    say(f"  {label:<58} {elapsed:7.2f} s  {verdict}")
    return result, elapsed


def star(points, *, lon=0.11, lat=49.50, radius_deg=0.01):
    """A closed ring of `points` positions, jagged like a survey-precision outline."""
    ring = []
    for i in range(points - 1):
        angle = 2 * math.pi * i / (points - 1)
        r = radius_deg * (1 + 0.05 * ((i * 7919) % 13) / 13)
        ring.append([round(lon + r * math.cos(angle), 7),
                     round(lat + 0.7 * r * math.sin(angle), 7)])
    ring.append(ring[0])
    return ring


def squares(count, *, start=0):
    """`count` small square territories on a grid over Le Havre, as GeoJSON features."""
    side = 0.3 / math.ceil(math.sqrt(count + start))
    features = []
    per_row = math.ceil(math.sqrt(count + start))
    for n in range(start, start + count):
        x0, y0 = 0.02 + (n % per_row) * side, 49.43 + (n // per_row) * side * 0.55
        ring = [[x0, y0], [x0 + side, y0], [x0 + side, y0 + side * 0.55], [x0, y0 + side * 0.55],
                [x0, y0]]
        features.append({"type": "Feature", "properties": {"name": f"Îlot {n}", "code": f"B{n}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return features


def collection(features):
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def signed_in(app, email):
    from bienveilleurs import clock
    from bienveilleurs.extensions import db
    from bienveilleurs.models import User
    client = app.test_client()
    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        user_id = user.get_id()
    now = clock.now().timestamp()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user_id, True
        session["started"] = session["seen"] = now
        session["second_factor"] = True  # as after the sign-in page's second step
    return client


def refused(app, data):
    from bienveilleurs.errors import DomainError
    from bienveilleurs.services.territories import import_territories
    with app.app_context():
        try:
            import_territories(data)
        except DomainError as exc:
            return exc.message
    return "ACCEPTÉ"


def upload(client, data):
    import io
    response = client.post("/admin/territoires", content_type="multipart/form-data",
                           data={"geojson": (io.BytesIO(data), "quartiers.geojson")})
    return f"{response.status_code}"


def page(client, path, **kwargs):
    response = client.get(path, **kwargs)
    return f"{response.status_code}, {len(response.data) / 1e6:.2f} Mo"


def baseline(app, engine):
    """The same requests on the demonstration data, in the same run: the ratios to report."""
    say("\nRéférence : les données de démonstration (7 territoires)")
    with engine.connect() as conn:
        territory_id = conn.execute(text("SELECT id FROM territories ORDER BY name LIMIT 1")) \
            .scalar()
    relay = signed_in(app, "relais@demo.bienveilleurs.fr")
    coordinator = signed_in(app, "coordination@demo.bienveilleurs.fr")
    admin = signed_in(app, "admin@demo.bienveilleurs.fr")
    for label, client, path, query in [
            ("livret du quartier (page)", relay, "/livrets/quartier", {"territoire": territory_id}),
            ("livret du quartier (PDF)", relay, "/livrets/quartier",
             {"territoire": territory_id, "format": "pdf"}),
            ("/couverture/", coordinator, "/couverture/", {}),
            ("/admin/territoires", admin, "/admin/territoires", {})]:
        result, _ = timed(label, lambda c=client, p=path, q=query: page(c, p, query_string=q))
        say(f"    → {result}")


def huge_territory(app, engine, points):
    say(f"\nA. Un territoire de {points:,} points".replace(",", " "))
    data = collection([{"type": "Feature", "properties": {"name": "Géant", "code": "GEANT"},
                        "geometry": {"type": "Polygon", "coordinates": [star(points)]}}])
    say(f"  fichier GeoJSON : {len(data) / 1e6:.1f} Mo")
    admin = signed_in(app, "admin@demo.bienveilleurs.fr")
    result, _ = timed("import par la page /admin/territoires", lambda: upload(admin, data))
    say(f"    → {result}")
    message, _ = timed("import (service, comme la ligne de commande)", lambda: refused(app, data))
    say(f"    → {message[:160]}")
    # Written straight into the table, as an outline imported before the limit would be.
    wkt = "MULTIPOLYGON(((" + ",".join(f"{x} {y}" for x, y in star(points)) + ")))"
    with engine.begin() as conn:
        territory_id = conn.execute(text(
            "INSERT INTO territories (id, name, code, area, created_at) VALUES "
            "(gen_random_uuid(), 'Géant (ancien import)', 'GEANT-SQL', "
            "ST_GeomFromText(:wkt, 4326), now()) RETURNING id"),
            {"wkt": wkt}).scalar()
    relay = signed_in(app, "relais@demo.bienveilleurs.fr")
    result, _ = timed("livret du quartier (page)", lambda: page(
        relay, "/livrets/quartier", query_string={"territoire": territory_id}))
    say(f"    → {result}")
    result, _ = timed("livret du quartier (PDF)", lambda: page(
        relay, "/livrets/quartier", query_string={"territoire": territory_id, "format": "pdf"}))
    say(f"    → {result}")
    coordinator = signed_in(app, "coordination@demo.bienveilleurs.fr")
    result, _ = timed("/couverture/ (coordination, toute la ville)",
                      lambda: page(coordinator, "/couverture/"))
    say(f"    → {result}")
    result, _ = timed("/admin/territoires", lambda: page(admin, "/admin/territoires"))
    say(f"    → {result}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM territories WHERE id = :id"), {"id": territory_id})


def many_territories(app, engine, count):
    say(f"\nB. {count:,} territoires".replace(",", " "))
    message, _ = timed(f"import d'un fichier de {count} territoires",
                       lambda: refused(app, collection(squares(count))))
    say(f"    → {message[:160]}")
    with app.app_context():
        from bienveilleurs.config import setting
        per_file, most = setting("TERRITORIES_PER_IMPORT"), setting("TERRITORIES_MAX")
    with engine.connect() as conn:
        existing = conn.execute(text("SELECT count(*) FROM territories")).scalar()
    start = 0
    while existing + start < most:
        size = min(per_file, most - existing - start)
        message, _ = timed(f"import de {size} territoires (à partir du n° {start})",
                           lambda s=start, n=size: refused(app, collection(squares(n, start=s))))
        say(f"    → {message[:160]}")
        start += size
    message, _ = timed("import d'un territoire de plus que TERRITORIES_MAX",
                       lambda: refused(app, collection(squares(1, start=start))))
    say(f"    → {message[:160]}")
    coordinator = signed_in(app, "coordination@demo.bienveilleurs.fr")
    admin = signed_in(app, "admin@demo.bienveilleurs.fr")
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM territories")).scalar()
    for label, client, path in [("/couverture/", coordinator, "/couverture/"),
                                ("/admin/territoires", admin, "/admin/territoires")]:
        result, _ = timed(f"{label} avec {total} territoires", lambda c=client, p=path: page(c, p))
        say(f"    → {result}")
    # The same count as the outside review, written straight into the table.
    with engine.begin() as conn:
        for feature in squares(count - total, start=10 * count):
            conn.execute(text(
                "INSERT INTO territories (id, name, code, area, created_at) VALUES "
                "(gen_random_uuid(), :n, :c, ST_Multi(ST_GeomFromGeoJSON(:g)), now())"),
                {"n": feature["properties"]["name"], "c": feature["properties"]["code"],
                 "g": json.dumps(feature["geometry"])})
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM territories")).scalar()
    for label, client, path in [("/couverture/", coordinator, "/couverture/"),
                                ("/admin/territoires", admin, "/admin/territoires")]:
        result, _ = timed(f"{label} avec {total} territoires (écrits en SQL)",
                          lambda c=client, p=path: page(c, p))
        say(f"    → {result}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_150_000)
    parser.add_argument("--territories", type=int, default=20_000)
    parser.add_argument("--only", choices=("A", "B"), help="one of the two repros")
    args = parser.parse_args()
    base = make_url(os.environ["DATABASE_URL"])
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    url = base.set(database=DATABASE).render_as_string(hide_password=False)
    os.environ.update(DATABASE_URL=url, BIENVEILLEURS_ENV="test")
    from bienveilleurs import create_app
    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        from bienveilleurs.services import demo
        upgrade()
        demo.load()
    engine = create_engine(url)
    say(f"Machine : {os.cpu_count()} cœurs (partagés) ; seuil {LIMIT_S} s par requête")
    try:
        baseline(app, engine)
        if args.only != "B":
            huge_territory(app, engine, args.points)
        if args.only != "A":
            many_territories(app, engine, args.territories)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
