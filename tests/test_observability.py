"""Readiness, metrics and request logs (LOG_FORMAT), in process; the same through gunicorn and
nginx, with several workers, in tests/deploy/test_nginx_gunicorn.py."""

import io
import ipaddress
import json
import logging
import re

import pytest
from sqlalchemy import text

from bienveilleurs import request_log
from bienveilleurs.extensions import db as _db
from bienveilleurs.models import ApiToken
from bienveilleurs.security import new_token

from .conftest import api_headers
from .factories import make_resource, make_user
from .security.helpers import make_app


def test_readyz_says_ok_without_an_account_and_nothing_else(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.committed
def test_readyz_is_503_with_the_reason_when_the_schema_is_behind(app, committed):
    with app.app_context(), _db.engine.begin() as connection:
        head = connection.execute(text("select version_num from alembic_version")).scalar()
    try:
        with app.app_context(), _db.engine.begin() as connection:
            connection.execute(text("update alembic_version set version_num = 'admin_01'"))
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        reason = response.get_json()["reason"]
        assert f"le schéma est à la révision admin_01, le code attend {head}" in reason
        assert app.test_client().get("/healthz").status_code == 200  # the process still serves
    finally:
        with app.app_context(), _db.engine.begin() as connection:
            connection.execute(text("update alembic_version set version_num = :v"), {"v": head})
    assert app.test_client().get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_does_not_answer(database_url):
    dead = make_app(database_url,
                    SQLALCHEMY_DATABASE_URI="postgresql+psycopg://x:y@127.0.0.1:9/absente",
                    SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    response = dead.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable",
                                   "reason": "la base de données ne répond pas, ou n'a pas de "
                                             "schéma"}


@pytest.fixture
def metrics_app(database_url):
    return make_app(database_url, METRICS_TOKEN="jeton-de-mesure",
                    METRICS_ALLOW=(ipaddress.ip_network("10.1.0.0/16"),), LOG_FORMAT="json")


def _sample(body, name, **labels):
    for line in body.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


@pytest.mark.committed
def test_metrics_need_the_token_or_an_allowed_address(metrics_app, committed):
    client = metrics_app.test_client()
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer autre"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 404
    scrape = client.get("/metrics", headers={"Authorization": "Bearer jeton-de-mesure"})
    assert scrape.status_code == 200 and scrape.mimetype == "text/plain"
    body = scrape.get_data(as_text=True)
    assert _sample(body, "bienveilleurs_http_requests_total", route="/readyz", method="GET",
                   status="200") >= 3
    assert _sample(body, "bienveilleurs_http_request_duration_seconds_count",
                   route="/readyz") >= 3
    assert _sample(body, "bienveilleurs_database_up") == 1
    assert _sample(body, "bienveilleurs_notifications", state="pending") == 0
    by_address = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert by_address.status_code == 200


def test_each_request_logs_one_line_with_its_id_route_status_and_duration(metrics_app, db):
    user = make_user(role="coordinator")
    make_resource()
    token, digest = new_token()
    db.add(ApiToken(user_id=user.id, digest=digest, label="t"))
    db.flush()
    stream = io.StringIO()
    handler = request_log.handler("json", stream)
    logger = logging.getLogger("bienveilleurs.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)  # pytest leaves the root at WARNING; production at INFO
    try:
        response = metrics_app.test_client().get(
            "/api/v1/match?lat=49.4944&lon=0.1079&categories=sante", headers=api_headers(token))
        spoofed = metrics_app.test_client().get("/healthz",
                                                headers={"X-Request-Id": "choisi-par-le-client"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert response.status_code == 200
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    match = next(line for line in lines if line["route"] == "/api/v1/match")
    assert match["request_id"] == response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", match["request_id"])
    assert match["status"] == 200 and match["method"] == "GET" and match["duration_ms"] > 0
    assert match["level"] == "INFO" and match["time"] and match["database"] == "primary"
    # Never the query string (a position), nor who asked.
    text_of_logs = stream.getvalue()
    for secret in ("49.4944", "0.1079", "lat=", user.email, str(user.id), "127.0.0.1"):
        assert secret not in text_of_logs
    # Without a trusted proxy in front, a client cannot choose its request id.
    assert spoofed.headers["X-Request-Id"] != "choisi-par-le-client"
