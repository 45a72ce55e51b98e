"""Notifications: the outbox, SMTP delivery against a real local server, recipients, privacy."""

import email
import socket
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db as _db
from bienveilleurs.models import (
    Notification,
    NotificationAttempt,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
    Resource,
    Structure,
    structure_members,
)
from bienveilleurs.services import codes, coverage_cache, digest, notifications

from .factories import make_territory, make_user

# --- a real SMTP server ----------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping every message; recipients starting with "refuse" get a 550."""

    def __init__(self, delay=0.0):
        self.messages = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # hold the sender mid-message (it holds its row lock)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, email.message_from_bytes(envelope.content)))
        return "250 Message accepted"

    @property
    def recipients(self):
        return sorted(rcpt for rcpt, _ in self.messages)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, port=None, delay=0.0):
        self.port = port or free_port()
        self.inbox = Inbox(delay)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp(app, monkeypatch):
    server = SmtpServer().start()
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    monkeypatch.setitem(app.config, "MAIL_FROM",
                        "Bienveilleurs <ne-pas-repondre@test.bienveilleurs.fr>")
    yield server
    server.stop()


# --- data -------------------------------------------------------------------------------------

HAVRE = (0.1079, 49.4944)


def geog(lon, lat):
    return from_shape(Point(lon, lat), srid=4326)


def make_structure(*, name="Centre social Test", contact_email=None, members=(), address=None,
                   phone=None):
    structure = Structure(name=name, contact_email=contact_email, address=address, phone=phone)
    _db.session.add(structure)
    _db.session.flush()
    for user in members:
        _db.session.execute(structure_members.insert().values(user_id=user.id,
                                                              structure_id=structure.id))
    return structure


def make_resource(structure, *, name="Permanence", address=None, phone=None, lonlat=HAVRE,
                  category="sante--sante-mentale"):
    resource = Resource(structure_id=structure.id, name=name, categories=[category],
                        point=geog(*lonlat), address=address, phone=phone, description="")
    _db.session.add(resource)
    _db.session.flush()
    return resource


def make_relay(user=None, *, lonlat=HAVRE, name="Rémi"):
    relay = Relay(user_id=user.id if user else None, display_name=name, point=geog(*lonlat),
                  radius_m=1000, capacity=3)
    _db.session.add(relay)
    _db.session.flush()
    return relay


def make_referral(*, lonlat=HAVRE, first_name="Josette", status="reported", relay=None,
                  resource=None, category="sante--sante-mentale", phone=None, note=None):
    resident = Resident(first_name=first_name, point=geog(*lonlat), approx_point=geog(*lonlat),
                        consent_at=clock.now(), phone=phone)
    _db.session.add(resident)
    _db.session.flush()
    referral = Referral(resident_id=resident.id, category=category, status=status,
                        relay_id=relay.id if relay else None,
                        resource_id=resource.id if resource else None)
    _db.session.add(referral)
    _db.session.flush()
    if note:
        _db.session.add(ReferralEvent(referral_id=referral.id, actor_role="relay", from_status=None,
                                      to_status="reported", note=note))
        _db.session.flush()
    return referral


def move(referral, to, *, actor=None, reason=None, resource=None, relay=None, note=None):
    """Record a move as the referral service does, and let notifications see it."""
    sent_to = resource or referral.resource
    event = ReferralEvent(referral_id=referral.id, actor_id=actor.id if actor else None,
                          actor_role=actor.role if actor else "system", from_status=referral.status,
                          to_status=to, reason=reason, note=note,
                          resource_id=sent_to.id if sent_to else None,
                          relay_id=(relay.id if relay else referral.relay_id))
    referral.status = to
    if relay is not None:
        referral.relay_id = relay.id
    if to == "referred":
        referral.resource_id = resource.id
    if to == "contacted" and event.from_status == "referred":
        referral.resource_id = None
    _db.session.add(event)
    _db.session.flush()
    _db.session.refresh(referral)
    return event


