"""Who may record an opposition (API.md): a coordinator in scope, or a relay assigned to every
active referral of the person and to one at least; the erasure reaches the notifications
about the person (pending ones cancelled, every text scrubbed), and so does retention; the
right-of-access export lists them."""

from datetime import timedelta

import pytest
from sqlalchemy import func, or_, select

from bienveilleurs import clock
from bienveilleurs.models import Notification, Referral, Resident
from bienveilleurs.services import notifications, privacy
from bienveilleurs.services import referrals as service

from ..conftest import api_headers
from ..referral_helpers import bring_to, make_world, new_referral
from .helpers import csrf_token

NAME = "Mireille"


def _oppose(client_as, user, resident_id):
    return client_as(user).post(f"/api/v1/residents/{resident_id}/opposition",
                                headers=api_headers())


def _erased(db, resident_id):
    db.expire_all()
    return db.get(Resident, resident_id).erased_at is not None


def _second_need_held_by(world, resident_id, relay):
    """The coordinator opens a second need of the same person and gives it to `relay`."""
    referral, _ = service.report(world.coordinator, {
        "resident_id": str(resident_id), "category": "mobilite", "consent": True})
    service.transition(world.coordinator, referral.id, "assigned", relay_id=relay.id)
    return referral


def test_a_relay_holding_one_need_among_others_cannot_erase_the_person(app, db, client_as):
    """The probe's attack: the reporter, holding a need of their own, erased the file of a
    person another relay follows, closing that relay's referral."""
    world = make_world()
    followed = bring_to(world, new_referral(world, by=world.reporter), "contacted")
    _second_need_held_by(world, followed.resident_id, world.reporter_relay)

    for user in (world.reporter, world.relay_user):
        response = _oppose(client_as, user, followed.resident_id)
        assert response.status_code == 403, user.display_name
        assert "coordination" in response.get_json()["error"]["message"]
    assert not _erased(db, followed.resident_id)
    assert db.get(Referral, followed.id).status == "contacted"

    # The coordinator in scope records it.
    assert _oppose(client_as, world.coordinator, followed.resident_id).status_code == 200
    assert _erased(db, followed.resident_id)


def test_the_relay_holding_every_active_need_may_record_it(app, db, client_as):
    world = make_world()
    first = bring_to(world, new_referral(world), "assigned")
    second = _second_need_held_by(world, first.resident_id, world.relay)
    # A need nobody holds yet does not stand in the way (it is not active).
    service.report(world.coordinator, {"resident_id": str(first.resident_id),
                                       "category": "numerique", "consent": True})
    response = _oppose(client_as, world.relay_user, first.resident_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.get_json()["closed_referral_ids"]) == 3
    assert _erased(db, first.resident_id)
    assert db.get(Referral, second.id).outcome == "opposed"


def test_a_relay_whose_need_was_handed_over_may_not(app, db, client_as):
    world = make_world()
    referral = bring_to(world, new_referral(world), "assigned")
    service.transition(world.coordinator, referral.id, "assigned",
                       relay_id=world.other_relay.id, version=referral.version)
    assert _oppose(client_as, world.relay_user, referral.resident_id).status_code == 404
    assert _oppose(client_as, world.other_relay_user, referral.resident_id).status_code == 200


def test_the_page_button_is_for_coordinators_in_scope(app, db, client_as):
    from ..factories import make_territory, make_user
    world = make_world()
    referral = bring_to(world, new_referral(world), "assigned")
    far = make_territory(polygon=[(0.20, 49.60), (0.21, 49.60), (0.21, 49.61), (0.20, 49.61)])
    outsider = client_as(make_user(role="coordinator", territories=[far]))
    relay = client_as(world.relay_user)
    page = f"/personnes/{referral.resident_id}/opposition"
    for client, status in ((outsider, 404), (relay, 403)):
        token = csrf_token(client, "/compte/mot-de-passe")
        assert client.post(page, data={"confirm": "y", "csrf_token": token}).status_code == status
    assert not _erased(db, referral.resident_id)


