"""Keyword-only factories: they add and flush, never commit."""

import itertools

from bienveilleurs.extensions import db
from bienveilleurs.models import Territory, User
from bienveilleurs.security import hash_password

TEST_PASSWORD = "une phrase de passe de test"
# Hashing once keeps factories fast; argon2 is deliberately slow.
_TEST_HASH = hash_password(TEST_PASSWORD)
_counter = itertools.count(1)


def make_user(*, role="relay", email=None, password=None, display_name=None, active=True,
              territories=()):
    n = next(_counter)
    user = User(email=email or f"{role}{n}@test.bienveilleurs.fr", role=role,
                display_name=display_name if display_name is not None else f"{role.title()} {n}",
                password_hash=hash_password(password) if password else _TEST_HASH, active=active)
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