def pending():
    return _db.session.scalars(select(Notification).where(Notification.state == "pending")
                               .order_by(Notification.id)).all()


def notification_rows():
    _db.session.expire_all()
    return _db.session.scalars(select(Notification).order_by(Notification.id)).all()


# --- recipients ---------------------------------------------------------------------------------


def test_referred_sends_exactly_one_email_to_each_social_worker_of_the_structure(app, db, smtp):
    alice = make_user(role="social_worker", display_name="Alice")
    bruno = make_user(role="social_worker", display_name="Bruno")
    gone = make_user(role="social_worker", active=False)
    elsewhere = make_user(role="social_worker")
    structure = make_structure(name="CCAS du Havre", members=[alice, bruno, gone],
                               contact_email="accueil@ccas.test")
    make_structure(name="Autre", members=[elsewhere])
    resource = make_resource(structure)
    relay_user = make_user(role="relay")
    relay = make_relay(relay_user)
    referral = make_referral(status="contacted", relay=relay)

    event = move(referral, "referred", actor=relay_user, resource=resource)
    assert notifications.on_transition(referral, event) == 2
    # The same change again adds nothing (dedup key).
    assert notifications.on_transition(referral, event) == 0
    db.commit()

    summary = notifications.send_pending()
    assert summary == {"sent": 2, "retry": 0, "failed": 0}
    assert smtp.inbox.recipients == sorted([alice.email, bruno.email])
    message = smtp.inbox.messages[0][1]
    assert "CCAS du Havre" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert "Josette" in body
    assert app.config["BASE_URL"] in body

    # Sending again sends nothing more.
    assert notifications.send_pending() == {"sent": 0, "retry": 0, "failed": 0}
    assert len(smtp.inbox.messages) == 2
    rows = notification_rows()
    assert [r.state for r in rows] == ["sent", "sent"]
    assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
    assert db.scalar(select(func.count()).select_from(NotificationAttempt)
                     .where(NotificationAttempt.ok.is_(True))) == 2


def test_structure_without_member_uses_its_contact_email_without_the_name(db, smtp):
    structure = make_structure(name="Maison de quartier", contact_email="Accueil@MQ.test")
    resource = make_resource(structure)
    referral = make_referral(status="contacted", relay=make_relay())
    event = move(referral, "referred", resource=resource)
    assert notifications.on_transition(referral, event) == 1
    db.commit()
    notifications.send_pending()
    assert smtp.inbox.recipients == ["accueil@mq.test"]
    body = smtp.inbox.messages[0][1].get_payload(decode=True).decode()
    assert "Maison de quartier" in body and "Josette" not in body


def test_structure_with_nobody_to_tell_alerts_the_coordinators(db):
    city = make_user(role="coordinator")
    structure = make_structure(name="Association sans contact")
    referral = make_referral(status="contacted", relay=make_relay())
    event = move(referral, "referred", resource=make_resource(structure))
    assert notifications.on_transition(referral, event) == 1
    (row,) = notification_rows()
    assert row.kind == "referral_unreachable_structure" and row.recipient_user_id == city.id


def test_assignment_tells_the_relay_unless_they_chose_nothing(db):
    coordinator = make_user(role="coordinator")
    relay_user = make_user(role="relay")
    relay = make_relay(relay_user, name="Rémi")
    referral = make_referral()
    event = move(referral, "assigned", actor=coordinator, relay=relay)
    assert notifications.on_transition(referral, event) == 1
    (row,) = notification_rows()
    assert (row.kind, row.recipient_user_id) == ("referral_assigned", relay_user.id)

    notifications.save_preferences(relay_user, email=False)
    other = make_referral()
    event = move(other, "assigned", actor=coordinator, relay=relay)
    assert notifications.on_transition(other, event) == 0
    # A relay taking a case themselves gets no e-mail about it.
    notifications.save_preferences(relay_user, email=True)
    third = make_referral()
    event = move(third, "assigned", actor=relay_user, relay=relay)
    assert notifications.on_transition(third, event) == 0
    assert len(notification_rows()) == 1


