"""Throttling without lock-out (OWASP device cookies): a browser that signed in before is slowed
down only by its own failures, so that an attacker failing on purpose from elsewhere cannot
lock the real user out; the attacker, an unknown browser, is still throttled per account and
per address."""

import re

import pytest
from sqlalchemy import select

from bienveilleurs.models import LoginThrottle

from ..factories import make_user
from .helpers import form_login

WRONG = "pas le bon mot de passe du tout"


def _browser(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _device_cookie(client, app):
    return client.get_cookie("bv_device")


@pytest.fixture
def real_user(app, db):
    """A relay who signed in from their own browser once (it now holds a device cookie)."""
    make_user(role="relay", email="vraie@b.fr")
    browser = _browser(app, "192.0.2.10")
    assert form_login(browser, "vraie@b.fr").status_code == 303
    assert _device_cookie(browser, app) is not None
    browser.post("/deconnexion", data={"csrf_token": _token(browser)})
    return browser


def _token(client):
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_an_attacker_cannot_lock_out_the_real_user(app, db, real_user):
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    attacker = _browser(app, "203.0.113.66")
    answers = [form_login(attacker, "vraie@b.fr", WRONG).status_code for _ in range(free + 1)]
    assert answers == [401] * (free + 1)
    # The attacker, an unknown browser, is now throttled, even with the right password …
    blocked = form_login(attacker, "vraie@b.fr")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    # … and so is any unknown browser, for this account …
    assert form_login(_browser(app, "198.51.100.7"), "vraie@b.fr").status_code == 429
    # … but the real user's own browser signs in at once.
    assert form_login(real_user, "vraie@b.fr").status_code == 303
    assert real_user.get("/").status_code == 200
    # And that did not lift the attacker's throttling.
    assert form_login(attacker, "vraie@b.fr", WRONG).status_code == 429


def test_a_known_browser_is_throttled_on_its_own_failures(app, db, real_user):
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    answers = [form_login(real_user, "vraie@b.fr", WRONG).status_code for _ in range(free + 2)]
    assert answers == [401] * (free + 1) + [429]
    # Those failures are the device's: the account and the address were not charged.
    db.expire_all()
    keys = set(db.scalars(select(LoginThrottle.key)))
    assert {k.split(":")[0] for k in keys} == {"device"}
    assert form_login(_browser(app, "198.51.100.8"), "vraie@b.fr").status_code == 303


def test_the_device_cookie_is_signed_private_and_names_one_account(app, db, real_user):
    make_user(role="relay", email="autre@b.fr")
    fresh = _browser(app, "192.0.2.11")
    response = form_login(fresh, "vraie@b.fr")
    cookie_header = [h for h in response.headers.getlist("Set-Cookie")
                     if h.startswith("bv_device=")][0]
    assert "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header
    fresh.post("/deconnexion", data={"csrf_token": _token(fresh)})
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    # Another account's failures from this browser are an unknown browser's: they count
    # against that account (and lock it for unknown browsers as usual).
    for _ in range(free + 1):
        form_login(fresh, "autre@b.fr", WRONG)
    assert form_login(_browser(app, "198.51.100.9"), "autre@b.fr").status_code == 429
    # A forged or altered cookie is no device cookie.
    forged = _browser(app, "203.0.113.67")
    value = _device_cookie(real_user, app).value
    forged.set_cookie("bv_device", value[:-3] + ("abc" if not value.endswith("abc") else "xyz"))
    for _ in range(free + 1):
        form_login(forged, "vraie@b.fr", WRONG)
    assert form_login(forged, "vraie@b.fr").status_code == 429
    assert form_login(real_user, "vraie@b.fr").status_code == 303


def test_no_device_cookie_before_the_second_factor(app, db):
    make_user(role="coordinator", email="coord-device@b.fr")
    browser = _browser(app, "192.0.2.12")
    browser.post("/connexion", data={"email": "coord-device@b.fr",
                                     "password": "une phrase de passe de test",
                                     "csrf_token": _login_token(browser)})
    assert _device_cookie(browser, app) is None
    assert form_login(_browser(app, "192.0.2.12"), "coord-device@b.fr").status_code == 303


def _login_token(client):
    html = client.get("/connexion").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
