"""Races on committed rows: one winner per assignment, capacities held, idempotent replays.

Each thread sends real HTTP requests through its own test client (each request has its own
application context and database session, as in production).
"""

import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.models import Contact, Referral, ReferralEvent, Relay, Resident, User

from .conftest import api_headers, sign_in
from .factories import make_relay, make_user
from .referral_helpers import race, report_payload

pytestmark = pytest.mark.committed


def _race(app, user_id, calls):
    """Run `calls` (functions of a client) at once; return (status, JSON body) of each."""
    def answered(call):
        def run(client):
            response = call(client)
            return response.status_code, response.get_json(silent=True) or {}
        return run

    results = race(app, user_id, [answered(call) for call in calls])
    return [r if isinstance(r, tuple) else (599, {"exception": r}) for r in results]


def _code(result):
    return result[1].get("error", {}).get("code")


def _setup(committed, *, relays=1, capacity=3, referrals=1):
    coordinator = make_user(role="coordinator")
    relay_rows = [make_relay(capacity=capacity, radius_m=3000) for _ in range(relays)]
    committed.commit()
    from bienveilleurs.services import referrals as service
    referral_ids = [service.report(coordinator, report_payload())[0].id for _ in range(referrals)]
    return coordinator.id, [r.id for r in relay_rows], referral_ids


def test_ten_concurrent_assignments_of_one_referral_have_one_winner(app, committed):
    coordinator_id, relay_ids, (referral_id,) = _setup(committed, relays=10)

    def assign(relay_id):
        return lambda client: client.post(f"/api/v1/referrals/{referral_id}/transitions",
                                          json={"to": "assigned", "relay_id": str(relay_id),
                                                "version": 1}, headers=api_headers())

    results = _race(app, coordinator_id, [assign(r) for r in relay_ids])
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 9}, results
    assert {_code(r) for r in results if r[0] == 409} <= {"stale_version", "invalid_transition"}
    winner = next(body for status, body in results if status == 200)

    committed.expire_all()
    referral = committed.get(Referral, referral_id)
    assert str(referral.relay_id) == winner["relay_id"] and referral.version == 2
    assert committed.scalar(select(func.count()).select_from(ReferralEvent)
                            .where(ReferralEvent.referral_id == referral_id)) == 2
    loads = dict(committed.execute(select(Relay.id, Relay.active_referrals)).all())
    assert sum(loads.values()) == 1 and loads[referral.relay_id] == 1


def test_concurrent_assignments_to_one_relay_never_exceed_its_capacity(app, committed):
    coordinator_id, (relay_id,), referral_ids = _setup(committed, capacity=3, referrals=8)

    def assign(referral_id):
        return lambda client: client.post(f"/api/v1/referrals/{referral_id}/transitions",
                                          json={"to": "assigned", "relay_id": str(relay_id)},
                                          headers=api_headers())

    results = _race(app, coordinator_id, [assign(r) for r in referral_ids])
    assert Counter(status for status, _ in results) == {200: 3, 409: 5}, results
    assert {_code(r) for r in results if r[0] == 409} == {"capacity_full"}
    committed.expire_all()
    assert committed.get(Relay, relay_id).active_referrals == 3
    assert committed.scalar(select(func.count()).select_from(Referral)
                            .where(Referral.relay_id == relay_id)) == 3


def test_contact_replays_sequential_and_concurrent_make_one_row(app, committed):
    coordinator_id, (relay_id,), (referral_id,) = _setup(committed)
    relay_user_id = make_user(role="relay").id
    committed.get(Relay, relay_id).user_id = relay_user_id
    committed.commit()
    from bienveilleurs.services import referrals as service
    service.transition(committed.get(User, coordinator_id), referral_id, "assigned",
                       relay_id=relay_id)

    def body(contact_id, note="Visite du mardi."):
        return {"id": contact_id, "at": clock.now().isoformat(), "channel": "visit",
                "reached": True, "note": note}

    sequential = body(str(uuid.uuid4()))
    client = sign_in(app.test_client(), committed.get(User, relay_user_id))
    codes = [client.post(f"/api/v1/referrals/{referral_id}/contacts", json=sequential,
                         headers=api_headers()).status_code for _ in range(5)]
    assert codes == [201, 200, 200, 200, 200]

    concurrent = body(str(uuid.uuid4()))
    results = _race(app, relay_user_id, [
        lambda c: c.post(f"/api/v1/referrals/{referral_id}/contacts", json=concurrent,
                         headers=api_headers())] * 5)
    assert Counter(status for status, _ in results) == {201: 1, 200: 4}, results

    different = client.post(f"/api/v1/referrals/{referral_id}/contacts",
                            json={**concurrent, "note": "Autre chose."}, headers=api_headers())
    assert different.status_code == 422
    assert _code((0, different.get_json())) == "idempotency_mismatch"

    committed.rollback()  # a fresh snapshot of what the threads committed
    assert set(committed.scalars(select(Contact.id))) == {uuid.UUID(sequential["id"]),
                                                          uuid.UUID(concurrent["id"])}
    assert committed.get(Referral, referral_id).status == "contacted"
    # One automatic move to "contacted", however many replays.
    assert committed.scalar(select(func.count()).select_from(ReferralEvent).where(
        ReferralEvent.referral_id == referral_id, ReferralEvent.to_status == "contacted")) == 1


def test_concurrent_replays_of_a_report_make_one_referral_and_one_resident(app, committed):
    relay_user_id = make_user(role="relay").id
    committed.commit()
    payload = report_payload(id=str(uuid.uuid4()))
    results = _race(app, relay_user_id, [
        lambda c: c.post("/api/v1/referrals", json=payload, headers=api_headers())] * 5)
    assert Counter(status for status, _ in results) == {201: 1, 200: 4}, results
    assert len({body["id"] for _, body in results}) == 1
    assert len({body["resident_id"] for _, body in results}) == 1

    # Five sequential replays: still one; other content: refused.
    client = sign_in(app.test_client(), committed.get(User, relay_user_id))
    codes = [client.post("/api/v1/referrals", json=payload, headers=api_headers()).status_code
             for _ in range(5)]
    assert codes == [200] * 5
    changed = client.post("/api/v1/referrals", json={**payload, "category": "mobilite"},
                          headers=api_headers())
    assert changed.status_code == 422
    committed.rollback()
    assert committed.scalar(select(func.count()).select_from(Referral)) == 1
    assert committed.scalar(select(func.count()).select_from(Resident)) == 1