@pytest.mark.parametrize("reason", ["declined", "no_answer", "expired"])
def test_a_returned_referral_reaches_the_coordinators_of_its_territory(db, reason):
    inside = make_territory(polygon=[(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)])
    make_territory(polygon=[(0.13, 49.49), (0.15, 49.49), (0.15, 49.50), (0.13, 49.50)])
    local = make_user(role="coordinator", territories=[inside])
    make_user(role="coordinator", territories=[])  # city-wide: not told, a territory covers it
    make_user(role="coordinator", territories=[inside], active=False)
    structure = make_structure(name="PMI Centre")
    resource = make_resource(structure)
    referral = make_referral(lonlat=(0.11, 49.495), status="contacted", relay=make_relay())
    move(referral, "referred", resource=resource)
    event = move(referral, "contacted", reason=reason)
    assert notifications.on_transition(referral, event) == 1
    row = notification_rows()[-1]
    assert (row.kind, row.recipient_user_id) == ("referral_returned", local.id)
    assert "PMI Centre" in row.body_text


def test_a_point_outside_every_territory_reaches_the_city_wide_coordinators(db):
    territory = make_territory(polygon=[(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)])
    make_user(role="coordinator", territories=[territory])
    city_a = make_user(role="coordinator")
    city_b = make_user(role="coordinator")
    resource = make_resource(make_structure())
    referral = make_referral(lonlat=(0.20, 49.52), status="contacted", relay=make_relay())
    move(referral, "referred", resource=resource)
    event = move(referral, "contacted", reason="declined")
    assert notifications.on_transition(referral, event) == 2
    recipients = {r.recipient_user_id for r in notification_rows() if r.kind == "referral_returned"}
    assert recipients == {city_a.id, city_b.id}


def test_with_no_city_wide_coordinator_every_coordinator_hears_never_nobody(db):
    territory = make_territory()
    only = make_user(role="coordinator", territories=[territory])
    referral = make_referral(lonlat=(0.20, 49.52), status="contacted", relay=make_relay())
    move(referral, "referred", resource=make_resource(make_structure()))
    event = move(referral, "contacted", reason="expired")
    notifications.on_transition(referral, event)
    assert [r.recipient_user_id for r in notification_rows()] == [only.id]


# --- delivery -------------------------------------------------------------------------------------


def _queue_one(db, *, to="personne@test.bienveilleurs.fr", key="test:1"):
    notifications.enqueue("referral_assigned", dedup_key=key, email=to,
                          context={"person": "Josette", "relay_name": "Rémi"}, path="/")
    db.commit()


def test_smtp_down_keeps_the_notification_pending_then_delivers_it_once_back(app, db, monkeypatch):
    port = free_port()
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setitem(app.config, "NOTIFY_BACKOFF_S", 60)
    _queue_one(db)
    _queue_one(db, key="test:2", to="autre@test.bienveilleurs.fr")
    start = clock.now()
    with clock.frozen(start):
        summary = notifications.send_pending()
    # The run stops at the first connection failure: the second one keeps its turn.
    assert summary == {"sent": 0, "retry": 1, "failed": 0}
    first, second = notification_rows()
    assert (first.state, first.attempts) == ("pending", 1)
    assert "connexion" in first.last_error
    assert first.next_attempt_at == start + timedelta(seconds=60)
    assert (second.state, second.attempts) == ("pending", 0)

    server = SmtpServer(port=port).start()
    try:
        with clock.frozen(start + timedelta(seconds=10)):
            assert notifications.send_pending() == {"sent": 1, "retry": 0, "failed": 0}
        with clock.frozen(start + timedelta(seconds=61)):
            assert notifications.send_pending() == {"sent": 1, "retry": 0, "failed": 0}
            assert notifications.send_pending() == {"sent": 0, "retry": 0, "failed": 0}
    finally:
        server.stop()
    assert server.inbox.recipients == ["autre@test.bienveilleurs.fr",
                                       "personne@test.bienveilleurs.fr"]
    first, second = notification_rows()
    assert (first.state, first.attempts) == ("sent", 2)
    assert [a.ok for a in first.attempts_log] == [False, True]


