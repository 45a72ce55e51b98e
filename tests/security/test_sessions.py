"""Sessions: rotation on login, revocation (logout, password change, deactivation), timeouts,
production cookie settings, the password change page and rehashing on login."""

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bienveilleurs import clock, create_app
from bienveilleurs.config import ConfigError
from bienveilleurs.models import User
from bienveilleurs.security import verify_password
from bienveilleurs.services import administration

from ..conftest import sign_in
from ..factories import TEST_PASSWORD, make_user
from .helpers import csrf_token, form_login, session_cookie, with_cookie

NEW_PASSWORD = "un tout nouveau mot de passe"
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_login_gives_a_new_session(app, db):
    make_user(role="relay", email="rot@b.fr")
    client = app.test_client()
    client.get("/connexion")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = session_cookie(client, app)
    assert before
    assert form_login(client, "rot@b.fr").status_code == 303
    after = session_cookie(client, app)
    assert after and after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess and sess["_user_id"].endswith(":1")
    # The pre-login cookie is still anonymous.
    assert with_cookie(app, before).get("/").status_code == 302


def test_old_cookie_replayed_after_logout_is_refused(app, db):
    make_user(role="coordinator", email="out@b.fr")
    client = app.test_client()
    form_login(client, "out@b.fr")
    stolen = session_cookie(client, app)
    assert with_cookie(app, stolen).get("/").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 303
    replay = with_cookie(app, stolen)
    response = replay.get("/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_password_change_ends_every_other_session(app, db):
    user = make_user(role="social_worker", email="pw@b.fr")
    laptop, phone = app.test_client(), app.test_client()
    form_login(laptop, "pw@b.fr")
    form_login(phone, "pw@b.fr")
    before_change = session_cookie(laptop, app)
    response = laptop.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(laptop, "/compte/mot-de-passe"), "current_password": TEST_PASSWORD,
        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    # This browser goes on with a new session; the other device and the old cookie are out.
    assert laptop.get("/").status_code == 200
    assert session_cookie(laptop, app) != before_change
    assert phone.get("/").status_code == 302
    assert with_cookie(app, before_change).get("/").status_code == 302
    db.expire_all()
    stored = db.scalar(select(User.password_hash).where(User.id == user.id))
    assert verify_password(stored, NEW_PASSWORD) and not verify_password(stored, TEST_PASSWORD)
    assert form_login(app.test_client(), "pw@b.fr", NEW_PASSWORD).status_code == 303


def test_deactivation_ends_every_session(app, db):
    user = make_user(role="relay", email="gone@b.fr")
    admin = make_user(role="admin")
    client = app.test_client()
    form_login(client, "gone@b.fr")
    cookie = session_cookie(client, app)
    administration.set_active(admin, user.id, False)
    assert with_cookie(app, cookie).get("/").status_code == 302
    # Reactivating the account does not bring the old session back.
    administration.set_active(admin, user.id, True)
    assert with_cookie(app, cookie).get("/").status_code == 302
    assert form_login(app.test_client(), "gone@b.fr").status_code == 303


@pytest.mark.parametrize("offset, alive", [(-1, True), (+1, False)])
def test_idle_timeout(app, db, offset, alive):
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    client = app.test_client()
    with clock.frozen(T0):
        sign_in(client, make_user(role="coordinator"))
        assert client.get("/").status_code == 200
    with clock.frozen(T0 + idle + timedelta(seconds=offset)):
        response = client.get("/")
    assert response.status_code == (200 if alive else 302)


@pytest.mark.parametrize("offset, alive", [(-1, True), (+1, False)])
def test_absolute_lifetime_even_when_active(app, db, offset, alive):
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    step = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]) - timedelta(minutes=5)
    client = app.test_client()
    with clock.frozen(T0):
        sign_in(client, make_user(role="relay"))
    at = T0
    while at + step < T0 + lifetime:
        at += step
        with clock.frozen(at):
            assert client.get("/").status_code == 200, at
    with clock.frozen(T0 + lifetime + timedelta(seconds=offset)):
        response = client.get("/")
    assert response.status_code == (200 if alive else 302)


def test_expired_session_is_told_in_french(app, db):
    client = app.test_client()
    with clock.frozen(T0):
        sign_in(client, make_user(role="relay"))
    with clock.frozen(T0 + timedelta(days=2)):
        response = client.get("/", follow_redirects=True)
    assert "Votre session a expiré" in response.get_data(as_text=True)


