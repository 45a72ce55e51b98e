"""Errors: generic French pages, no traceback / SQL / secret ever shown, 503 with the database
down (an app pointed at a closed port, never the shared cluster stopped), size limits (413)."""

import json
import socket

import pytest

from bienveilleurs.security import new_token

from ..conftest import api_headers, sign_in
from ..factories import TEST_PASSWORD, make_user
from .helpers import csrf_token, make_app

LEAKS = ("Traceback", "psycopg", "OperationalError", "sqlalchemy", "SELECT ", "127.0.0.1:",
         "test-secret-key", "File \"")


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def dead_db_app(database_url):
    url = f"postgresql+psycopg://bienveilleurs:x@127.0.0.1:{_closed_port()}/absente"
    application = make_app(database_url, SQLALCHEMY_DATABASE_URI=url,
                           SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    yield application
    with application.app_context():
        from bienveilleurs.extensions import db
        db.engine.dispose()


def _clean(response):
    body = response.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in body, leak
    return body


def test_pages_answer_503_in_french_when_the_database_is_down(dead_db_app):
    client = dead_db_app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert "momentanément indisponible" in _clean(health)

    login = client.post("/connexion", data={"email": "a@b.fr", "password": TEST_PASSWORD,
                                            "csrf_token": csrf_token(client)})
    assert login.status_code == 503 and "momentanément indisponible" in _clean(login)
    assert login.headers["Content-Security-Policy"]


def test_a_signed_in_page_answers_503_not_a_bare_500(dead_db_app):
    client = dead_db_app.test_client()
    with client.session_transaction() as sess:  # a session cookie from before the outage
        sess["_user_id"] = "6f1c2a52-7a44-4a8f-9a5a-0c5c2b1d9e01:1"
        sess["started"] = sess["seen"] = __import__("time").time()
    response = client.get("/")
    assert response.status_code == 503
    body = _clean(response)
    assert "momentanément indisponible" in body and 'lang="fr"' in body


def test_the_api_answers_503_in_json_when_the_database_is_down(dead_db_app):
    token, _ = new_token()
    response = dead_db_app.test_client().get("/api/v1/me", headers=api_headers(token))
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and "indisponible" in error["message"]
    _clean(response)


@pytest.fixture
def app_with_a_bug(database_url):
    application = make_app(database_url)

    @application.get("/bogue")
    def bug():
        raise RuntimeError("SELECT secret FROM users -- test-secret-key")

    @application.get("/api/v1/bogue")
    def api_bug():
        raise RuntimeError("SELECT secret FROM users -- test-secret-key")

    return application


def test_unexpected_errors_are_generic_and_french(app_with_a_bug, db, caplog):
    client = app_with_a_bug.test_client()
    page = client.get("/bogue")
    assert page.status_code == 500 and "Une erreur inattendue" in _clean(page)
    api = client.get("/api/v1/bogue")
    assert api.status_code == 500 and api.get_json()["error"]["code"] == "server_error"
    _clean(api)
    assert "RuntimeError" in caplog.text  # the details go to the log, not to the user
    assert not app_with_a_bug.debug


@pytest.fixture
def small_app(database_url):
    return make_app(database_url, MAX_UPLOAD_MB=1)


def test_api_bodies_over_the_limit_get_413_in_json(small_app, db):
    client = sign_in(small_app.test_client(), make_user(role="coordinator"))
    body = json.dumps({"category": "sante", "note": "x" * (1024 * 1024 + 10), "consent": True})
    response = client.post("/api/v1/referrals", data=body, content_type="application/json",
                           headers=api_headers())
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_forms_over_the_limit_get_a_french_413_page(small_app, db):
    client = small_app.test_client()
    response = client.post("/connexion",
                           data={"email": "a@b.fr", "password": "y" * (1024 * 1024 + 10)})
    assert response.status_code == 413
    assert "trop volumineux" in _clean(response)


def test_upload_limit_comes_from_the_setting(small_app, app):
    assert small_app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] == app.config["MAX_UPLOAD_MB"] * 1024 * 1024