def test_backoff_doubles_and_gives_up_after_the_last_attempt(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "NOTIFY_BACKOFF_S", 10)
    _queue_one(db)
    at = clock.now()
    waits = []
    for _ in range(3):
        with clock.frozen(at):
            notifications.send_pending()
        (row,) = notification_rows()
        if row.state == "pending":
            waits.append((row.next_attempt_at - at).total_seconds())
            at = row.next_attempt_at
    assert waits == [10, 20]
    assert (row.state, row.attempts) == ("failed", 3)
    with clock.frozen(at + timedelta(days=1)):
        assert notifications.send_pending() == {"sent": 0, "retry": 0, "failed": 0}


def test_a_refused_recipient_fails_at_once_and_others_still_go(db, smtp):
    _queue_one(db, to="refuse@test.bienveilleurs.fr", key="k1")
    _queue_one(db, to="ok@test.bienveilleurs.fr", key="k2")
    assert notifications.send_pending() == {"sent": 1, "retry": 0, "failed": 1}
    refused, ok = notification_rows()
    assert (refused.state, refused.attempts) == ("failed", 1) and "550" in refused.last_error
    assert ok.state == "sent"
    assert smtp.inbox.recipients == ["ok@test.bienveilleurs.fr"]


def test_a_deactivated_account_gets_nothing(db, smtp):
    user = make_user(role="relay", active=False)
    notifications.enqueue("referral_assigned", dedup_key="k", user=user,
                          context={"person": "Josette", "relay_name": "Rémi"})
    db.commit()
    assert notifications.send_pending()["failed"] == 1
    assert smtp.inbox.messages == []


def test_without_smtp_url_notifications_are_kept_not_sent(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_URL", "")
    _queue_one(db)
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "SMTP_URL est vide" in result.output
    (row,) = notification_rows()
    assert (row.state, row.attempts) == ("pending", 0)


def test_one_time_links_are_redacted_once_delivered(app, db, smtp):
    user = make_user(role="coordinator")
    notifications.invitation(user, path="/invitation/SECRET-TOKEN-123", dedup_key="invitation:x",
                             expires_at=clock.now() + timedelta(hours=72))
    db.commit()
    (row,) = notification_rows()
    assert "SECRET-TOKEN-123" in row.body_text
    notifications.send_pending()
    assert "SECRET-TOKEN-123" in smtp.inbox.messages[0][1].get_payload(decode=True).decode()
    (row,) = notification_rows()
    assert row.state == "sent"
    assert "SECRET-TOKEN-123" not in row.body_text and row.link_path is None


def test_a_rolled_back_change_leaves_no_notification(db):
    make_user(role="coordinator")
    relay_user = make_user(role="relay")
    relay = make_relay(relay_user)
    referral = make_referral()
    db.commit()
    version = db.scalar(select(Referral.status).where(Referral.id == referral.id))

    event = move(referral, "assigned", relay=relay, actor=make_user(role="coordinator"))
    assert notifications.on_transition(referral, event) == 1
    assert len(pending()) == 1
    db.rollback()  # the change fails before its commit

    assert db.scalar(select(func.count()).select_from(Notification)) == 0
    assert db.scalar(select(Referral.status).where(Referral.id == referral.id)) == version


@pytest.mark.committed
def test_two_senders_at_once_send_each_message_once(app, committed, monkeypatch):
    server = SmtpServer(delay=0.02).start()
    monkeypatch.setitem(app.config, "SMTP_URL", server.url)
    try:
        for n in range(30):
            notifications.enqueue("referral_assigned", dedup_key=f"race:{n}",
                                  email=f"personne{n}@test.bienveilleurs.fr",
                                  context={"person": "Josette", "relay_name": "Rémi"})
        committed.commit()
        committed.remove()
        results, errors = [], []
        barrier = threading.Barrier(2)

        def sender():
            try:
                with app.app_context():
                    barrier.wait()
                    results.append(notifications.send_pending())
                    _db.session.remove()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.stop()
    assert errors == []
    assert sorted(server.inbox.recipients) == sorted(f"personne{n}@test.bienveilleurs.fr"
                                                     for n in range(30))
    assert sum(r["sent"] for r in results) == 30
    # Both senders did part of the work.
    assert all(r["sent"] > 0 for r in results)
    assert committed.scalar(select(func.count()).select_from(NotificationAttempt)) == 30
    assert committed.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.state == "sent")) == 30


