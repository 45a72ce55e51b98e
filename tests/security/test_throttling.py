"""Login throttling: the client address comes from X-Forwarded-For only through trusted proxies;
429 answers carry Retry-After (and a JSON body on the API)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bienveilleurs import clock
from bienveilleurs.errors import Throttled
from bienveilleurs.models import LoginThrottle

from ..factories import make_user
from .helpers import form_login, make_app

FORGED = "203.0.113.77"


def _throttled_addresses(db):
    db.expire_all()
    return {key for key in db.scalars(select(LoginThrottle.key)) if key.startswith("address:")}


def test_without_trusted_proxy_a_forged_forwarded_for_is_ignored(database_url, db):
    direct = make_app(database_url, TRUSTED_PROXIES=0)
    make_user(role="relay", email="xff@b.fr")
    response = form_login(direct.test_client(), "xff@b.fr", "mauvais mot de passe",
                          **{"X-Forwarded-For": FORGED})
    assert response.status_code == 401
    assert _throttled_addresses(db) == {"address:127.0.0.1"}


def test_behind_one_trusted_proxy_the_forwarded_address_is_used(database_url, db):
    proxied = make_app(database_url, TRUSTED_PROXIES=1)
    make_user(role="relay", email="xff@b.fr")
    # The proxy appends the address it saw; anything the client put before it is not trusted.
    response = form_login(proxied.test_client(), "xff@b.fr", "mauvais mot de passe",
                          **{"X-Forwarded-For": f"198.51.100.1, {FORGED}"})
    assert response.status_code == 401
    assert _throttled_addresses(db) == {f"address:{FORGED}"}


def test_an_address_is_throttled_across_accounts_then_lets_people_in(database_url, db):
    app = make_app(database_url, LOGIN_FREE_ATTEMPTS=1)  # fewer slow argon2 checks
    free = app.config["LOGIN_FREE_ATTEMPTS"] * 4  # addresses are shared: more free attempts
    make_user(role="relay", email="real@b.fr")
    client = app.test_client()
    start = clock.now()
    with clock.frozen(start):
        for n in range(free + 1):
            assert form_login(client, f"guess{n}@b.fr", "mauvais mot de passe").status_code == 401
        blocked = form_login(client, "real@b.fr")
    assert blocked.status_code == 429
    retry = int(blocked.headers["Retry-After"])
    assert 1 <= retry <= app.config["LOGIN_MAX_DELAY_S"]
    with clock.frozen(start + timedelta(seconds=retry + 1)):
        assert form_login(client, "real@b.fr").status_code == 303


@pytest.fixture
def app_with_throttled_api(database_url):
    application = make_app(database_url)

    @application.get("/api/v1/test-throttled")
    def throttled():
        raise Throttled(41.2)

    return application


def test_api_throttling_answers_json_with_retry_after(app_with_throttled_api, db):
    response = app_with_throttled_api.test_client().get("/api/v1/test-throttled")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"
    error = response.get_json()["error"]
    assert error["code"] == "throttled" and "42 secondes" in error["message"]
    assert response.headers["Content-Security-Policy"]
