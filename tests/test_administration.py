"""Issue 8: invitations, password resets, accounts administration, API tokens, audit log."""

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.errors import NotFound
from bienveilleurs.models import AccountToken, ApiToken, AuditEntry, Notification, User
from bienveilleurs.services import accounts, invitations

from .conftest import api_headers, sign_in
from .factories import TEST_PASSWORD, make_territory, make_user

NEW_PASSWORD = "un tout nouveau mot de passe"


def csrf(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def post_form(client, url, data=None, **kwargs):
    """GET the page (following a one-time link's redirect), then POST its form where it lives."""
    page = client.get(url, follow_redirects=True)
    return client.post(page.request.path, data={"csrf_token": csrf(page.get_data(as_text=True)),
                                                **(data or {})}, **kwargs)


def link_from_outbox(db, email, kind):
    """The one-time link, as the person reads it in the e-mail (the pending outbox row)."""
    db.expire_all()
    row = db.scalar(select(Notification).join(User, User.id == Notification.recipient_user_id)
                    .where(User.email == email, Notification.kind == kind)
                    .order_by(Notification.id.desc()))
    return re.search(r"https?://\S+", row.body_text).group(0).split("5000", 1)[1]


def test_an_admin_invites_a_coordinator_who_sets_a_password_and_logs_in(client_as, client, db, app):
    territory = make_territory(name="Centre")
    admin = client_as("admin")
    response = post_form(admin, "/admin/comptes/inviter", {
        "email": "Nouvelle.Coordo@Test.Bienveilleurs.fr", "display_name": "Nina",
        "role": "coordinator", "territories": [str(territory.id)]})
    assert response.status_code == 303
    user = db.scalar(select(User).where(User.email == "nouvelle.coordo@test.bienveilleurs.fr"))
    assert user.password_hash is None and user.role == "coordinator"
    assert [t.id for t in user.territories] == [territory.id]
    # Only a digest of the link's secret is stored.
    path = link_from_outbox(db, user.email, "invitation")
    secret = path.rsplit("/", 1)[1]
    stored = db.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
    assert secret.encode() not in stored.digest and len(stored.digest) == 32
    assert stored.expires_at - stored.created_at == timedelta(hours=72)

    # The secret leaves the address at once (browser history, Referer).
    first = client.get(path)
    assert first.status_code == 303 and first.headers["Location"] == "/invitation"
    page = client.get("/invitation")
    assert page.status_code == 200
    assert "nouvelle.coordo@test.bienveilleurs.fr" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    weak = client.post("/invitation", data={"csrf_token": csrf(page.get_data(as_text=True)),
                                            "password": "court", "confirm": "court"})
    assert weak.status_code == 422 and "12 caractères" in weak.get_data(as_text=True)
    done = client.post("/invitation", data={"csrf_token": csrf(page.get_data(as_text=True)),
                                            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/connexion")
    db.expire_all()
    assert accounts.authenticate(user.email, NEW_PASSWORD, address="127.0.0.1").id == user.id

    # The same link again is refused, and changes nothing.
    again = client.get(path, follow_redirects=True)
    assert again.status_code == 404 and "déjà servi" in again.get_data(as_text=True)
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["account.invited", "account.invitation_accepted"]


def test_an_expired_invitation_is_refused_and_a_new_one_replaces_it(client_as, client, db):
    admin = client_as("admin")
    user = invitations.invite(admin.user, email="tard@test.bienveilleurs.fr", role="relay")
    path = link_from_outbox(db, user.email, "invitation")
    with clock.frozen(clock.now() + timedelta(hours=72, minutes=1)):
        page = client.get(path, follow_redirects=True)
        assert page.status_code == 404 and "expiré" in page.get_data(as_text=True)
        with pytest.raises(NotFound, match="expiré"):
            invitations.accept_invitation(path.rsplit("/", 1)[1], NEW_PASSWORD)
    assert db.scalar(select(User.password_hash).where(User.id == user.id)) is None

    account_page = admin.get(f"/admin/comptes/{user.id}").get_data(as_text=True)
    response = admin.post(f"/admin/comptes/{user.id}/reinviter",
                          data={"csrf_token": csrf(account_page)})
    assert response.status_code == 303
    new_path = link_from_outbox(db, user.email, "invitation")
    assert new_path != path
    assert client.get(path, follow_redirects=True).status_code == 404
    assert client.get(new_path, follow_redirects=True).status_code == 200


def test_invitation_errors_are_shown_in_french_and_write_nothing(client_as, db):
    make_user(role="relay", email="deja@test.bienveilleurs.fr")
    admin = client_as("admin")
    before = db.scalar(select(func.count()).select_from(User))
    duplicate = post_form(admin, "/admin/comptes/inviter", {"email": "deja@test.bienveilleurs.fr",
                                                             "role": "relay"})
    assert duplicate.status_code == 409 and "existe déjà" in duplicate.get_data(as_text=True)
    bad = post_form(admin, "/admin/comptes/inviter", {"email": "pas-une-adresse", "role": "relay"})
    assert bad.status_code == 422 and "pas valide" in bad.get_data(as_text=True)
    territory = make_territory()
    wrong = post_form(admin, "/admin/comptes/inviter", {"email": "x@test.bienveilleurs.fr",
                                                         "role": "relay",
                                                         "territories": [str(territory.id)]})
    assert wrong.status_code == 422 and "coordinateurs" in wrong.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert db.scalar(select(func.count()).select_from(Notification)) == 0


def test_forgotten_password_gives_the_same_answer_for_unknown_addresses(client, db):
    known = make_user(role="relay", email="connu@test.bienveilleurs.fr")
    make_user(role="relay", email="inactif@test.bienveilleurs.fr", active=False)
    answers = []
    for email in ("connu@test.bienveilleurs.fr", "inconnu@test.bienveilleurs.fr",
                  "inactif@test.bienveilleurs.fr"):
        response = post_form(client, "/mot-de-passe-oublie", {"email": email})
        body = response.get_data(as_text=True)
        answers.append((response.status_code, body.replace(email, "")))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200 and "Si un compte actif correspond" in answers[0][1]
    rows = db.scalars(select(Notification)).all()
    assert [(r.kind, r.recipient_user_id) for r in rows] == [("password_reset", known.id)]


def test_reset_link_sets_a_new_password_ends_sessions_and_works_once(app, client, db):
    user = make_user(role="coordinator", email="oubli@test.bienveilleurs.fr")
    open_session = app.test_client()
    sign_in(open_session, user)
    assert open_session.get("/").status_code == 200
    invitations.request_password_reset(user.email, address="10.0.0.1")
    path = link_from_outbox(db, user.email, "password_reset")
    new_password = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert post_form(client, path, new_password).status_code == 303
    assert open_session.get("/").status_code == 302  # the old session is over
    db.expire_all()
    assert accounts.authenticate(user.email, NEW_PASSWORD, address="10.0.0.2").id == user.id
    assert client.get(path, follow_redirects=True).status_code == 404
    # A reset link expires (two hours by default).
    invitations.request_password_reset(user.email, address="10.0.0.1")
    later = link_from_outbox(db, user.email, "password_reset")
    with clock.frozen(clock.now() + timedelta(hours=2, minutes=1)):
        assert client.get(later, follow_redirects=True).status_code == 404


def test_reset_requests_are_throttled_alike_for_known_and_unknown_addresses(client, db):
    make_user(role="relay", email="connu@test.bienveilleurs.fr")
    statuses = {}
    for n, email in enumerate(("connu@test.bienveilleurs.fr", "inconnu@test.bienveilleurs.fr")):
        codes = []
        for _ in range(5):
            codes.append(post_form(client, "/mot-de-passe-oublie", {"email": email},
                                   environ_base={"REMOTE_ADDR": f"10.9.9.{n}"}).status_code)
        statuses[email] = codes
    assert statuses["connu@test.bienveilleurs.fr"] == statuses["inconnu@test.bienveilleurs.fr"]
    assert statuses["connu@test.bienveilleurs.fr"] == [200, 200, 200, 429, 429]
    # Never more than the free requests' worth of e-mails.
    assert db.scalar(select(func.count()).select_from(Notification)) == 3


def test_deactivation_ends_an_open_session_and_a_token_at_once(app, client_as, db):
    target = make_user(role="coordinator")
    token = accounts.issue_token(target.email)
    session_client = app.test_client()
    sign_in(session_client, target)
    assert session_client.get("/").status_code == 200
    assert app.test_client().get("/api/v1/me", headers=api_headers(token)).status_code == 200

    admin = client_as("admin")
    page = admin.get(f"/admin/comptes/{target.id}").get_data(as_text=True)
    response = admin.post(f"/admin/comptes/{target.id}/desactiver", data={"csrf_token": csrf(page)})
    assert response.status_code == 303

    assert session_client.get("/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=api_headers(token)).status_code == 401
    tokens = select(func.count()).select_from(ApiToken).where(ApiToken.user_id == target.id)
    assert db.scalar(tokens) == 0
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "account.deactivated"))
    assert entry.actor_id == admin.user.id and entry.target_id == str(target.id)
    assert entry.details["tokens_revoked"] == 1

    # Reactivated, they log in again with their password (tokens stay revoked).
    page = admin.get(f"/admin/comptes/{target.id}").get_data(as_text=True)
    assert admin.post(f"/admin/comptes/{target.id}/reactiver",
                      data={"csrf_token": csrf(page)}).status_code == 303
    db.expire_all()
    assert accounts.authenticate(target.email, TEST_PASSWORD, address="10.1.1.1").id == target.id


def test_role_change_ends_sessions_and_admins_cannot_lock_themselves_out(app, client_as, db):
    admin = client_as("admin")
    target = make_user(role="relay")
    other = app.test_client()
    sign_in(other, target)
    page = admin.get(f"/admin/comptes/{target.id}").get_data(as_text=True)
    assert admin.post(f"/admin/comptes/{target.id}/role",
                      data={"csrf_token": csrf(page), "role": "coordinator"}).status_code == 303
    db.expire_all()
    assert db.get(User, target.id).role == "coordinator"
    assert other.get("/").status_code == 302
    # One's own role and account are not changed from one's own session.
    own = admin.get(f"/admin/comptes/{admin.user.id}").get_data(as_text=True)
    assert "C'est votre compte" in own
    token = csrf(admin.get(f"/admin/comptes/{target.id}").get_data(as_text=True))
    assert admin.post(f"/admin/comptes/{admin.user.id}/role",
                      data={"csrf_token": token, "role": "relay"}).status_code == 403
    assert admin.post(f"/admin/comptes/{admin.user.id}/desactiver",
                      data={"csrf_token": token}).status_code == 403


def test_accounts_list_searches_by_email_name_role_and_state(client_as, db):
    make_user(role="relay", email="alpha@test.bienveilleurs.fr", display_name="Zoé Martin")
    make_user(role="coordinator", email="beta@test.bienveilleurs.fr")
    make_user(role="relay", email="gamma@test.bienveilleurs.fr", active=False)
    admin = client_as("admin")
    by_name = admin.get("/admin/comptes?q=zo%C3%A9").get_data(as_text=True)
    assert "alpha@" in by_name and "beta@" not in by_name
    by_role = admin.get("/admin/comptes?role=coordinator").get_data(as_text=True)
    assert "beta@" in by_role and "alpha@" not in by_role
    inactive = admin.get("/admin/comptes?status=inactive").get_data(as_text=True)
    assert "gamma@" in inactive and "alpha@" not in inactive


def test_everyone_sees_and_revokes_their_own_api_tokens_only(app, client_as, db):
    owner = client_as("relay")
    created = post_form(owner, "/compte/jetons/", {"label": "Tableur"})
    assert created.status_code == 201
    token = re.search(r'value="(bvt_[^"]+)"', created.get_data(as_text=True)).group(1)
    assert app.test_client().get("/api/v1/me", headers=api_headers(token)).status_code == 200
    row = db.scalar(select(ApiToken).where(ApiToken.user_id == owner.user.id))
    listing = owner.get("/compte/jetons/").get_data(as_text=True)
    assert "Tableur" in listing and token not in listing

    stranger = client_as("coordinator")
    page = stranger.get("/compte/jetons/").get_data(as_text=True)
    assert "Tableur" not in page
    assert stranger.post(f"/compte/jetons/{row.id}/revoquer",
                         data={"csrf_token": csrf(page)}).status_code == 404
    assert owner.post(f"/compte/jetons/{row.id}/revoquer",
                      data={"csrf_token": csrf(listing)}).status_code == 303
    assert app.test_client().get("/api/v1/me", headers=api_headers(token)).status_code == 401


ADMIN_PAGES = ["/admin/comptes", "/admin/comptes/inviter", "/admin/journal", "/admin/territoires",
               "/admin/notifications/"]


@pytest.mark.parametrize("role", ["relay", "coordinator", "social_worker"])
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_pages_are_for_admins_only(client_as, role, url):
    assert client_as(role).get(url).status_code == 403


@pytest.mark.parametrize("url", ADMIN_PAGES + ["/couverture/", "/admin/hors-territoire",
                                               "/compte/jetons/"])
def test_pages_need_a_session(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [("relay", 403), ("social_worker", 403),
                                         ("coordinator", 200), ("admin", 200)])
def test_coverage_and_outside_pages_by_role(client_as, role, status):
    client = client_as(role)
    assert client.get("/couverture/").status_code == status
    assert client.get("/admin/hors-territoire").status_code == status


def test_audit_page_lists_changes_with_who_and_what(client_as, db):
    admin = client_as("admin")
    invitations.invite(admin.user, email="audit@test.bienveilleurs.fr", role="social_worker")
    html = admin.get("/admin/journal").get_data(as_text=True)
    assert "Invitation de audit@test.bienveilleurs.fr" in html and admin.user.email in html
    assert "audit@" in admin.get("/admin/journal?action=account.invited").get_data(as_text=True)
    deactivated = admin.get("/admin/journal?action=account.deactivated")
    assert "audit@" not in deactivated.get_data(as_text=True)
    assert admin.get("/admin/journal?action=nope").status_code == 400


# --- territories --------------------------------------------------------------------------------

SQUARE = [[0.10, 49.49], [0.12, 49.49], [0.12, 49.50], [0.10, 49.50], [0.10, 49.49]]


def geojson(*features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props,
         "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for props, ring in features]}).encode()


def test_territories_import_through_the_page_edit_and_attach_coordinators(client_as, db):
    from bienveilleurs.models import Territory
    admin = client_as("admin")
    page = admin.get("/admin/territoires").get_data(as_text=True)
    data = geojson(({"name": "Centre", "code": "C1"}, SQUARE))
    response = admin.post("/admin/territoires", data={"csrf_token": csrf(page),
                                                       "geojson": (io.BytesIO(data), "t.geojson")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    territory = db.scalar(select(Territory).where(Territory.code == "C1"))
    assert territory.name == "Centre"
    bad = admin.post("/admin/territoires",
                     data={"csrf_token": csrf(page),
                           "geojson": (io.BytesIO(b"{pas du json"), "t.geojson")},
                     content_type="multipart/form-data")
    assert bad.status_code == 422

    coordinator = make_user(role="coordinator")
    relay = make_user(role="relay")
    url = f"/admin/territoires/{territory.id}"
    assert post_form(admin, url, {"name": "Centre-ville", "code": "C1",
                                  "coordinators": [str(coordinator.id)]}).status_code == 303
    db.expire_all()
    assert territory.name == "Centre-ville"
    assert [u.id for u in db.get(User, coordinator.id).territories] == [territory.id]
    refused = post_form(admin, url, {"name": "X", "coordinators": [str(relay.id)]})
    assert refused.status_code == 422
    db.expire_all()
    assert territory.name == "Centre-ville"
    actions = db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["territory.imported", "territory.updated"]


def test_a_territory_outline_is_replaced_from_a_geojson_polygon(client_as, db):
    from geoalchemy2.shape import to_shape
    territory = make_territory(name="Sud")
    admin = client_as("admin")
    page = admin.get(f"/admin/territoires/{territory.id}").get_data(as_text=True)
    ring = [[0.13, 49.48], [0.16, 49.48], [0.16, 49.49], [0.13, 49.49], [0.13, 49.48]]
    polygon = json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()
    response = admin.post(f"/admin/territoires/{territory.id}/contour",
                          data={"csrf_token": csrf(page),
                                "geojson": (io.BytesIO(polygon), "sud.geojson")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    db.expire_all()
    assert to_shape(territory.area).bounds == (0.13, 49.48, 0.16, 49.49)
    two = geojson(({"name": "A"}, SQUARE), ({"name": "B"}, ring))
    refused = admin.post(f"/admin/territoires/{territory.id}/contour",
                         data={"csrf_token": csrf(page), "geojson": (io.BytesIO(two), "x.geojson")},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and "un seul contour" in refused.get_data(as_text=True)
    db.expire_all()
    assert to_shape(territory.area).bounds == (0.13, 49.48, 0.16, 49.49)
    coordinator = client_as("coordinator")
    assert coordinator.post(f"/admin/territoires/{territory.id}/contour").status_code in (400, 403)