# --- what is written --------------------------------------------------------------------------

SENTINELS = {
    "note": "SENTINELLE-NOTE-ZQX",
    "phone": "06 99 88 77 66",
    "address": "SENTINELLE-ADRESSE-WKV",
    "resource": "SENTINELLE-RESSOURCE-JHG",
}
# A distinctive point: its digits must never appear.
SENTINEL_POINT = (0.114373, 49.497731)


def _campaign_messages(coordinator):
    """A heatwave: one person needs help, another is not reached after the attempts."""
    import uuid

    from bienveilleurs.models import CampaignCheck
    from bienveilleurs.services import campaigns
    people = [make_referral(lonlat=SENTINEL_POINT, phone=SENTINELS["phone"]) for _ in range(2)]
    for referral in people:
        campaigns.add_to_register(coordinator, referral.resident_id, {"consent": True})
    launched = campaigns.launch(coordinator, {
        "id": str(uuid.uuid4()), "kind": "heatwave", "title": "Canicule",
        "deadline": (clock.now() + timedelta(hours=4)).isoformat()})
    checks = _db.session.scalars(select(CampaignCheck).where(
        CampaignCheck.campaign_id == launched.campaign.id).order_by(CampaignCheck.id)).all()
    outcomes = [(checks[0], "needs_help")] + [(checks[1], "not_reached")] * 3
    for check, outcome in outcomes:
        campaigns.record_call(coordinator, launched.campaign.id, check.id, {
            "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
            "outcome": outcome, "note": SENTINELS["note"]})


def _candidacy_messages(db, relay_user):
    """Every message about a candidacy, for a candidate whose phone, availability and point
    are sentinels (becoming a relay)."""
    from bienveilleurs.models import Candidacy, TrainingSession
    from bienveilleurs.services import links
    from bienveilleurs.services.candidacies import messages
    now = clock.now()
    candidacy = Candidacy(first_name="Nadia", email="nadia@test.bienveilleurs.fr",
                          phone=SENTINELS["phone"], point=geog(*SENTINEL_POINT),
                          profile="resident", languages=["fr"], availability=SENTINELS["note"],
                          consent_at=now, stage="met", stage_changed_at=now, submitted_at=now,
                          confirmed_at=now, flagged_at=now)
    session = TrainingSession(topic="Écoute active", starts_at=now, capacity=5,
                              place_name="Maison de quartier", point=geog(*SENTINEL_POINT))
    db.add_all([candidacy, session])
    db.flush()
    for purpose, send in (("candidacy", messages.confirmation), ("charter", messages.charter_link)):
        link, secret = links.issue(purpose, ttl=timedelta(days=1), candidacy=candidacy)
        send(candidacy, link, secret)
    messages.tell_coordinators_confirmed(candidacy)
    messages.tell_coordinators_stale(candidacy)
    messages.training_invitation(session, candidacy=candidacy)
    messages.training_invitation(session, relay_user=relay_user)


