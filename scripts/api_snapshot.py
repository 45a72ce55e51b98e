"""Record the JSON API's answers to a fixed list of requests over the demo data.

For refactors that must not change behaviour: record before, record after, compare.

    DATABASE_URL=$(scripts/dev.sh db) .venv/bin/python scripts/api_snapshot.py prepare
    DATABASE_URL=$(scripts/dev.sh db) .venv/bin/python scripts/api_snapshot.py record before.jsonl
    ... change the code ...
    DATABASE_URL=$(scripts/dev.sh db) .venv/bin/python scripts/api_snapshot.py record after.jsonl
    diff before.jsonl after.jsonl

Another checkout can record against the same template (same rows and ids): give it the
same DATABASE_URL and API_SNAPSHOT_STATE=<this checkout>/.dev/api_snapshot_tokens.json.

`prepare` builds a template database (migrations, demo data, one API token per demo
account); every `record` starts from a fresh copy of it, so both runs see the same rows.
Identifiers created during a run and timestamps are replaced by stable placeholders.
"""

import json
import os
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEMPLATE = "bv_api_snapshot"
COPY = f"bv_api_snapshot_run_{os.getpid()}"
# The tokens of the template's accounts; another checkout may record against the same
# template (same rows, same ids) by pointing API_SNAPSHOT_STATE at this file.
STATE = Path(os.environ.get("API_SNAPSHOT_STATE") or
             Path(__file__).resolve().parent.parent / ".dev" / "api_snapshot_tokens.json")
FROZEN_AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # a Monday morning
ROLES = ("admin", "coordination", "coordination.nord", "relais", "social")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")


def _admin_engine():
    url = make_url(_database_url())
    return url, create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("DATABASE_URL est requis (DATABASE_URL=$(scripts/dev.sh db)).")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _recreate(admin, name, template=None):
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))


def _app(url):
    from bienveilleurs import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "snapshot", "TILE_URL": "",
                       "GEOCODER_URL": "", "TESTING": True})


def prepare():
    url, admin = _admin_engine()
    _recreate(admin, TEMPLATE)
    app = _app(url.set(database=TEMPLATE).render_as_string(hide_password=False))
    with app.app_context():
        from flask_migrate import upgrade

        from bienveilleurs.extensions import db
        from bienveilleurs.services import accounts, demo

        upgrade()
        demo.load()
        tokens = {role: accounts.issue_token(f"{role}@demo.bienveilleurs.fr") for role in ROLES}
        db.session.commit()
        db.engine.dispose()
    STATE.write_text(json.dumps(tokens))
    print(f"modèle {TEMPLATE} prêt, jetons dans {STATE}")


def _ids(conn, sql):
    return [str(row[0]) for row in conn.execute(text(sql))]


