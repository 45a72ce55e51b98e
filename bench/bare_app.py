"""The web ceiling for the matching benchmark: the least a Flask endpoint can do for /match.

It checks the bearer token the way the app does (SHA-256 digest looked up in api_tokens,
joined to an active user), runs the very SQL statements that services/matching.py builds
(captured by bench/match.py into the JSON file named by BENCH_SQL), with plain psycopg
and one connection per thread, and returns the rows as JSON. No ORM, no sessions.

    BENCH_DSN=postgresql://… BENCH_SQL=/tmp/…/statements.json \
        gunicorn --pythonpath bench bare_app:app
"""

import hashlib
import json
import os
import threading

import psycopg
from data_inclusion.schema.v1 import Categorie, Thematique
from flask import Flask, jsonify, request
from psycopg.types.string import TextLoader

MANAGERS = {"admin", "coordinator"}
SEPARATOR = "--"

app = Flask(__name__)
_local = threading.local()

with open(os.environ["BENCH_SQL"], encoding="utf-8") as fh:
    STATEMENTS = json.load(fh)

KNOWN = {c.value for c in Categorie} | {t.value for t in Thematique}


def connection():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(os.environ["BENCH_DSN"], autocommit=True)
        # Values JSON can carry as they are: no per-value conversion on the way out.
        for name in ("uuid", "timestamptz", "bytea", "numeric"):
            conn.adapters.register_loader(name, TextLoader)
        _local.conn = conn
    return conn


def expand(codes):
    expanded = set()
    for code in codes:
        if code not in KNOWN:
            return None
        expanded.add(code)
        if SEPARATOR not in code:
            expanded.update(c for c in KNOWN if c.startswith(code + SEPARATOR))
    return sorted(expanded)


def run(conn, template, lon, lat, categories=None):
    params = dict(template["params"])
    for key in template["lon_keys"]:
        params[key] = lon
    for key in template["lat_keys"]:
        params[key] = lat
    if categories is not None:
        params[template["categories_key"]] = categories
    cur = conn.execute(template["sql"], params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@app.get("/match")
def match():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
        return jsonify(error="unauthorized"), 401
    conn = connection()
    digest = hashlib.sha256(token.strip().encode("utf-8")).digest()
    user = conn.execute("SELECT users.id, users.role FROM users "
                        "JOIN api_tokens ON api_tokens.user_id = users.id "
                        "WHERE api_tokens.digest = %s AND users.active", (digest,)).fetchone()
    if user is None:
        return jsonify(error="unauthorized"), 401
    try:
        lat = float(request.args["lat"])
        lon = float(request.args["lon"])
        limit = int(request.args.get("limit", 5))
    except (KeyError, ValueError):
        return jsonify(error="bad_request"), 400
    categories = [c for c in request.args.get("categories", "").split(",") if c]
    relays = []
    if user[1] in MANAGERS:
        relays = run(conn, STATEMENTS["relays"], lon, lat)[:limit]
    if categories:
        expanded = expand(categories)
        if expanded is None:
            return jsonify(error="validation_error"), 422
        resources = run(conn, STATEMENTS["resources_categories"], lon, lat, expanded)
    else:
        resources = run(conn, STATEMENTS["resources"], lon, lat)
    # As API.md orders them: resources known to be full after the others.
    resources = sorted(resources, key=lambda r: (r["saturation"] == "full", r["distance_m"],
                                                 r["id"]))[:limit]
    return jsonify(relays=relays, resources=resources)
