"""A structure without an account answers a referral from its e-mail: its one-time link.

The whole path over HTTP with no account (orient → the e-mail in the outbox → open → accept →
close), what the link refuses and says (another referral, sent back, reassigned, closed,
erased, expired, replaced, disabled), replays, the secret stored only as its digest, the
access log, the throttle, CSRF, the coordinator's view and buttons, and a structure that
gains a member account.
"""

import hashlib
import html as html_text
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text

from bienveilleurs import clock
from bienveilleurs.errors import Conflict, NotFound
from bienveilleurs.extensions import db as _db
from bienveilleurs.models import (
    AccessLog,
    Notification,
    Referral,
    ReferralEvent,
    StructureLink,
    structure_members,
)
from bienveilleurs.services import notifications, privacy
from bienveilleurs.services import referrals as service
from bienveilleurs.services.referrals import link_coordination
from bienveilleurs.services.referrals import structure_link as links

from .conftest import api_headers, sign_in
from .factories import make_resource, make_structure, make_territory, make_user
from .referral_helpers import CATEGORY, LAT, bring_to, make_world, new_referral, snapshot

CONTACT = "Accueil@Epicerie.test"
LINK = re.compile(r"https?://[^\s/]+(/lien-structure/\S+)")


@pytest.fixture
def world(db):
    return make_world()


def _unstaffed(name="Épicerie solidaire du Rond-Point"):
    structure = make_structure(name=name, contact_email=CONTACT)
    resource = make_resource(structure=structure, categories=(CATEGORY,), lat=LAT + 0.0015,
                             name=f"Accueil — {name}")
    return structure, resource


def _referred(world, resource, *, note="Appeler avant de passer, le matin."):
    """A referral the assigned relay hands to `resource` (a structure without an account)."""
    referral = bring_to(world, new_referral(world), "contacted")
    service.transition(world.relay_user, referral.id, "referred", resource_id=resource.id,
                       note=note)
    _db.session.expire_all()
    return _db.session.get(Referral, referral.id)


def _message(referral):
    return _db.session.scalars(select(Notification).where(
        Notification.kind == "structure_link", Notification.referral_id == referral.id)
        .order_by(Notification.id.desc())).first()


def _link_path(referral):
    """The link's path, as the contact reads it in the e-mail's text in the outbox."""
    return LINK.search(_message(referral).body_text).group(1)