def test_production_cookies_and_hsts(database_url, monkeypatch, db):
    monkeypatch.setenv("BIENVEILLEURS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-this-test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    prod = create_app()
    assert prod.config["SECRET_KEY"] == "a-production-secret-for-this-test"
    assert not prod.debug and prod.config["SESSION_COOKIE_NAME"] == "__Host-session"
    response = prod.test_client().get("/connexion", base_url="https://bienveilleurs.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in cookie, attribute
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_without_secret_key_refuses_to_start(monkeypatch, database_url):
    monkeypatch.setenv("BIENVEILLEURS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with pytest.raises(ConfigError, match="SECRET_KEY est obligatoire"):
        create_app()


def test_development_has_no_hsts_and_a_plain_cookie_name(app, db):
    response = app.test_client().get("/connexion")
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["Set-Cookie"].startswith("bv_session=")


@pytest.mark.parametrize("fields, field_error", [
    ({"current_password": "pas le bon mot de passe"}, "Le mot de passe actuel est incorrect."),
    ({"new_password": "court", "confirm": "court"}, "au moins 12 caractères"),
    ({"new_password": "motdepasse123", "confirm": "motdepasse123"}, "trop courant"),
    ({"confirm": "une autre saisie encore"}, "Les deux saisies du nouveau mot de passe diffèrent."),
    ({"new_password": TEST_PASSWORD, "confirm": TEST_PASSWORD}, "différent de l&#39;actuel"),
])
def test_password_change_refusals_are_explained_and_change_nothing(client_as, db, fields,
                                                                   field_error):
    client = client_as("relay")
    data = {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD, **fields}
    response = client.post("/compte/mot-de-passe",
                           data={**data, "csrf_token": csrf_token(client, "/compte/mot-de-passe")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error in page and 'role="alert"' in page and 'aria-invalid="true"' in page
    db.expire_all()
    row = db.execute(select(User.password_hash, User.session_version)
                     .where(User.id == client.user.id)).one()
    assert verify_password(row.password_hash, TEST_PASSWORD) and row.session_version == 1
    assert client.get("/").status_code == 200


def test_password_change_needs_csrf_and_a_session(client_as, app, db):
    client = client_as("admin")
    response = client.post("/compte/mot-de-passe", data={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    db.expire_all()
    assert db.scalar(select(User.session_version).where(User.id == client.user.id)) == 1
    anonymous = app.test_client().get("/compte/mot-de-passe")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


def test_password_page_is_labelled_for_every_role(client_as, db):
    for role in ("admin", "coordinator", "relay", "social_worker"):
        page = client_as(role).get("/compte/mot-de-passe")
        assert page.status_code == 200, role
        html = page.get_data(as_text=True)
        for label in ("Mot de passe actuel", "Nouveau mot de passe",
                      "Confirmez le nouveau mot de passe"):
            assert f">{label}</label>" in html
        assert 'autocomplete="new-password"' in html


def test_login_rehashes_a_password_hashed_with_weaker_parameters(app, db):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(TEST_PASSWORD)
    user = make_user(role="relay", email="old@b.fr")
    user.password_hash = weak
    db.flush()
    assert form_login(app.test_client(), "old@b.fr").status_code == 303
    db.expire_all()
    stored = db.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored != weak and "m=8192,t=1,p=1" in weak
    current = PasswordHasher()
    assert f"m={current.memory_cost},t={current.time_cost},p={current.parallelism}" in stored
    assert not current.check_needs_rehash(stored) and verify_password(stored, TEST_PASSWORD)


def test_deactivation_by_an_admin_ends_the_sessions_for_good(app, db):
    make_user(role="relay", email="quitte@b.fr")
    make_user(role="admin", email="chef@b.fr")
    relay, admin = app.test_client(), app.test_client()
    form_login(relay, "quitte@b.fr")
    cookie = session_cookie(relay, app)
    form_login(admin, "chef@b.fr")
    user_id = db.scalar(select(User.id).where(User.email == "quitte@b.fr"))
    page = f"/admin/comptes/{user_id}"
    for action in ("desactiver", "reactiver"):
        response = admin.post(f"{page}/{action}", data={"csrf_token": csrf_token(admin, page)})
        assert response.status_code in (302, 303), action
        assert with_cookie(app, cookie).get("/").status_code == 302, action
