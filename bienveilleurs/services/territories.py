"""Territories: import from GeoJSON, and which territories cover a point."""

from geoalchemy2.shape import from_shape
from sqlalchemy import select

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