def test_no_template_leaks_needs_notes_addresses_positions_or_phones(app, db):
    territory = make_territory()
    coordinator = make_user(role="coordinator", territories=[territory], display_name="Claire")
    worker = make_user(role="social_worker")
    relay_user = make_user(role="relay")
    relay = make_relay(relay_user, lonlat=SENTINEL_POINT)
    with_member = make_structure(name="CCAS", members=[worker], address=SENTINELS["address"],
                                 phone=SENTINELS["phone"])
    with_contact = make_structure(name="MQ", contact_email="mq@test.bienveilleurs.fr")
    nobody = make_structure(name="Asso")
    category = "sante--sante-mentale"
    kinds = set()
    for structure in (with_member, with_contact, nobody):
        resource = make_resource(structure, name=SENTINELS["resource"],
                                 address=SENTINELS["address"], phone=SENTINELS["phone"],
                                 lonlat=SENTINEL_POINT, category=category)
        referral = make_referral(lonlat=SENTINEL_POINT, phone=SENTINELS["phone"],
                                 note=SENTINELS["note"], category=category)
        for to, kwargs in [("assigned", {"relay": relay, "actor": coordinator}),
                           ("contacted", {"note": SENTINELS["note"]}),
                           ("referred", {"resource": resource, "note": SENTINELS["note"]}),
                           ("contacted", {"reason": "declined", "note": SENTINELS["note"]})]:
            event = move(referral, to, **kwargs)
            notifications.on_transition(referral, event)
    # Waiting and stale referrals for the digest.
    make_referral(lonlat=SENTINEL_POINT, phone=SENTINELS["phone"], note=SENTINELS["note"])
    make_referral(lonlat=SENTINEL_POINT, note=SENTINELS["note"]).status_changed_at = \
        clock.now() - timedelta(days=30)
    notifications.invitation(worker, path="/invitation/t", dedup_key="i", expires_at=clock.now())
    notifications.password_reset(worker, path="/reinitialisation/t", dedup_key="r",
                                 expires_at=clock.now())
    _candidacy_messages(db, relay_user)
    db.commit()
    digest.enqueue_daily_digests()
    _campaign_messages(coordinator)

    rows = notification_rows()
    kinds = {row.kind for row in rows}
    templates = {name[:-4] for name in app.jinja_env.list_templates()
                 if name.startswith("notifications/")
                 for name in [name.split("/", 1)[1]] if name.endswith(".txt")}
    assert kinds == templates, "every template is exercised"

    forbidden = list(SENTINELS.values()) + [category, codes.category_label(category)]
    forbidden += [f"{SENTINEL_POINT[0]:.4f}", f"{SENTINEL_POINT[1]:.4f}", "114373", "497731",
                  "0699887766", "99 88 77"]
    for row in rows:
        text = row.subject + "\n" + row.body_text + "\n" + (row.link_path or "")
        for sentinel in forbidden:
            assert sentinel.lower() not in text.lower(), (row.kind, sentinel)
        assert len(row.body_text) < 1200, "short messages"


# --- through the referral service -------------------------------------------------------------


def _report(coordinator, *, lon=0.11, lat=49.495):
    from bienveilleurs.services import referrals
    referral, _created = referrals.report(coordinator, {
        "resident": {"first_name": "Josette", "lat": lat, "lon": lon},
        "category": "sante--sante-mentale", "consent": True})
    return referral


