"""The retention job: residents with no sign of life for RETENTION_DAYS and relays who left
are anonymised (just under / just over the limit, frozen clock), statistics survive, old
traces are purged, and a second run does nothing."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.models import (
    AccessLog,
    ApiToken,
    Contact,
    LoginThrottle,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
    User,
)
from bienveilleurs.services import privacy
from bienveilleurs.services import referrals as service
from geo.distance import haversine_m

from ..factories import make_relay, make_user
from ..referral_helpers import bring_to, make_world, new_referral

# Far enough in the past that "T0 + retention" is still before the real date (the contact
# dates are checked against the clock, the access log's age against the database clock).
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1200)
SECOND = timedelta(seconds=1)


def _followed_person(world):
    """Reported, assigned and contacted at T0, with notes; the relay carries it."""
    with clock.frozen(T0):
        referral = bring_to(world, new_referral(world, note="Ne sort plus depuis sa chute."),
                            "contacted")
        service.log_contact(world.relay_user, referral.id, {
            "id": str(uuid.uuid4()), "at": T0.isoformat(), "channel": "visit", "reached": True,
            "note": "Sa fille passe le dimanche."})
    return referral


def _stats(db):
    return sorted(db.execute(select(Referral.category, func.count())
                             .group_by(Referral.category)).all())


def _run(app, at):
    with clock.frozen(at):
        return privacy.run_retention()


@pytest.fixture
def days(app):
    return app.config["RETENTION_DAYS"]


def test_a_resident_is_kept_just_under_the_limit(app, db, days):
    world = make_world()
    referral = _followed_person(world)
    summary = _run(app, T0 + timedelta(days=days) - SECOND)
    assert summary["residents_anonymised"] == 0
    db.expire_all()
    person = db.get(Resident, referral.resident_id)
    assert person.first_name == "Mireille" and person.anonymised_at is None
    assert db.get(Referral, referral.id).status == "contacted"


def test_a_resident_is_anonymised_just_over_the_limit_and_statistics_remain(app, db, days):
    world = make_world()
    referral = _followed_person(world)
    with clock.frozen(T0 + timedelta(days=30)):
        recent = new_referral(world)  # another person, seen later: kept
    stats_before = _stats(db)
    exact_before = db.scalar(select(func.ST_AsText(Resident.point))
                             .where(Resident.id == referral.resident_id))
    assert db.scalar(select(Relay.active_referrals).where(Relay.id == world.relay.id)) == 1

    at = T0 + timedelta(days=days) + SECOND
    summary = _run(app, at)
    assert summary["residents_anonymised"] == 1 and summary["referrals_closed"] == 1

    db.expire_all()
    person = db.get(Resident, referral.resident_id)
    entry = privacy.PERSONAL_DATA["residents"]
    assert (person.first_name, person.pseudonym, person.phone) == (
        entry.anonymise["first_name"], privacy.ANONYMISED_NAME, None)
    assert person.anonymised_at == at and person.erased_at is None
    exact, approx = db.execute(select(func.ST_AsText(Resident.point),
                                      func.ST_AsText(Resident.approx_point))
                               .where(Resident.id == person.id)).one()
    assert exact == approx and exact != exact_before
    assert person.languages == ["fr"]  # kept for the statistics
    assert db.scalar(select(func.count()).select_from(Contact)
                     .where(Contact.note.is_not(None))) == 0
    notes = db.scalars(select(ReferralEvent.note)
                       .where(ReferralEvent.referral_id == referral.id)).all()
    assert set(notes) == {None}

    closed = db.get(Referral, referral.id)
    assert (closed.status, closed.outcome) == ("closed", privacy.RETENTION_OUTCOME)
    last = db.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                      .order_by(ReferralEvent.id.desc())).first()
    assert (last.actor_role, last.reason, last.from_status) == ("system", "retention", "contacted")
    assert db.scalar(select(Relay.active_referrals).where(Relay.id == world.relay.id)) == 0
    assert _stats(db) == stats_before

    other = db.get(Resident, recent.resident_id)
    assert other.first_name == "Mireille" and other.anonymised_at is None

    again = _run(app, at + timedelta(days=1))
    assert again["residents_anonymised"] == 0 and again["referrals_closed"] == 0


def test_a_contact_resets_the_clock(app, db, days):
    world = make_world()
    referral = _followed_person(world)
    later = T0 + timedelta(days=100)
    with clock.frozen(later):
        service.log_contact(world.relay_user, referral.id, {
            "id": str(uuid.uuid4()), "at": later.isoformat(), "channel": "phone", "reached": False})
    assert _run(app, T0 + timedelta(days=days) + SECOND)["residents_anonymised"] == 0
    assert _run(app, later + timedelta(days=days) + SECOND)["residents_anonymised"] == 1


def test_reasons_typed_by_people_go_codes_stay(app, db, days):
    world = make_world()
    with clock.frozen(T0):
        referral = bring_to(world, new_referral(world), "assigned")
        service.transition(world.coordinator, referral.id, "reported",
                           reason="Madame Durand préfère une autre personne")
        service.transition(world.coordinator, referral.id, "closed", outcome="duplicate")
    _run(app, T0 + timedelta(days=days) + SECOND)
    db.expire_all()
    reasons = db.scalars(select(ReferralEvent.reason)
                         .where(ReferralEvent.referral_id == referral.id)
                         .order_by(ReferralEvent.id)).all()
    assert "Madame Durand préfère une autre personne" not in reasons
    assert None in reasons


@pytest.mark.parametrize("offset, anonymised", [(-SECOND, False), (SECOND, True)])
def test_relays_who_left(app, db, days, offset, anonymised):
    user = make_user(role="relay", email="partie@b.fr", display_name="Odile Partie")
    relay = make_relay(user=user, display_name="Odile Partie", lat=49.49173, lon=0.11131,
                       status="ended", ended_at=T0, availability="Mo 10:00-12:00",
                       skills=["couture"])
    staying = make_relay(display_name="Jean Reste", status="active")
    db.add(ApiToken(user_id=user.id, digest=uuid.uuid4().bytes * 2, label="x"))
    db.flush()
    summary = _run(app, T0 + timedelta(days=days) + offset)
    assert summary["relays_anonymised"] == (1 if anonymised else 0)
    db.expire_all()
    row = db.get(Relay, relay.id)
    account = db.get(User, user.id)
    assert db.get(Relay, staying.id).display_name == "Jean Reste"
    if not anonymised:
        assert row.display_name == "Odile Partie" and account.email == "partie@b.fr"
        return
    point = to_shape(row.point)
    assert row.display_name == privacy.ANONYMISED_RELAY and row.anonymised_at is not None
    assert (point.x, point.y) != (0.11131, 49.49173)
    assert haversine_m(point.x, point.y, 0.11131, 49.49173) < 200
    assert row.availability is None and row.skills == []
    assert "partie" not in account.email and account.display_name == ""
    assert account.password_hash is None and not account.active
    assert db.scalar(select(func.count()).select_from(ApiToken)
                     .where(ApiToken.user_id == user.id)) == 0


def test_old_traces_are_purged(app, db):
    db_now = db.scalar(select(func.now()))
    user = make_user(role="coordinator")
    days = app.config["ACCESS_LOG_DAYS"]
    old = AccessLog(at=db_now - timedelta(days=days + 1), user_id=user.id, action="export")
    young = AccessLog(at=db_now - timedelta(days=days - 1), user_id=user.id, action="export")
    db.add_all([old, young, LoginThrottle(key="account:ancien@b.fr", failures=3,
                                          last_failure_at=db_now - timedelta(days=2))])
    db.flush()
    summary = privacy.run_retention()
    assert summary["access_log_purged"] == 1 and summary["login_throttle_purged"] == 1
    db.expire_all()
    assert db.scalars(select(AccessLog.id)).all() == [young.id]
    assert db.get(LoginThrottle, "account:ancien@b.fr") is None


def test_old_messages_are_purged(app, db, days):
    from bienveilleurs.models import Notification
    user = make_user(role="relay")
    for key, state, age in [("old-sent", "sent", days + 1), ("old-pending", "pending", days + 1),
                            ("recent-sent", "sent", days - 1)]:
        db.add(Notification(kind="digest", recipient_user_id=user.id, subject="Résumé",
                            body_text="Bonjour", dedup_key=key, state=state,
                            created_at=T0 - timedelta(days=age)))
    db.flush()
    summary = _run(app, T0)
    assert summary["notifications_purged"] == 1
    db.expire_all()
    assert sorted(db.scalars(select(Notification.dedup_key))) == ["old-pending", "recent-sent"]


def test_retention_command_is_cron_friendly(app, db, days):
    world = make_world()
    _followed_person(world)
    runner = app.test_cli_runner()
    with clock.frozen(T0 + timedelta(days=days) + SECOND):
        first = runner.invoke(args=["retention", "run"])
        second = runner.invoke(args=["retention", "run"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    assert "Personnes anonymisées : 1" in first.output
    assert "Personnes anonymisées : 0" in second.output