def _requests(conn):
    """Yield (role, method, path, body) in a fixed order; writes come after the reads."""
    resources = _ids(conn, "select id from resources order by name, id")
    relays = _ids(conn, "select id from relays order by display_name, id")
    referrals = _ids(conn, "select id from referrals order by created_at, id")
    residents = _ids(conn, "select id from residents order by created_at, id")
    structures = _ids(conn, "select id from structures order by name, id")
    everyone = ROLES + (None, "bad")
    for role in everyone:
        yield role, "GET", "/api/v1/me", None
        yield role, "GET", "/api/v1/me/offline", None
    yield None, "GET", "/api/v1/openapi.json", None
    bboxes = ["0.05,49.45,0.25,49.55", "0.10,49.48,0.12,49.50", "49.45,0.05,49.55,0.25",
              "0.25,49.45,0.05,49.55", "a,b,c,d", "0.05,49.45,0.25", "", "-200,0,0,0"]
    for bbox in bboxes:
        yield "relais", "GET", f"/api/v1/resources?bbox={bbox}", None
    for categories in ("sante", "famille--garde-denfants", "inconnu", "sante,numerique"):
        query = f"bbox=0.05,49.45,0.25,49.55&categories={categories}"
        yield "social", "GET", f"/api/v1/resources?{query}", None
    for resource_id in resources[:40] + ["pas-un-id", str(uuid.UUID(int=1))]:
        yield "relais", "GET", f"/api/v1/resources/{resource_id}", None
    for relay_id in relays[:15] + ["x", str(uuid.UUID(int=2))]:
        for role in ("admin", "coordination", "coordination.nord", "relais", "social"):
            yield role, "GET", f"/api/v1/relays/{relay_id}", None
    points = [(49.4944, 0.1079), (49.5100, 0.1500), (49.4800, 0.1300), (49.5250, 0.1200),
              (0.1079, 49.4944), (91, 0), (49.4944, 181), (48.85, 2.35), ("nan", 0.1)]
    queries = ["", "&categories=sante", "&categories=sante--acces-aux-soins&limit=10",
               "&audiences=seniors", "&languages=ar", "&open_now=true", "&accessible=true",
               "&available_now=true", "&limit=51", "&limit=0", "&limit=abc", "&categories=zzz",
               "&open_now=peut-etre"]
    for lat, lon in points:
        for query in queries:
            for role in ("coordination", "relais"):
                yield role, "GET", f"/api/v1/match?lat={lat}&lon={lon}{query}", None
    yield "relais", "GET", "/api/v1/match?lat=49.49", None
    yield "relais", "GET", "/api/v1/match", None
    for referral_id in referrals + ["nope", str(uuid.UUID(int=3))]:
        for role in ROLES + (None,):
            yield role, "GET", f"/api/v1/referrals/{referral_id}", None
        yield "coordination", "GET", f"/api/v1/referrals/{referral_id}/matches", None
        yield "relais", "GET", f"/api/v1/referrals/{referral_id}/matches?limit=3", None
    for page in ("", "?page=2&per_page=5", "?per_page=0", "?page=-1", "?per_page=100000",
                 "?page=abc"):
        yield None, "GET", f"/hsds/services{page}", None
    for resource_id in resources[:10] + ["nope"]:
        yield None, "GET", f"/hsds/services/{resource_id}", None
    yield from _writes(resources, relays, referrals, residents, structures)


def _writes(resources, relays, referrals, residents, structures):
    yield from _directory_writes(resources, relays, structures)
    yield from _referral_writes(resources, relays, referrals, residents)


def _directory_writes(resources, relays, structures):
    structure_bodies = [
        {"name": "Association test", "lat": 49.49, "lon": 0.11, "phone": "02 35 00 00 00",
         "email": "Contact@Exemple.fr", "website": "exemple.fr", "siret": "123 456 789 00012"},
        {"name": ""}, {}, {"name": 5}, {"name": "x" * 300}, {"name": "A", "siret": "12"},
        {"name": "A", "phone": "abc"}, {"name": "A", "email": "pas-une-adresse"},
        {"name": "A", "website": "ftp://x"}, {"name": "A", "lat": 49.49},
        {"name": "A", "lat": 0.11, "lon": 49.49}, {"name": "A", "lat": "49.49", "lon": "0.11"},
        {"name": "A", "phone": "1" * 35}, [], "texte",
    ]
    for body in structure_bodies:
        for role in ("coordination", "relais"):
            yield role, "POST", "/api/v1/structures", body
    resource_bodies = [
        {"name": "Atelier numérique", "lat": 49.50, "lon": 0.12, "categories": ["numerique"],
         "audiences": ["seniors"], "opening_hours": "Mo-Fr 09:00-12:00", "languages": ["fr", "EN"],
         "accessible": True, "structure_id": structures[0]},
        {"name": "Sans structure", "lat": 49.50, "lon": 0.12, "categories": ["sante"]},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": []},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": ["inconnu"]},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": "sante"},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": ["sante"], "audiences": ["zz"]},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": ["sante"],
         "opening_hours": "n'importe quand"},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": ["sante"], "languages": ["fra"]},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": ["sante"], "accessible": "oui"},
        {"name": "X", "lat": 49.5, "lon": 0.12, "categories": ["sante"],
         "structure_id": "pas-un-id"},
        {"name": "X", "categories": ["sante"]}, {},
    ]
    for body in resource_bodies:
        yield "coordination", "POST", "/api/v1/resources", body
    relay_bodies = [
        {"display_name": "Nouveau relais", "lat": 49.50, "lon": 0.12, "radius_m": 800,
         "capacity": 3, "languages": ["fr"], "skills": ["écoute"]},
        {"display_name": "R", "lat": 49.50, "lon": 0.12, "radius_m": 50000, "capacity": 3},
        {"display_name": "R", "lat": 49.50, "lon": 0.12, "radius_m": 500, "capacity": -1},
        {"display_name": "R", "lat": 49.50, "lon": 0.12, "radius_m": "500", "capacity": 2},
        {"display_name": "R", "lat": 49.50, "lon": 0.12, "radius_m": 500, "capacity": 2,
         "email": "personne@exemple.fr"},
        {"display_name": "R", "lat": 49.50, "lon": 0.12, "radius_m": 500, "capacity": 2,
         "email": "social@demo.bienveilleurs.fr"},
        {},
    ]
    for body in relay_bodies:
        for role in ("admin", "coordination", "relais"):
            yield role, "POST", "/api/v1/relays", body