# --- notifications are part of the person's data -------------------------------------------

class Recording:
    """A mail transport that keeps what it would have sent."""

    connection = None

    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)

    def close(self):
        pass


def _messages_naming(db, text):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Notification).where(or_(
        Notification.subject.contains(text), Notification.body_text.contains(text))))


def _person_with_messages(world):
    """Assigned (a message to the relay) and referred (messages to the structure): one of
    them already sent. Returns the referral."""
    referral = bring_to(world, new_referral(world), "referred")
    sent = select(Notification).where(Notification.referral_id == referral.id).limit(1)
    from bienveilleurs.extensions import db as _db
    first = _db.session.scalar(sent)
    first.state, first.sent_at = "sent", clock.now()
    _db.session.flush()
    return referral


def test_opposition_cancels_pending_messages_and_scrubs_every_text(app, db, client_as):
    world = make_world()
    referral = _person_with_messages(world)
    other = bring_to(world, new_referral(world, resident={
        "first_name": "Gaston", "lat": 49.4944, "lon": 0.1079}), "assigned")
    states = dict(db.execute(select(Notification.state, func.count())
                             .where(Notification.referral_id == referral.id)
                             .group_by(Notification.state)).all())
    assert states.get("sent") == 1 and states.get("pending", 0) >= 1
    assert _messages_naming(db, NAME) == sum(states.values())

    assert _oppose(client_as, world.coordinator, referral.resident_id).status_code == 200
    assert _messages_naming(db, NAME) == 0
    rows = db.execute(select(Notification.state, Notification.subject)
                      .where(Notification.referral_id == referral.id)).all()
    assert sorted(state for state, _ in rows) == sorted(
        ["sent"] + ["cancelled"] * (len(rows) - 1))
    assert {subject for _, subject in rows} == {privacy.registry.SCRUBBED_SUBJECT}
    # The other person's message is untouched and is the only one that goes out.
    assert _messages_naming(db, "Gaston") == 1
    transport = Recording()
    notifications.send_pending(transport=transport)
    assert len(transport.sent) == 1 and "Gaston" in transport.sent[0].get_content()
    assert all(NAME not in m.get_content() for m in transport.sent)
    assert other.id


def test_retention_cancels_and_scrubs_the_messages_too(app, db):
    world = make_world()
    start = clock.now() - timedelta(days=app.config["RETENTION_DAYS"] + 30)
    with clock.frozen(start):
        referral = _person_with_messages(world)
    assert _messages_naming(db, NAME) >= 2
    with clock.frozen(start + timedelta(days=app.config["RETENTION_DAYS"] + 1)):
        summary = privacy.run_retention()
    assert summary["residents_anonymised"] == 1
    assert _messages_naming(db, NAME) == 0
    # Delivered and cancelled messages as old as that are purged; none waits to be sent.
    states = set(db.scalars(select(Notification.state)
                            .where(Notification.referral_id == referral.id)))
    assert states <= {"sent", "cancelled"}


def test_the_export_lists_the_messages_about_the_person(app, db, client_as):
    world = make_world()
    referral = _person_with_messages(world)
    document = client_as(world.coordinator).get(
        f"/personnes/{referral.resident_id}/export.json").get_json()
    messages = document["tables"]["notifications"]
    expected = db.scalar(select(func.count()).select_from(Notification)
                         .where(Notification.referral_id == referral.id))
    assert len(messages) == expected >= 2
    assert all(m["referral_id"] == str(referral.id) for m in messages)
    assert any(NAME in m["body_text"] for m in messages)
    assert {m["state"] for m in messages} == {"sent", "pending"}


@pytest.mark.parametrize("kind", ["referral_assigned", "referral_referred"])
def test_messages_about_a_referral_name_it(app, db, kind):
    world = make_world()
    referral = bring_to(world, new_referral(world), "referred")
    kinds = set(db.scalars(select(Notification.kind)
                           .where(Notification.referral_id == referral.id)))
    assert kind in kinds