def _csrf(html):
    return re.search(r'name="(?:[\w-]+-)?csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _version(html, to):
    return re.search(rf'id="{to}-version" name="{to}-version" type="hidden" value="(\d+)"',
                     html).group(1)


def _open(app, referral):
    """A browser without an account that followed the e-mail's link: (client, page)."""
    client = app.test_client()
    first = client.get(_link_path(referral))
    assert first.status_code == 303, first.get_data(as_text=True)
    assert first.headers["Location"].endswith(f"/lien-structure/orientations/{referral.id}")
    assert "bvl_" not in first.headers["Location"]
    page = client.get(first.headers["Location"])
    return client, page


def _post(client, referral, to, page, **fields):
    html = page.get_data(as_text=True)
    data = {f"{to}-csrf_token": _csrf(html), f"{to}-version": _version(html, to)}
    data.update({f"{to}-{name}": value for name, value in fields.items()})
    return client.post(f"/lien-structure/orientations/{referral.id}/etat/{to}", data=data)


def _text(response):
    """The response's text as a reader reads it (entities such as &#39; decoded)."""
    return html_text.unescape(response.get_data(as_text=True))


def _events(referral):
    return _db.session.scalars(select(ReferralEvent).where(
        ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.id)).all()


def _link(referral):
    _db.session.expire_all()
    return _db.session.scalars(select(StructureLink).where(
        StructureLink.referral_id == referral.id).order_by(StructureLink.created_at.desc(),
                                                           StructureLink.id)).first()


# --- the whole path ---------------------------------------------------------------------------

def test_orient_email_open_accept_close_without_an_account(app, world):
    structure, resource = _unstaffed()
    referral = _referred(world, resource)
    message = _message(referral)
    assert message.recipient_email == CONTACT.lower() and message.recipient_user_id is None
    assert "Mireille" not in message.body_text  # a bare address: the person is not named

    client, page = _open(app, referral)
    html = _text(page)
    assert page.status_code == 200
    # What the structure's social workers would see: the first name, the need, the
    # orientation's note, the relay in charge and how to reach them, the coordination.
    for shown in ("Mireille", "Appeler avant de passer, le matin.", "Rémi Relais",
                  world.relay_user.email, world.coordinator.email, structure.name):
        assert shown in html, shown
    # …and nothing else: not the report's note (not shared), the phone, the contacts log.
    for hidden in ("Vit seule depuis l'hiver.", "06 12 34 56 78", "h-contacts"):
        assert hidden not in html, hidden
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert page.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex, nofollow">' in html

    accepted = _post(client, referral, "accepted", page)
    assert accepted.status_code == 303
    page = client.get(accepted.headers["Location"])
    assert "Prise en charge confirmée." in page.get_data(as_text=True)
    closed = _post(client, referral, "closed", page, outcome="helped")
    assert closed.status_code == 303

    _db.session.expire_all()
    stored = _db.session.get(Referral, referral.id)
    assert (stored.status, stored.outcome) == ("closed", "helped")
    by_link = [e for e in _events(referral) if e.actor_role == service.STRUCTURE_LINK]
    assert [(e.from_status, e.to_status, e.actor_id) for e in by_link] == [
        ("referred", "accepted", None), ("accepted", "closed", None)]
    link = _link(referral)
    assert (link.last_action, link.openings) == ("closed", 2)
    # The link has served: it says so, as a result.
    done = client.get(f"/lien-structure/orientations/{referral.id}")
    assert done.status_code == 200 and "Vous avez clôturé cette orientation" in _text(done)
    # The coordinator reads who acted: the structure, through its link.
    coordinator = sign_in(app.test_client(), world.coordinator)
    timeline = _text(coordinator.get(f"/coordination/orientations/{referral.id}"))
    assert f"{structure.name} (lien reçu par e-mail, sans compte)" in timeline
    api = coordinator.get(f"/api/v1/referrals/{referral.id}", headers=api_headers()).get_json()
    assert api["events"][-1]["actor"] == {"id": None, "role": "structure_link",
                                          "display_name": "lien reçu par e-mail, sans compte"}


def test_a_structure_declines_with_its_own_reason(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    client, page = _open(app, referral)
    html = _text(page)
    assert "Refuser cette orientation" in html
    assert "Pas de réponse de la structure" not in html  # not something a structure says
    wrong = _post(client, referral, "contacted", page, reason="no_answer")
    assert wrong.status_code == 422
    declined = _post(client, referral, "contacted", page, reason="declined",
                     note="Plus de place avant mars.")
    assert declined.status_code == 303
    _db.session.expire_all()
    stored = _db.session.get(Referral, referral.id)
    assert (stored.status, stored.resource_id) == ("contacted", None)
    last = _events(referral)[-1]
    assert (last.actor_role, last.reason, last.resource_id) == ("structure_link", "declined",
                                                                 resource.id)
    after = client.get(declined.headers["Location"])
    assert after.status_code == 200
    assert "Vous avez refusé cette orientation" in _text(after)


# --- what the link refuses --------------------------------------------------------------------

def test_a_link_for_another_referral_or_structure_is_404(app, world):
    structure, resource = _unstaffed()
    mine = _referred(world, resource)
    other = _referred(world, resource)
    client, page = _open(app, mine)
    before = snapshot(other.id)
    assert client.get(f"/lien-structure/orientations/{other.id}").status_code == 404
    assert client.post(f"/lien-structure/orientations/{other.id}/etat/accepted", data={
        "accepted-csrf_token": _csrf(page.get_data(as_text=True))}).status_code == 404
    assert snapshot(other.id) == before
    # The link's row names its referral; the actor of another structure sees nothing.
    link = _link(mine)
    with pytest.raises(NotFound):
        links.read(link.id, other.id)
    elsewhere = make_structure(name="Autre structure")
    stranger = links.LinkActor(SimpleNamespace(id=uuid.uuid4(), referral_id=mine.id), elsewhere)
    with pytest.raises(NotFound):
        service.transition(stranger, mine.id, "accepted")
    assert snapshot(other.id) == before


def _send_back(world, referral):
    service.transition(world.coordinator, referral.id, "contacted", reason="no_answer")


def _reassign(world, referral):
    _send_back(world, referral)
    _db.session.expire_all()
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.other_relay.id,
                       version=_db.session.get(Referral, referral.id).version)


def _close(world, referral):
    service.transition(world.coordinator, referral.id, "closed", outcome="redirected")


def _erase(world, referral):
    privacy.oppose(world.coordinator, referral.resident_id)


def _expire(world, referral):
    _link(referral).expires_at = clock.now() - timedelta(minutes=1)
    _db.session.flush()


def _replace(world, referral):
    link_coordination.resend(world.coordinator, referral.id)


def _disable(world, referral):
    link_coordination.disable(world.coordinator, referral.id)


def _refer_again(world, referral):
    _send_back(world, referral)
    service.transition(world.relay_user, referral.id, "referred",
                       resource_id=_db.session.get(Referral, referral.id).events[-1].resource_id)


ENDINGS = {
    "sent_back": (_send_back, 404, "reprise par la coordination"),
    "reassigned": (_reassign, 404, "reprise par la coordination"),
    "closed": (_close, 404, "a été clôturée le"),
    "erased": (_erase, 410, "ont été effacées"),
    "expired": (_expire, 404, "Ce lien a expiré le"),
    "replaced": (_replace, 404, "remplacé le"),
    "disabled": (_disable, 404, "La coordination a désactivé ce lien"),
    # Sent back, then to the same structure again: a new e-mail, a new link.
    "referred_again": (_refer_again, 404, "remplacé le"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_link_that_ended_is_refused_with_its_reason_and_changes_nothing(app, world, ending):
    change, status, words = ENDINGS[ending]
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    path = _link_path(referral)
    client, page = _open(app, referral)
    change(world, referral)
    before = snapshot(referral.id)
    for response in (client.get(path),
                     client.get(f"/lien-structure/orientations/{referral.id}"),
                     _post(client, referral, "accepted", page)):
        body = _text(response)
        assert response.status_code == status, (ending, body)
        assert words in body, (ending, body)
        assert "Contacter la coordination" in body
        # Whom to write to: the coordinators for the person's place; once the person is
        # erased (no place left), a general word.
        assert (world.coordinator.email if ending != "erased"
                else "contactez la coordination du réseau") in body
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert snapshot(referral.id) == before


def test_an_unknown_secret_says_so_and_is_throttled_per_address(app, db):
    client = app.test_client()
    answers = [client.get(f"/lien-structure/bvl_{n}-pas-un-vrai-lien") for n in range(25)]
    assert answers[0].status_code == 404
    assert "Ce lien n'est pas valable" in _text(answers[0])
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) >= 1


# --- replays, the secret, the access log, the throttle, CSRF ----------------------------------

def test_replaying_a_used_action_writes_no_second_event(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    client, page = _open(app, referral)
    assert _post(client, referral, "accepted", page).status_code == 303
    count = len(_events(referral))
    replay = _post(client, referral, "accepted", page)  # the same form, posted again
    assert replay.status_code == 303
    assert "déjà fait" in _text(client.get(replay.headers["Location"]))
    assert len(_events(referral)) == count
    page = client.get(f"/lien-structure/orientations/{referral.id}")
    assert _post(client, referral, "closed", page, outcome="helped").status_code == 303
    count = len(_events(referral))
    again = _post(client, referral, "closed", page, outcome="helped")
    assert again.status_code == 200 and "Vous avez clôturé" in _text(again)
    assert len(_events(referral)) == count


def test_the_secret_is_kept_only_as_its_digest(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    secret = _link_path(referral).rsplit("/", 1)[1]
    assert secret.startswith("bvl_") and len(secret) >= 40

    class Transport:
        connection, sent = None, []

        def send(self, message):
            self.sent.append(message.get_content())

        def close(self):
            pass

    def columns_holding_it():
        columns = _db.session.execute(text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'json', 'jsonb', 'bytea', 'ARRAY')")).all()
        assert len(columns) > 50
        found = []
        for table, column, kind in columns:
            value = (f'"{column}"::text' if kind != "bytea"
                     else f"encode(\"{column}\", 'escape')")
            if _db.session.scalar(text(
                    f'SELECT count(*) FROM "{table}" WHERE position(:secret in {value}) > 0'),
                    {"secret": secret}):
                found.append(f"{table}.{column}")
        return found

    # Until its e-mail leaves, the outbox holds the link (as for invitations)…
    assert columns_holding_it() == ["notifications.body_text", "notifications.link_path"]
    transport = Transport()
    assert notifications.send_pending(transport=transport)["sent"] >= 1
    assert any(secret in body for body in transport.sent)  # the e-mail carried it
    _db.session.expire_all()
    assert notifications.REDACTED_LINK in _message(referral).body_text
    # …then only its digest is left.
    assert columns_holding_it() == []
    assert _link(referral).digest == hashlib.sha256(secret.encode()).digest()


def test_each_opening_is_in_the_access_log_without_an_account(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    coordinator = sign_in(app.test_client(), world.coordinator)
    # A browser where a coordinator is signed in: the link still reads as the structure.
    path = _link_path(referral)
    page = coordinator.get(coordinator.get(path).headers["Location"])
    assert page.status_code == 200
    client, _ = _open(app, referral)
    client.get(f"/lien-structure/orientations/{referral.id}")
    rows = _db.session.execute(select(AccessLog.user_id, AccessLog.object_type,
                                      AccessLog.object_id)
                               .where(AccessLog.action == "referral.structure_link")).all()
    assert rows == [(None, "referral", referral.id)] * 3
    assert _link(referral).openings == 3


def test_a_link_is_throttled(app, world, monkeypatch):
    monkeypatch.setattr(links, "LINK_FREE_REQUESTS", 3)
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    client, page = _open(app, referral)
    statuses = [client.get(f"/lien-structure/orientations/{referral.id}").status_code
                for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429
    refused = _post(client, referral, "accepted", page)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert _db.session.get(Referral, referral.id).status == "referred"


def test_the_forms_need_their_csrf_token(app, world):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    client, page = _open(app, referral)
    before = snapshot(referral.id)
    response = client.post(f"/lien-structure/orientations/{referral.id}/etat/accepted",
                           data={"accepted-version": _version(page.get_data(as_text=True),
                                                              "accepted")})
    assert response.status_code == 400
    assert snapshot(referral.id) == before


# --- the coordinator ------------------------------------------------------------------------

def test_the_coordinator_sees_sent_opened_used_and_resends_or_disables(app, world):
    structure, resource = _unstaffed()
    referral = _referred(world, resource)
    coordinator = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/orientations/{referral.id}"

    def section():
        html = _text(coordinator.get(url))
        return html[html.index('id="h-structure-link"'):html.index("</section>",
                                                                   html.index("h-structure-link"))]

    shown = section()
    assert CONTACT.lower() in shown and "e-mail en attente d'envoi" in shown
    assert shown.count("pas encore") == 2 and "Renvoyer le lien" in shown
    client, page = _open(app, referral)
    _post(client, referral, "accepted", page)
    shown = section()
    assert "1 fois" in shown and "prise en charge confirmée le" in shown

    token = _csrf(coordinator.get(url).get_data(as_text=True))
    old_path = _link_path(referral)
    resent = coordinator.post(f"{url}/lien-structure/renvoyer", data={"csrf_token": token})
    assert resent.status_code == 303
    assert _link_path(referral) != old_path
    assert "remplacé le" in _text(app.test_client().get(old_path))
    assert app.test_client().get(_link_path(referral)).status_code == 303
    assert "Voici un nouveau lien" in _message(referral).body_text

    new_path = _link_path(referral)
    disabled = coordinator.post(f"{url}/lien-structure/desactiver", data={"csrf_token": token})
    assert disabled.status_code == 303
    assert "désactivé le" in section()
    assert "Désactiver le lien" not in section()
    refused = app.test_client().get(new_path)
    assert refused.status_code == 404 and "désactivé ce lien" in _text(refused)
    # Its e-mail had not left yet: it never will, and its stored copy lost the link.
    assert _message(referral).state == "cancelled"
    assert new_path not in _message(referral).body_text


def test_the_buttons_are_scoped_like_every_coordinator_action(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    far = make_territory(polygon=[(0.20, 49.55), (0.22, 49.55), (0.22, 49.56), (0.20, 49.56)])
    outsider = sign_in(app.test_client(), make_user(role="coordinator", territories=[far]))
    token = _csrf(outsider.get("/coordination/a-attribuer").get_data(as_text=True))
    before = _link(referral).id
    for action in ("renvoyer", "desactiver"):
        response = outsider.post(
            f"/coordination/orientations/{referral.id}/lien-structure/{action}",
            data={"csrf_token": token})
        assert response.status_code == 404, action
    relay = sign_in(app.test_client(), world.relay_user)
    assert relay.post(f"/coordination/orientations/{referral.id}/lien-structure/renvoyer",
                      data={"csrf_token": _csrf(relay.get("/").get_data(as_text=True))}
                      ).status_code == 403
    link = _link(referral)
    assert (link.id, link.ended_at) == (before, None)


# --- members, privacy -------------------------------------------------------------------------

def test_a_structure_gaining_a_member_gets_new_referrals_as_members_and_links_keep_working(
        app, world):
    structure, resource = _unstaffed()
    referral = _referred(world, resource)
    client, page = _open(app, referral)
    member = make_user(role="social_worker")
    _db.session.execute(structure_members.insert().values(user_id=member.id,
                                                          structure_id=structure.id))
    later = _referred(world, resource)
    assert _message(later) is None and _link(later) is None
    told = _db.session.scalars(select(Notification.recipient_user_id).where(
        Notification.referral_id == later.id, Notification.kind == "referral_referred")).all()
    assert told == [member.id]
    assert _post(client, referral, "accepted", page).status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Referral, referral.id).status == "accepted"
    # The coordinator may no longer send a link: the members see the referral.
    with pytest.raises(Conflict):
        link_coordination.resend(world.coordinator, later.id)


def test_link_rows_are_exported_without_digest_and_erased_with_the_person(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    _open(app, referral)
    exported = privacy.export_resident(world.coordinator, referral.resident_id)
    (row,) = exported["tables"]["structure_links"]
    assert row["referral_id"] == str(referral.id) and row["openings"] == 1
    assert "digest" not in row and row["email"] == CONTACT.lower()
    privacy.oppose(world.coordinator, referral.resident_id)
    link = _link(referral)
    assert (link.email, link.openings, link.first_opened_at, link.end_reason) == (
        None, 0, None, "erased")
    assert _db.session.scalar(select(func.count()).select_from(StructureLink)) == 1


def test_retention_ends_the_links_of_an_anonymised_person(app, world):
    _, resource = _unstaffed()
    referral = _referred(world, resource)
    _open(app, referral)
    with clock.frozen(clock.now() + timedelta(days=800)):
        privacy.run_retention()
    link = _link(referral)
    assert (link.email, link.last_opened_at, link.end_reason) == (None, None, "erased")