def _referral_writes(resources, relays, referrals, residents):
    person = {"first_name": "Odette", "lat": 49.505, "lon": 0.125, "languages": ["fr"],
              "phone": "06 12 34 56 78", "audiences": ["seniors"], "newcomer": False}
    client_id = "5b0e7a5e-4f0c-4b8e-9a43-000000000001"
    referral_bodies = [
        {"id": client_id, "resident": person, "category": "sante", "consent": True,
         "note": "Vit seule"},
        {"id": client_id, "resident": person, "category": "sante", "consent": True,
         "note": "Vit seule"},
        {"id": client_id, "resident": person, "category": "numerique", "consent": True},
        {"resident": person, "category": "sante"},
        {"resident": person, "category": "sante", "consent": False},
        {"resident": {**person, "lat": 0.125, "lon": 49.505}, "category": "sante", "consent": True},
        {"resident": {**person, "phone": "abc"}, "category": "sante", "consent": True},
        {"resident": {**person, "phone": "1" * 35}, "category": "sante", "consent": True},
        {"resident": {**person, "first_name": ""}, "category": "sante", "consent": True},
        {"resident": {**person, "languages": "fr"}, "category": "sante", "consent": True},
        {"resident": {**person, "audiences": ["zz"]}, "category": "zz", "consent": True},
        {"resident": person, "consent": True},
        {"resident_id": residents[0], "category": "numerique", "consent": True},
        {"resident_id": residents[0], "resident": person, "category": "sante", "consent": True},
        {"id": "pas-un-uuid", "resident": person, "category": "sante", "consent": True},
        {"resident": person, "category": "sante", "consent": True, "note": "x" * 2500},
        [],
    ]
    for body in referral_bodies:
        for role in ("relais", "coordination", "social"):
            yield role, "POST", "/api/v1/referrals", body
    moves = [
        {"to": "assigned", "relay_id": relays[0]}, {"to": "assigned"}, {"to": "contacted"},
        {"to": "closed", "outcome": "helped"}, {"to": "closed", "outcome": "opposed"},
        {"to": "closed"}, {"to": "volé"}, {"to": "reported", "reason": "test"},
        {"to": "referred", "resource_id": resources[0]}, {"to": "accepted"},
        {"to": "contacted", "reason": "declined"}, {"to": "assigned", "version": "1"},
        {"to": "assigned", "relay_id": relays[1], "version": 999}, {},
    ]
    for referral_id in referrals[:6]:
        for body in moves:
            for role in ("relais", "coordination", "social"):
                yield role, "POST", f"/api/v1/referrals/{referral_id}/transitions", body
    contact_bodies = [
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000101", "at": "2026-11-30T08:00:00+01:00",
         "channel": "phone", "reached": True, "note": "Rappeler lundi"},
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000101", "at": "2026-11-30T08:00:00+01:00",
         "channel": "phone", "reached": True, "note": "Rappeler lundi"},
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000101", "at": "2026-11-30T08:00:00+01:00",
         "channel": "visit", "reached": True},
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000102", "at": "2026-11-30T08:00:00",
         "channel": "phone", "reached": True},
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000103", "at": "2031-01-01T08:00:00+01:00",
         "channel": "phone", "reached": True},
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000104", "at": "2026-11-30T08:00:00+01:00",
         "channel": "pigeon", "reached": True},
        {"id": "5b0e7a5e-4f0c-4b8e-9a43-000000000105", "at": "2026-11-30T08:00:00+01:00",
         "channel": "phone", "reached": "oui"},
        {"at": "2026-11-30T08:00:00+01:00", "channel": "phone", "reached": False},
        {},
    ]
    for referral_id in referrals[:8]:
        for body in contact_bodies:
            for role in ("relais", "coordination"):
                yield role, "POST", f"/api/v1/referrals/{referral_id}/contacts", body
    for referral_id in referrals[:6]:
        yield "coordination", "GET", f"/api/v1/referrals/{referral_id}", None
    for resident_id in residents[-2:] + ["nope"]:
        for role in ("social", "relais", "coordination.nord", "coordination"):
            yield role, "POST", f"/api/v1/residents/{resident_id}/opposition", {}
    for referral_id in referrals[-4:]:
        yield "coordination", "GET", f"/api/v1/referrals/{referral_id}", None
        yield "coordination", "POST", f"/api/v1/referrals/{referral_id}/transitions", {
            "to": "assigned", "relay_id": relays[0]}


