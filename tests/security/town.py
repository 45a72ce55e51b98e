"""A town of two territories for the scope tests: a northern and a southern coordinator, a
city-wide one, relays and structures on each side, and helpers to follow a person.

The north square holds Le Havre centre (where `referral_helpers` reports people); the south
square lies a little further east and north, apart from it.
"""

from dataclasses import dataclass

from bienveilleurs.extensions import db
from bienveilleurs.services import referrals as service

from ..factories import make_relay, make_resource, make_structure, make_territory, make_user

CATEGORY = "sante--sante-mentale"
NORTH = [(0.100, 49.490), (0.120, 49.490), (0.120, 49.500), (0.100, 49.500)]
SOUTH = [(0.130, 49.500), (0.150, 49.500), (0.150, 49.510), (0.130, 49.510)]
IN_NORTH = (0.1079, 49.4944)   # (lon, lat)
IN_SOUTH = (0.1400, 49.5050)


@dataclass
class Town:
    north: object
    south: object
    coordinator_north: object
    coordinator_south: object
    city_wide: object
    admin: object
    relay_north_user: object
    relay_north: object
    relay_south_user: object
    relay_south: object
    structure_north: object
    resource_north: object
    structure_south: object
    resource_south: object
    social_north: object
    social_south: object


def make_town():
    north = make_territory(name="Nord", code="NORD", polygon=NORTH)
    south = make_territory(name="Sud", code="SUD", polygon=SOUTH)
    relay_north_user = make_user(role="relay", display_name="Relais du nord")
    relay_south_user = make_user(role="relay", display_name="Relais du sud")
    structure_north = make_structure(name="Centre social nord", lon=IN_NORTH[0],
                                     lat=IN_NORTH[1])
    structure_south = make_structure(name="Centre social sud", lon=IN_SOUTH[0], lat=IN_SOUTH[1])
    social_north = make_user(role="social_worker")
    social_south = make_user(role="social_worker")
    structure_north.members.append(social_north)
    structure_south.members.append(social_south)
    town = Town(
        north=north, south=south,
        coordinator_north=make_user(role="coordinator", territories=[north]),
        coordinator_south=make_user(role="coordinator", territories=[south]),
        city_wide=make_user(role="coordinator"),
        admin=make_user(role="admin"),
        relay_north_user=relay_north_user,
        relay_north=make_relay(user=relay_north_user, lon=IN_NORTH[0] + 0.002,
                               lat=IN_NORTH[1], radius_m=5000, display_name="Relais du nord"),
        relay_south_user=relay_south_user,
        relay_south=make_relay(user=relay_south_user, lon=IN_SOUTH[0], lat=IN_SOUTH[1],
                               radius_m=5000, display_name="Relais du sud"),
        structure_north=structure_north,
        resource_north=make_resource(structure=structure_north, categories=(CATEGORY,),
                                     lon=IN_NORTH[0] + 0.001, lat=IN_NORTH[1]),
        structure_south=structure_south,
        resource_south=make_resource(structure=structure_south, categories=(CATEGORY,),
                                     lon=IN_SOUTH[0] + 0.001, lat=IN_SOUTH[1]),
        social_north=social_north, social_south=social_south)
    db.session.flush()
    return town


def report(by, *, at=IN_NORTH, name="Mireille", note=None, phone=None):
    """A new person with one need, reported by `by`; returns the referral."""
    referral, created = service.report(by, {
        "resident": {"first_name": name, "lon": at[0], "lat": at[1], "phone": phone},
        "category": CATEGORY, "consent": True, "note": note})
    assert created
    return referral
