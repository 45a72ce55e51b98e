"""Keyword-only factories: they add and flush, never commit."""

import itertools

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Territory, User
from bienveilleurs.security import hash_password

TEST_PASSWORD = "une phrase de passe de test"
# The second factor of the admins and coordinators the factories make (see `make_user`).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# Hashing once keeps factories fast; argon2 is deliberately slow.
_TEST_HASH = hash_password(TEST_PASSWORD)
_counter = itertools.count(1)


def make_user(*, role="relay", email=None, password=None, display_name=None, active=True,
              territories=(), two_factor=None):
    """An account; admins and coordinators have their second factor (TEST_TOTP_SECRET) unless
    `two_factor=False`, as they must to reach any page."""
    n = next(_counter)
    if two_factor is None:
        two_factor = role in ("admin", "coordinator")
    user = User(email=email or f"{role}{n}@test.bienveilleurs.fr", role=role,
                display_name=display_name if display_name is not None else f"{role.title()} {n}",
                password_hash=hash_password(password) if password else _TEST_HASH, active=active,
                totp_secret=TEST_TOTP_SECRET if two_factor else None,
                totp_enabled_at=clock.now() if two_factor else None)
    user.territories = list(territories)
    db.session.add(user)
    db.session.flush()
    return user


def make_territory(*, name=None, code=None, polygon=None):
    """Create a territory from a lon/lat ring (a small square near Le Havre centre by default)."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, Polygon
    n = next(_counter)
    ring = polygon or [(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)]
    territory = Territory(name=name or f"Territoire {n}", code=code,
                          area=from_shape(MultiPolygon([Polygon(ring)]), srid=4326))
    db.session.add(territory)
    db.session.flush()
    return territory


def _geog(lon, lat):
    from geoalchemy2.shape import from_shape
    from shapely.geometry import Point
    return from_shape(Point(lon, lat), srid=4326)


def make_structure(*, name=None, lat=None, lon=None, **fields):
    from bienveilleurs.models import Structure
    n = next(_counter)
    structure = Structure(name=name or f"Structure {n}",
                          point=_geog(lon, lat) if lat is not None else None, **fields)
    db.session.add(structure)
    db.session.flush()
    return structure


def make_resource(*, lat=49.4944, lon=0.1079, categories=("sante--sante-mentale",), structure=None,
                  name=None, active=True, **fields):
    """Create a resource at (lat, lon); lat=None makes one without a point ("non localisée")."""
    from bienveilleurs.models import Resource
    n = next(_counter)
    resource = Resource(structure=structure or make_structure(), name=name or f"Ressource {n}",
                        categories=list(categories), active=active,
                        point=_geog(lon, lat) if lat is not None else None, **fields)
    db.session.add(resource)
    db.session.flush()
    return resource


def make_relay(*, lat=49.4944, lon=0.1079, radius_m=1000, capacity=3, active_referrals=0,
               status="active", user=None, display_name=None, **fields):
    from bienveilleurs.models import Relay
    n = next(_counter)
    relay = Relay(display_name=display_name or f"Bienveilleur {n}", point=_geog(lon, lat),
                  radius_m=radius_m, capacity=capacity, active_referrals=active_referrals,
                  status=status, user_id=user.id if user is not None else None, **fields)
    db.session.add(relay)
    db.session.flush()
    return relay