class _Placeholders:
    """Replace what a run creates (new ids, times) by stable names, in order of appearance."""

    def __init__(self, known):
        self.known = known
        self.names = {}

    def __call__(self, text_):
        def new_id(match):
            value = match.group(0)
            if value in self.known:
                return value
            return self.names.setdefault(value, f"<new-{len(self.names) + 1}>")
        return _TIME.sub("<time>", _UUID.sub(new_id, text_))


def record(out_path):
    from bienveilleurs import clock

    url, admin = _admin_engine()
    _recreate(admin, COPY, template=TEMPLATE)
    run_url = url.set(database=COPY).render_as_string(hide_password=False)
    tokens = json.loads(STATE.read_text())
    engine = create_engine(run_url)
    with engine.connect() as conn:
        known = set()
        for table in ("resources", "relays", "referrals", "residents", "structures", "users",
                      "territories", "referral_events", "contacts"):
            known.update(_ids(conn, f"select id from {table}"))
        plan = list(_requests(conn))
    engine.dispose()
    placeholders = _Placeholders(known)
    app = _app(run_url)
    client = app.test_client()
    count = 0
    with open(out_path, "w", encoding="utf-8") as out, clock.frozen(FROZEN_AT):
        for role, method, path, body in plan:
            headers = {}
            if role == "bad":
                headers["Authorization"] = "Bearer pas-un-jeton"
            elif role is not None:
                headers["Authorization"] = f"Bearer {tokens[role]}"
            response = client.open(path, method=method, headers=headers,
                                   json=body if method == "POST" else None)
            line = {"role": role, "request": f"{method} {path}", "body": body,
                    "status": response.status_code,
                    "answer": placeholders(response.get_data(as_text=True))}
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    with app.app_context():
        from bienveilleurs.extensions import db
        db.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{COPY}" WITH (FORCE)'))
    print(f"{count} réponses dans {out_path}")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "prepare":
        prepare()
    elif len(sys.argv) == 3 and sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        sys.exit(__doc__)
