"""Territories: import from GeoJSON, and which territories cover a point."""

from geoalchemy2.shape import from_shape
from sqlalchemy import exists, func, select

from geo.errors import GeoError
from geo.territories import parse_territories_geojson

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Territory


def import_territories(data):
    """Create or update territories from a GeoJSON FeatureCollection (by code, else by name)."""
    try:
        features = parse_territories_geojson(data)
    except GeoError as exc:
        raise ValidationFailed.field(exc.field or "geojson", exc.message) from None
    created = updated = 0
    for feature in features:
        query = select(Territory)
        query = query.where(Territory.code == feature.code) if feature.code else \
            query.where(Territory.name == feature.name, Territory.code.is_(None))
        territory = db.session.scalar(query)
        geometry = from_shape(feature.geometry, srid=4326)
        if territory is None:
            db.session.add(Territory(name=feature.name, code=feature.code, area=geometry))
            created += 1
        else:
            territory.name, territory.area = feature.name, geometry
            updated += 1
    db.session.commit()
    return {"created": created, "updated": updated}


def coordinators_for_point(lon, lat):
    """Active coordinators who must hear about a point: never nobody.

    Those attached to a territory covering the point; when no such territory has one (or the
    point is unknown, e.g. erased), the city-wide coordinators (attached to no territory);
    failing those, every active coordinator.
    """
    from ..models import Role, User, coordinator_territories
    coordinator = (User.role == Role.COORDINATOR.value) & User.active.is_(True)
    if lon is not None and lat is not None:
        point = func.ST_SetSRID(func.ST_MakePoint(float(lon), float(lat)), 4326)
        covering = db.session.scalars(
            select(User).join(coordinator_territories, coordinator_territories.c.user_id == User.id)
            .join(Territory, Territory.id == coordinator_territories.c.territory_id)
            .where(coordinator, func.ST_Intersects(Territory.area, point))
            .distinct().order_by(User.email)).all()
        if covering:
            return covering
    attached = select(coordinator_territories.c.user_id).where(
        coordinator_territories.c.user_id == User.id)
    city_wide = db.session.scalars(
        select(User).where(coordinator, ~exists(attached)).order_by(User.email)).all()
    return city_wide or db.session.scalars(select(User).where(coordinator).order_by(User.email)).all()
