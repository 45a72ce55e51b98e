"""The person's own measure (POST /api/v1/referrals/{id}/wellbeing) and the follow-up call
after a closure (GET /api/v1/me/follow-ups, « À rappeler », the coordinators' late list)."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import FollowUp, WellbeingMeasure
from bienveilleurs.services import privacy
from bienveilleurs.services import referrals as service
from bienveilleurs.services.evaluation import follow_ups

from .conftest import api_headers
from .referral_helpers import bring_to, make_world, new_referral


@pytest.fixture
def world(db):
    return make_world()


def body(**overrides):
    values = {"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "moment": "baseline",
              "answered": True, "lacks_company": 3, "left_out": 2, "isolated": 3,
              "networks": ["family"]}
    values.update(overrides)
    return values


def post(client, referral_id, payload):
    return client.post(f"/api/v1/referrals/{referral_id}/wellbeing", json=payload,
                       headers=api_headers())


def test_baseline_is_idempotent_once_per_referral_and_read_by_the_rules(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    relay = client_as(world.relay_user)
    payload = body()
    first = post(relay, referral.id, payload)
    assert first.status_code == 201, first.json
    assert first.json["networks"] == ["family"] and first.json["lacks_company"] == 3
    assert post(relay, referral.id, payload).status_code == 200  # the phone's replay
    changed = post(relay, referral.id, {**payload, "isolated": 1})
    assert changed.status_code == 422 and changed.json["error"]["code"] == "idempotency_mismatch"
    second = post(relay, referral.id, body())
    assert second.status_code == 422  # one baseline per referral
    assert db.session.scalar(select(db.func.count()).select_from(WellbeingMeasure)) == 1


@pytest.mark.parametrize("overrides, field, status", [
    ({"lacks_company": 4}, "lacks_company", 422),
    ({"left_out": None}, "left_out", 400),
    ({"networks": ["cousins"]}, "networks", 422),
    ({"answered": False}, "answered", 422),  # scores given without an answer
    ({"moment": "later"}, "moment", 422),
    ({"at": (clock.now() + timedelta(days=1)).isoformat()}, "at", 422),
])
def test_bad_answers_are_refused_and_nothing_written(world, client_as, overrides, field,
                                                     status):
    referral = bring_to(world, new_referral(world), "contacted")
    response = post(client_as(world.relay_user), referral.id, body(**overrides))
    assert response.status_code == status, response.json
    assert field in [d["field"] for d in response.json["error"]["details"]]
    assert db.session.scalar(select(db.func.count()).select_from(WellbeingMeasure)) == 0


def test_declined_is_recorded_without_scores(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    response = post(client_as(world.relay_user), referral.id,
                    {"id": str(uuid.uuid4()), "at": clock.now().isoformat(),
                     "moment": "baseline", "answered": False})
    assert response.status_code == 201
    assert response.json["answered"] is False and response.json["isolated"] is None


def test_only_the_relay_and_coordinators_and_follow_up_after_closure(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    assert post(client_as(world.other_relay_user), referral.id, body()).status_code == 404
    assert post(client_as(world.social), referral.id, body()).status_code == 403
    early = post(client_as(world.relay_user), referral.id, body(moment="follow_up"))
    assert early.status_code == 409
    assert post(client_as(world.coordinator), referral.id, body()).status_code == 201


def test_closing_helped_schedules_the_call_back_for_the_relay(world, client_as, app):
    referral = bring_to(world, new_referral(world), "closed")  # outcome helped
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.referral_id == referral.id))
    closed_day = clock.local(clock.now()).date()
    assert follow_up.relay_id == world.relay.id
    assert follow_up.due_on == closed_day + timedelta(days=app.config["FOLLOW_UP_DAYS"])
    relay = client_as(world.relay_user)
    first = relay.get("/api/v1/me/follow-ups", headers=api_headers())
    assert first.json["follow_ups"] == [], first.json
    later = clock.now() + timedelta(days=app.config["FOLLOW_UP_DAYS"] + 1)
    with clock.frozen(later):
        relay = client_as(world.relay_user)  # a session of that day
        items = relay.get("/api/v1/me/follow-ups", headers=api_headers()).json["follow_ups"]
        assert [i["referral_id"] for i in items] == [str(referral.id)]
        assert items[0]["pseudonym"] == "Mireille" and items[0]["late"] is True
        # The call: the person does not wish to answer; that completes the follow-up.
        response = post(relay, referral.id, {"id": str(uuid.uuid4()), "at": later.isoformat(),
                                             "moment": "follow_up", "answered": False})
        assert response.status_code == 201, response.json
        assert relay.get("/api/v1/me/follow-ups",
                         headers=api_headers()).json["follow_ups"] == []
        # A new need found by the call: the relay reports it for the same person.
        new, created = service.report(world.relay_user, {
            "resident_id": str(referral.resident_id), "category": "sante", "consent": True})
        assert created and new.resident_id == referral.resident_id
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).done_at is not None


def test_other_outcomes_schedule_nothing_and_a_reopening_withdraws_it(world):
    referral = new_referral(world)
    service.transition(world.coordinator, referral.id, "closed", outcome="no_longer_needed")
    assert db.session.scalar(select(FollowUp)) is None
    other = bring_to(world, new_referral(world), "closed")
    assert db.session.scalar(select(FollowUp).where(FollowUp.referral_id == other.id))
    service.transition(world.coordinator, other.id, "reported", reason="erreur")
    assert db.session.scalar(select(FollowUp).where(FollowUp.referral_id == other.id)) is None


def test_late_call_backs_reach_the_coordinators(world):
    referral = bring_to(world, new_referral(world), "closed")
    scoped = service.scoped_referrals(world.coordinator)
    due = db.session.scalar(select(FollowUp.due_on))
    assert follow_ups.late_follow_ups(scoped, today=due + timedelta(days=13)) == []
    rows = follow_ups.late_follow_ups(scoped, today=due + timedelta(days=14))
    assert [r.id for _, r in rows] == [referral.id]


def test_opposition_erases_the_answers_and_the_export_lists_them(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    post(client_as(world.relay_user), referral.id, body())
    export = privacy.export_resident(world.coordinator, str(referral.resident_id))
    assert "wellbeing_measures" in str(export)
    privacy.oppose(world.coordinator, str(referral.resident_id))
    db.session.expire_all()
    row = db.session.scalar(select(WellbeingMeasure))
    assert (row.lacks_company, row.left_out, row.isolated, row.networks) == (None, None, None, [])
    assert row.erased_at is not None
