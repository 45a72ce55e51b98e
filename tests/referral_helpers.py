"""Shared set-up for the referral tests: a small world of accounts, relays and resources."""

import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy import text as sql

from bienveilleurs.extensions import db
from bienveilleurs.models import Referral, ReferralEvent, Relay, User
from bienveilleurs.services import referrals as service

from .conftest import sign_in
from .factories import make_relay, make_resource, make_structure, make_territory, make_user

# Le Havre centre; every point below is inside the default SERVICE_AREA.
LAT, LON = 49.4944, 0.1079
CATEGORY = "sante--sante-mentale"


@dataclass
class World:
    coordinator: object
    relay_user: object
    relay: object
    other_relay_user: object
    other_relay: object
    reporter: object          # a relay account that reports (and is a relay itself)
    reporter_relay: object
    social: object            # member of `structure`, which offers `resource`
    structure: object
    resource: object
    other_social: object      # member of another structure, offering `other_resource`
    other_resource: object
    admin: object


def make_world(*, capacity=3):
    coordinator = make_user(role="coordinator", display_name="Coralie Coordination")
    relay_user = make_user(role="relay", display_name="Rémi Relais")
    relay = make_relay(user=relay_user, capacity=capacity, radius_m=3000)
    other_relay_user = make_user(role="relay")
    other_relay = make_relay(user=other_relay_user, capacity=capacity, radius_m=3000,
                             lat=LAT + 0.002)
    reporter = make_user(role="relay")
    reporter_relay = make_relay(user=reporter, capacity=capacity, lat=LAT - 0.002)
    structure = make_structure()
    resource = make_resource(structure=structure, categories=(CATEGORY,), lat=LAT + 0.001)
    social = make_user(role="social_worker")
    structure.members.append(social)
    other_structure = make_structure()
    other_resource = make_resource(structure=other_structure, categories=(CATEGORY,),
                                   lat=LAT + 0.003)
    other_social = make_user(role="social_worker")
    other_structure.members.append(other_social)
    admin = make_user(role="admin")
    db.session.flush()
    db.session.expire_all()
    return World(coordinator, relay_user, relay, other_relay_user, other_relay, reporter,
                 reporter_relay, social, structure, resource, other_social, other_resource, admin)


def report_payload(**overrides):
    payload = {"resident": {"first_name": "Mireille", "lat": LAT, "lon": LON,
                            "languages": ["fr"], "phone": "06 12 34 56 78"},
               "category": CATEGORY, "note": "Vit seule depuis l'hiver.", "consent": True}
    payload.update(overrides)
    return payload


def new_referral(world, by=None, **overrides):
    referral, created = service.report(by or world.coordinator, report_payload(**overrides))
    assert created
    return referral


# How to reach each status from "reported", by the coordinator.
PATH = {
    "reported": [],
    "assigned": [("assigned", {"relay_id": "relay"})],
    "contacted": [("assigned", {"relay_id": "relay"}), ("contacted", {})],
    "referred": [("assigned", {"relay_id": "relay"}), ("contacted", {}),
                 ("referred", {"resource_id": "resource"})],
    "accepted": [("assigned", {"relay_id": "relay"}), ("contacted", {}),
                 ("referred", {"resource_id": "resource"}), ("accepted", {})],
    "closed": [("assigned", {"relay_id": "relay"}), ("contacted", {}),
               ("referred", {"resource_id": "resource"}), ("accepted", {}),
               ("closed", {"outcome": "helped"})],
}


def bring_to(world, referral, status):
    """Walk a fresh referral to `status` through the service, as the coordinator."""
    for to, fields in PATH[status]:
        values = {name: (ref if name == "outcome" else getattr(world, ref).id)
                  for name, ref in fields.items()}
        service.transition(world.coordinator, referral.id, to, **values)
    db.session.expire_all()
    return db.session.get(Referral, referral.id)


def snapshot(referral_id):
    """(status, version, event count, relay loads) as stored, to prove nothing changed."""
    db.session.expire_all()
    row = db.session.execute(select(Referral.status, Referral.version, Referral.relay_id,
                                    Referral.resource_id, Referral.outcome)
                             .where(Referral.id == referral_id)).one()
    events = db.session.scalar(select(func.count()).select_from(ReferralEvent)
                               .where(ReferralEvent.referral_id == referral_id))
    loads = dict(db.session.execute(select(Relay.id, Relay.active_referrals)).all())
    return tuple(row), events, loads


def random_id():
    return str(uuid.uuid4())


def race(app, user_id, calls):
    """Run `calls` (functions of a client signed in as `user_id`) at once, one thread each.

    Each thread has its own test client, so each request gets its own application context
    and database session, as in production. Returns what each call returned, or the repr
    of what it raised (a crash must show as a failure, not hang).
    """
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        client = app.test_client()
        with app.app_context():
            sign_in(client, db.session.get(User, user_id))
            db.session.remove()
        barrier.wait()
        try:
            results[index] = call(client)
        except Exception as exc:  # noqa: BLE001
            results[index] = repr(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def territorial_coordinator_among_many(n=20_000):
    """A coordinator of one small territory (a second one beside it unstaffed, a city-wide
    coordinator for the rest) among `n` people spread around Le Havre with an open referral
    each, the tables analysed: the scale at which EXPLAIN tells whether an index answers."""
    west = make_territory(polygon=[(0.10, 49.49), (0.11, 49.49), (0.11, 49.50),
                                   (0.10, 49.50)])
    make_territory(polygon=[(0.11, 49.49), (0.12, 49.49), (0.12, 49.50), (0.11, 49.50)])
    coordinator = make_user(role="coordinator")
    coordinator.territories.append(west)
    make_user(role="coordinator")  # a city-wide one: the unstaffed rest is theirs
    db.session.flush()
    db.session.execute(sql(f"""
        INSERT INTO residents (id, first_name, point, approx_point, languages, audiences,
                               newcomer, created_at, updated_at)
        SELECT gen_random_uuid(), 'P' || i, p, p, '{{}}', '{{}}', false, now(), now()
        FROM (SELECT i, ST_SetSRID(ST_MakePoint(-0.2 + random() * 0.8,
                                                49.3 + random() * 0.4), 4326)::geography AS p
              FROM generate_series(1, {int(n)}) AS i) AS s;
        INSERT INTO referrals (id, resident_id, category, status, version, status_changed_at,
                               reported_at, created_at, updated_at)
        SELECT gen_random_uuid(), id, 'sante--sante-mentale', 'reported', 1,
               now() - random() * interval '30 days', now(), now(), now()
        FROM residents;
        ANALYZE residents; ANALYZE referrals; ANALYZE territories;
    """))
    return coordinator
