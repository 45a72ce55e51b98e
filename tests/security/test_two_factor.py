"""Two-factor sign-in (TOTP): enrolment, the code step (right, wrong, replayed, throttled),
recovery codes used once, admins and coordinators sent to enrolment from every page until
they enrol, optional for relays and social workers, API tokens unaffected, the demo's keys."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.models import ApiToken, RecoveryCode, User
from bienveilleurs.services import accounts, demo, two_factor

from ..conftest import api_headers, totp_code
from ..factories import TEST_PASSWORD, TEST_TOTP_SECRET, make_user
from .helpers import csrf_token, session_cookie

ENROL = "/compte/double-authentification/activer"
CODE = "/connexion/code"


def _password_step(client, email, password=TEST_PASSWORD):
    return client.post("/connexion", data={"email": email, "password": password,
                                           "csrf_token": csrf_token(client)})


def _code_step(client, code):
    return client.post(CODE, data={"code": code, "csrf_token": csrf_token(client, CODE)})


def _stored(db, email):
    db.expire_all()
    return db.scalar(select(User).where(User.email == email))


def _enrol(client, db, email):
    """Enrol through the pages; return (secret, recovery codes)."""
    page = client.get(ENROL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = re.search(r'class="secret-key">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    response = client.post(ENROL, data={"code": totp_code(email, secret),
                                        "csrf_token": csrf_token(client, ENROL)})
    assert response.status_code == 201, response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code>",
                       response.get_data(as_text=True))
    return secret, codes


def test_enrolment_draws_the_qr_code_here_and_keeps_the_key_server_side(app, db):
    make_user(role="relay", email="enrole@b.fr")
    client = app.test_client()
    assert _password_step(client, "enrole@b.fr").status_code == 303
    page = client.get(ENROL)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert '<svg' in html and "QR code" in html and "http" not in html.split("<svg", 1)[1][:50]
    secret = _stored(db, "enrole@b.fr").totp_secret
    assert secret and " ".join(secret[i:i + 4] for i in range(0, 32, 4)) in html
    # Not in the session cookie (signed, not encrypted): a reload shows the same key.
    assert secret not in (session_cookie(client, app) or "")
    assert secret in client.get(ENROL).get_data(as_text=True).replace(" ", "")

    wrong = client.post(ENROL, data={"code": "000000", "csrf_token": csrf_token(client, ENROL)})
    assert wrong.status_code == 422 and "Code incorrect" in wrong.get_data(as_text=True)
    assert _stored(db, "enrole@b.fr").totp_enabled_at is None

    response = client.post(ENROL, data={"code": totp_code("enrole@b.fr", secret),
                                        "csrf_token": csrf_token(client, ENROL)})
    assert response.status_code == 201
    codes = re.findall(r"<code>([a-z2-9-]{19})</code>", response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    user = _stored(db, "enrole@b.fr")
    assert user.totp_enabled_at is not None and user.session_version == 2
    digests = db.scalars(select(RecoveryCode.digest).where(RecoveryCode.user_id == user.id)).all()
    assert len(digests) == 10 and all(c.encode() not in d for c in codes for d in digests)
    # This browser goes on; the codes are shown once only.
    assert client.get("/").status_code == 200
    assert "<code>" not in client.get("/compte/double-authentification/").get_data(as_text=True)


def test_sign_in_with_a_code_a_wrong_one_and_a_replayed_one(app, db):
    make_user(role="coordinator", email="coord@b.fr")
    client = app.test_client()
    response = _password_step(client, "coord@b.fr")
    assert response.status_code == 303 and response.headers["Location"].endswith(CODE)
    # The password alone opens nothing.
    assert client.get("/").status_code == 302
    assert "_user_id" not in _session(client)

    wrong = _code_step(client, "123456" if totp_code("coord@b.fr") != "123456" else "654321")
    assert wrong.status_code == 401 and "Code incorrect" in wrong.get_data(as_text=True)
    code = totp_code("coord@b.fr")
    assert _code_step(client, code).status_code == 303
    assert client.get("/").status_code == 200

    # The same code again, from another browser that has the password: refused.
    thief = app.test_client()
    assert _password_step(thief, "coord@b.fr").status_code == 303
    replay = _code_step(thief, code)
    assert replay.status_code == 401
    assert thief.get("/").status_code == 302


def _session(client):
    with client.session_transaction() as sess:
        return dict(sess)


def test_wrong_codes_are_throttled(app, db):
    make_user(role="admin", email="chef@b.fr")
    client = app.test_client()
    _password_step(client, "chef@b.fr")
    wrong = "000000" if totp_code("chef@b.fr") != "000000" else "111111"
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    statuses = [_code_step(client, wrong).status_code for _ in range(free + 2)]
    assert statuses == [401] * (free + 1) + [429]
    blocked = _code_step(client, totp_code("chef@b.fr"))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1


def test_a_recovery_code_works_once(app, db):
    make_user(role="relay", email="perdu@b.fr")
    client = app.test_client()
    _password_step(client, "perdu@b.fr")
    _, codes = _enrol(client, db, "perdu@b.fr")
    for attempt, expected in ((1, 303), (2, 401)):
        other = app.test_client()
        assert _password_step(other, "perdu@b.fr").status_code == 303
        # Typed as people do: upper case, spaces instead of dashes.
        assert _code_step(other, codes[0].upper().replace("-", " ")).status_code == expected, \
            attempt
    user = _stored(db, "perdu@b.fr")
    assert db.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) == 9


PAGES = ["/", "/admin/comptes", "/compte/", "/compte/mot-de-passe", "/compte/mes-donnees/",
         "/compte/jetons/", "/gestion/", "/preferences/notifications"]


def test_an_admin_who_has_not_enrolled_is_sent_to_enrolment_from_every_page(app, db):
    make_user(role="admin", email="nouvel-admin@b.fr", two_factor=False)
    client = app.test_client()
    response = _password_step(client, "nouvel-admin@b.fr")
    assert response.status_code == 303
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 303 and page.headers["Location"].endswith(ENROL), path
    # The API through the session too, and forms.
    assert client.get("/api/v1/me", headers=api_headers()).status_code == 403
    token = csrf_token(client, ENROL)
    assert client.post("/compte/jetons/", data={"label": "x", "csrf_token": token}
                       ).status_code == 303
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert client.get(ENROL).status_code == 200

    _enrol(client, db, "nouvel-admin@b.fr")
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    assert client.get("/api/v1/me", headers=api_headers()).status_code == 200


def test_api_tokens_are_not_concerned(app, db):
    make_user(role="coordinator", email="integration@b.fr", two_factor=False)
    token = accounts.issue_token("integration@b.fr")
    assert app.test_client().get("/api/v1/me", headers=api_headers(token)).status_code == 200


def test_optional_for_relays_who_may_turn_it_on_and_off(app, db):
    make_user(role="relay", email="voisine@b.fr")
    laptop, phone = app.test_client(), app.test_client()
    assert _password_step(laptop, "voisine@b.fr").headers["Location"].endswith("/")
    _password_step(phone, "voisine@b.fr")
    assert laptop.get("/").status_code == 200
    secret, _ = _enrol(laptop, db, "voisine@b.fr")
    # Turning it on ended the other session; the next sign-in asks for a code.
    assert phone.get("/").status_code == 302
    assert _password_step(phone, "voisine@b.fr").headers["Location"].endswith(CODE)

    page = "/compte/double-authentification/"
    refused = laptop.post("/compte/double-authentification/desactiver", data={
        "disable-password": "pas le bon", "disable-code": totp_code("voisine@b.fr", secret),
        "disable-csrf_token": csrf_token(laptop, page)}, follow_redirects=True)
    assert "mot de passe est incorrect" in refused.get_data(as_text=True)
    assert _stored(db, "voisine@b.fr").totp_enabled_at is not None
    done = laptop.post("/compte/double-authentification/desactiver", data={
        "disable-password": TEST_PASSWORD, "disable-code": totp_code("voisine@b.fr", secret),
        "disable-csrf_token": csrf_token(laptop, page)}, follow_redirects=True)
    assert "est désactivée" in done.get_data(as_text=True), done.get_data(as_text=True)[-3000:]
    assert _stored(db, "voisine@b.fr").totp_enabled_at is None
    assert laptop.get("/").status_code == 200
    assert _password_step(app.test_client(), "voisine@b.fr").headers["Location"].endswith("/")


def test_coordinators_cannot_turn_it_off(app, db, client_as):
    client = client_as("coordinator")
    html = client.get("/compte/double-authentification/").get_data(as_text=True)
    assert "Désactiver la double authentification" not in html and "obligatoire" in html
    from bienveilleurs.errors import Forbidden
    with pytest.raises(Forbidden):
        two_factor.disable(client.user, TEST_PASSWORD, totp_code(client.user.email))


def test_the_code_step_expires(app, db):
    make_user(role="coordinator", email="lent@b.fr")
    client = app.test_client()
    start = clock.now()
    with clock.frozen(start):
        _password_step(client, "lent@b.fr")
        token = csrf_token(client, CODE)
    with clock.frozen(start + timedelta(minutes=6)):
        now = two_factor.current_step(TEST_TOTP_SECRET)
        late = client.post(CODE, data={"code": two_factor.code_at_step(TEST_TOTP_SECRET, now),
                                       "csrf_token": token})
    assert late.status_code == 303 and late.headers["Location"].endswith("/connexion")


def test_reset_by_the_command_line(app, db):
    version = make_user(role="coordinator", email="telephone-perdu@b.fr").session_version
    result = app.test_cli_runner().invoke(args=["users", "reset-2fa", "telephone-perdu@b.fr"])
    assert result.exit_code == 0, result.output
    stored = _stored(db, "telephone-perdu@b.fr")
    assert stored.totp_enabled_at is None and stored.session_version == version + 1
    client = app.test_client()
    _password_step(client, "telephone-perdu@b.fr")
    assert client.get("/").headers["Location"].endswith(ENROL)
    unknown = app.test_cli_runner().invoke(args=["users", "reset-2fa", "personne@b.fr"])
    assert unknown.exit_code == 1


def test_demo_accounts_print_their_keys_and_codes(app, db):
    demo.load()
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["demo", "accounts"]).output
    for email, _, _, secret in demo.present_accounts():
        assert (secret in printed) if secret else True, email
    code = runner.invoke(args=["demo", "code", "coordination@demo.bienveilleurs.fr"])
    assert code.exit_code == 0 and re.fullmatch(r"\d{6}\n", code.output)
    client = app.test_client()
    _password_step(client, "coordination@demo.bienveilleurs.fr", "demo-coordination-le-havre")
    assert _code_step(client, code.output.strip()).status_code == 303
    assert client.get("/").status_code == 200
    refused = runner.invoke(args=["demo", "code", "relais@demo.bienveilleurs.fr"])
    assert refused.exit_code == 1