def test_the_referral_service_notifies_each_move_once_and_a_failed_move_notifies_nobody(db, smtp):
    from bienveilleurs.errors import InvalidTransition
    from bienveilleurs.services import referrals
    territory = make_territory()
    coordinator = make_user(role="coordinator", territories=[territory])
    relay_user = make_user(role="relay")
    relay = make_relay(relay_user)
    worker = make_user(role="social_worker")
    structure = make_structure(name="CCAS", members=[worker])
    resource = make_resource(structure)
    db.commit()

    referral = _report(coordinator)
    referrals.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    referrals.transition(coordinator, referral.id, "contacted")
    with pytest.raises(InvalidTransition):
        referrals.transition(coordinator, referral.id, "accepted")
    referrals.transition(coordinator, referral.id, "referred", resource_id=resource.id)

    notifications.send_pending()
    assert smtp.inbox.recipients == sorted([relay_user.email, worker.email])
    kinds = [row.kind for row in notification_rows()]
    assert kinds == ["referral_assigned", "referral_referred"]
    # Each links to the precise page of the referral for its recipient, by id only.
    for row in notification_rows():
        assert row.link_path.endswith(f"/orientations/{referral.id}")
        assert row.link_path in row.body_text

    # The structure does not answer: the expiry job sends it back to the coordinators.
    with clock.frozen(clock.now() + timedelta(days=60)):
        assert referrals.expire_referrals() == 1
        assert referrals.expire_referrals() == 0
        notifications.send_pending()
    assert smtp.inbox.recipients == sorted([relay_user.email, worker.email, coordinator.email])
    returned = notification_rows()[-1]
    assert returned.kind == "referral_returned" and "délai" in returned.body_text


def test_the_digest_counts_the_coordinators_scope_skips_empty_ones_and_respects_opt_out(db):
    inside = make_territory(polygon=[(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)])
    elsewhere = make_territory(polygon=[(0.13, 49.49), (0.15, 49.49), (0.15, 49.50), (0.13, 49.50)])
    local = make_user(role="coordinator", territories=[inside], display_name="Claire")
    quiet = make_user(role="coordinator", territories=[elsewhere])
    city = make_user(role="coordinator")
    opted_out = make_user(role="coordinator")
    notifications.save_preferences(opted_out, digest=False)
    make_referral(lonlat=(0.11, 49.495))
    make_referral(lonlat=(0.11, 49.495)).status_changed_at = clock.now() - timedelta(days=3)
    make_referral(lonlat=(0.20, 49.52))
    # One available relay reaches every cell of both territories: no uncovered area.
    wide = make_relay(lonlat=(0.125, 49.495))
    wide.radius_m = 5000
    db.commit()
    coverage_cache.refresh()  # the coverage the digest reads, as its job keeps it

    assert digest.counts_for(local) == {"waiting": 2, "stale": 1}
    assert digest.counts_for(quiet) == {"waiting": 0, "stale": 0}
    assert digest.counts_for(city) == {"waiting": 3, "stale": 1}
    assert digest.enqueue_daily_digests() == {"queued": 2, "empty": 1, "already": 0}
    # Idempotent for the day.
    assert digest.enqueue_daily_digests() == {"queued": 0, "empty": 1, "already": 2}
    rows = {row.recipient_user_id: row for row in notification_rows()}
    assert set(rows) == {local.id, city.id}
    assert "2 orientations à attribuer" in rows[local.id].body_text
    assert "1 orientation en attente" in rows[local.id].body_text
    assert "zone" not in rows[local.id].body_text or "sans bienveilleur" in rows[local.id].body_text
    # Tomorrow is another digest; with the relay paused, areas are uncovered and even the
    # quiet coordinator hears about them.
    wide.status = "paused"
    db.commit()
    coverage_cache.refresh()
    with clock.frozen(clock.now() + timedelta(days=1)):
        assert digest.enqueue_daily_digests() == {"queued": 3, "empty": 0, "already": 0}
    quiet_row = [r for r in notification_rows() if r.recipient_user_id == quiet.id][0]
    assert "sans bienveilleur disponible" in quiet_row.body_text
    assert "à attribuer" not in quiet_row.body_text


def test_digest_cli(app, db):
    make_user(role="coordinator")
    make_referral()
    db.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 ajouté(s)" in result.output
