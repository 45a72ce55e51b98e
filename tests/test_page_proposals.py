"""The proposals of a whole page in one search (matching_many): each referral gets exactly
what it gets alone, ties and full resources included, in the same statements for two rows
as for twenty."""

import random

import pytest
from sqlalchemy import update

from bienveilleurs.extensions import db
from bienveilleurs.models import User
from bienveilleurs.services import referrals as service

from .factories import make_relay, make_resource, make_structure, make_user
from .referral_helpers import CATEGORY, LAT, LON, bring_to, make_world, new_referral
from .test_paged_lists import statements

OTHER = "equipement-et-alimentation--alimentation"
AUDIENCES = ("familles", "femmes", "tous-publics")


def _spot(rng, ties):
    if ties:  # a few places only: people and candidates share points, ties on distance
        return LAT + rng.choice((0, 0.001, 0.002, 0.004)), LON + rng.choice((0, 0.0015, 0.003))
    return LAT + rng.uniform(-0.004, 0.004), LON + rng.uniform(-0.004, 0.004)


def crowd(rng, world, n_relays=14, n_resources=24, ties=True):
    """Relays and resources around the people."""
    structure = make_structure()
    for n in range(n_relays):
        lat, lon = _spot(rng, ties)
        user = make_user(role="relay")
        relay = make_relay(user=user, lat=lat, lon=lon, radius_m=rng.choice((300, 3000)),
                           capacity=3, active_referrals=rng.choice((0, 1, 3)),
                           languages=rng.sample(["fr", "ar", "en"], rng.randint(0, 2)))
        if n % 4 == 0:  # the invitation still pending
            db.session.execute(update(User).where(User.id == user.id)
                               .values(password_hash=None))
        del relay
    for _ in range(n_resources):
        lat, lon = _spot(rng, ties)
        make_resource(structure=structure, lat=lat, lon=lon,
                      categories=(rng.choice((CATEGORY, OTHER, "sante")),),
                      audiences=rng.sample(AUDIENCES, rng.randint(0, 2)),
                      saturation=rng.choice((None, "limited", "full")),
                      languages=rng.sample(["fr", "ar"], rng.randint(0, 1)))
    db.session.flush()


def people(rng, world, n, ties=True):
    """n referrals: reported ones at several points, some with a relay in charge, and some
    sent back by a structure (a resource declined them)."""
    made = []
    for k in range(n):
        lat, lon = _spot(rng, ties)
        resident = {"first_name": f"Personne {k}", "lat": lat, "lon": lon,
                    "languages": rng.sample(["fr", "ar", "en"], rng.randint(0, 2)),
                    "audiences": rng.sample(AUDIENCES[:2], rng.randint(0, 1)),
                    "phone": "06 12 34 56 78"}
        referral = new_referral(world, resident=resident,
                                category=rng.choice((CATEGORY, OTHER)))
        if k % 3 == 1:
            referral = bring_to(world, referral, "assigned")
        elif k % 3 == 2:
            referral = bring_to(world, referral, "referred")
            referral = service.transition(world.social, referral.id, "contacted",
                                          reason="declined", version=referral.version)
        made.append(referral)
    db.session.expire_all()
    return made


@pytest.fixture
def world(db):
    return make_world(capacity=50)


def test_a_page_of_proposals_is_what_each_referral_gets_alone(world):
    rng = random.Random(16)
    crowd(rng, world)
    referrals = people(rng, world, 12)
    user = world.coordinator
    for limit in (2, 3):
        together = service.proposed_relays_for(user, referrals, limit=limit)
        alone = {r.id: service.proposed_relays(user, r, limit=limit) for r in referrals}
        assert together == alone
        assert sum(len(found) for found in alone.values()) > len(referrals)
    together = service.proposed_resources_for(user, referrals, limit=3)
    alone = {r.id: service.proposed_resources(user, r, limit=3) for r in referrals}
    assert together == alone
    assert any(found for found in alone.values())


def test_a_batch_ending_on_a_tie_is_asked_again_for_its_point_only(world):
    """Twelve relays at the very same point: the first batch (limit 10 + 1) ends inside the
    tie, so that point's search runs again, larger; the answer is the per-row one."""
    for _ in range(12):
        make_relay(user=make_user(role="relay"), lat=LAT + 0.003, lon=LON, radius_m=3000)
    tied = new_referral(world, resident={"first_name": "Au pied", "lat": LAT + 0.003,
                                         "lon": LON, "phone": "06 12 34 56 78"})
    other = new_referral(world)
    db.session.expire_all()
    user = world.coordinator
    with statements(lambda sql: "jsonb_to_recordset" in sql) as searches:
        together = service.proposed_relays_for(user, [tied, other])
    assert together == {r.id: service.proposed_relays(user, r) for r in (tied, other)}
    assert len(searches) == 2  # the page's points, then the tied point alone
    assert [p.distance_m for p in together[tied.id]] == [0.0, 0.0, 0.0]


def test_the_proposals_of_a_page_cost_the_same_statements_for_two_rows_as_for_twenty(world):
    """(Without ties on distance at the edge of a batch, which ask again for their point.)"""
    rng = random.Random(7)
    crowd(rng, world, ties=False)
    referrals = people(rng, world, 20, ties=False)
    user = world.coordinator
    counts = []
    for shown in (referrals[:2], referrals):
        db.session.expire_all()
        for referral in shown:  # what the list loaded for the page
            referral.resident, referral.relay  # noqa: B018
        with statements() as captured:
            service.proposed_relays_for(user, shown)
            service.proposed_resources_for(user, shown, limit=3)
        counts.append(len(captured))
    # The coordinator (expired); each list: whether it walks, no JIT, the search; the
    # pending invitations; the declines.
    assert counts[0] == counts[1] <= 10
