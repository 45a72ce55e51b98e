"""For the machines that watch the service: readiness (`/readyz`) and metrics (`/metrics`).

`/healthz` (web/main.py) says the process serves. `/readyz` says whether it can do its work:
the database answers and its schema is at the migrations' head; neither needs an account.
`/metrics` is for Prometheus, only with METRICS_TOKEN or from METRICS_ALLOW; anyone else
gets a 404, as for a page that does not exist.
"""

import hmac
import ipaddress
from functools import lru_cache

from alembic.script import ScriptDirectory
from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import metrics
from ..config import setting
from ..extensions import db

bp = Blueprint("ops", __name__)


@lru_cache(maxsize=4)
def _heads(directory):
    config = current_app.extensions["migrate"].migrate.get_config(directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def schema_problem():
    """Return why the app is not ready (in French), or None when it is."""
    expected = _heads(current_app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            found = frozenset(connection.execute(
                text("select version_num from alembic_version")).scalars())
    except SQLAlchemyError:
        return "la base de données ne répond pas, ou n'a pas de schéma"
    if found != expected:
        return (f"le schéma est à la révision {', '.join(sorted(found)) or 'vide'}, "
                f"le code attend {', '.join(sorted(expected))} (flask db upgrade)")
    return None


@bp.get("/readyz")
def ready():
    problem = schema_problem()
    if problem:
        response = jsonify({"status": "unavailable", "reason": problem})
        response.status_code = 503
    else:
        response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response


def may_read_metrics():
    token = setting("METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in setting("METRICS_ALLOW"))


@bp.get("/metrics")
def prometheus():
    if not may_read_metrics():
        abort(404)
    body, content_type = metrics.exposition()
    response = current_app.response_class(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
