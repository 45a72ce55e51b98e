"""A small town for the campaign tests: two territories, relays, people on the register."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.services import campaigns
from bienveilleurs.services import referrals as referrals_service

from .factories import make_relay, make_territory, make_user

CATEGORY = "sante--sante-mentale"
WEST = [(0.100, 49.490), (0.120, 49.490), (0.120, 49.500), (0.100, 49.500)]
EAST = [(0.120, 49.490), (0.140, 49.490), (0.140, 49.500), (0.120, 49.500)]
# (lon, lat)
OWN_RELAY_AT = (0.105, 49.495)
NEAR_RELAY_AT = (0.125, 49.495)
PERSON_OWN = (0.106, 49.4952)     # in the west, accompanied by own_relay
PERSON_NEAR = (0.1255, 49.4952)   # in the east, 60 m from near_relay
PERSON_FAR = (0.139, 49.4990)     # in the east, out of every relay's radius


@dataclass
class Town:
    west: object
    east: object
    coordinator: object       # both territories
    east_coordinator: object  # the east only
    own_relay_user: object
    own_relay: object
    near_relay_user: object
    near_relay: object
    admin: object
    people: dict              # name -> resident id


def person(coordinator, name, at, *, relay=None):
    """Report a person (a referral by the coordinator), optionally assign it to `relay`."""
    referral, _ = referrals_service.report(coordinator, {
        "resident": {"first_name": name, "lon": at[0], "lat": at[1],
                     "phone": "06 11 22 33 44"},
        "category": CATEGORY, "consent": True})
    if relay is not None:
        referrals_service.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    return referral.resident_id


def build_town(*, register=True):
    west = make_territory(name="Ouest", code="OUEST", polygon=WEST)
    east = make_territory(name="Est", code="EST", polygon=EAST)
    coordinator = make_user(role="coordinator", territories=[west, east])
    east_coordinator = make_user(role="coordinator", territories=[east])
    own_user = make_user(role="relay", display_name="Odile Relais")
    own = make_relay(user=own_user, lon=OWN_RELAY_AT[0], lat=OWN_RELAY_AT[1], radius_m=500)
    near_user = make_user(role="relay", display_name="Nadir Relais")
    near = make_relay(user=near_user, lon=NEAR_RELAY_AT[0], lat=NEAR_RELAY_AT[1], radius_m=500)
    admin = make_user(role="admin")
    db.session.flush()
    people = {"Odette": person(coordinator, "Odette", PERSON_OWN, relay=own),
              "Noé": person(coordinator, "Noé", PERSON_NEAR),
              "Fanny": person(coordinator, "Fanny", PERSON_FAR)}
    if register:
        for rid in people.values():
            campaigns.add_to_register(coordinator, rid, {"consent": True,
                                                         "reasons": ["lives_alone"]})
    db.session.expire_all()
    return Town(west, east, coordinator, east_coordinator, own_user, own, near_user, near,
                admin, people)


def launch_body(**overrides):
    body = {"id": str(uuid.uuid4()), "kind": "heatwave", "title": "Canicule de juillet",
            "deadline": (clock.now() + timedelta(hours=6)).isoformat()}
    body.update(overrides)
    return body


def call_body(outcome="ok", **overrides):
    body = {"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
            "outcome": outcome}
    body.update(overrides)
    return body
