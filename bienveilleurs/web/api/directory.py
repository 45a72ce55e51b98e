"""Structures, resources, relays and matching under /api/v1 (shared API.md)."""

from flask import jsonify, request
from flask_login import current_user

from geo.errors import GeoError
from geo.points import lon_lat, parse_bbox

from ...config import setting
from ...errors import BadRequest, Forbidden, ValidationFailed
from ...services import directory, matching, relays_admin
from ...services.codes import expand_categories
from ..pages import MANAGERS, geocoder, service_area
from . import json_body, make_api_blueprint, reads_only

bp = make_api_blueprint("api_directory")

# Widest map view served at once, in degrees (about 55 km north-south).
MAX_BBOX_SPAN_DEG = 0.5
MAX_FEATURES = 1000


def _require(*roles):
    if current_user.role not in roles:
        raise Forbidden()


def _iso(value):
    return value.isoformat() if value is not None else None


def structure_json(structure):
    point = lon_lat(structure.point)
    return {
        "id": str(structure.id), "name": structure.name, "siret": structure.siret,
        "address": structure.address, "lat": point[1] if point else None,
        "lon": point[0] if point else None, "phone": structure.phone, "email": structure.email,
        "website": structure.website, "active": structure.active,
        "source": structure.source, "source_id": structure.source_id,
        "created_at": _iso(structure.created_at), "updated_at": _iso(structure.updated_at),
    }


def resource_json(resource):
    point = lon_lat(resource.point)
    return {
        "id": str(resource.id), "structure_id": str(resource.structure_id),
        "structure_name": resource.structure.name if resource.structure else None,
        "name": resource.name, "description": resource.description or "",
        "categories": list(resource.categories or []),
        "audiences": list(resource.audiences or []),
        "lat": point[1] if point else None, "lon": point[0] if point else None,
        "located": point is not None,
        "address": resource.address, "postal_code": resource.postal_code, "city": resource.city,
        "phone": resource.phone, "email": resource.email, "website": resource.website,
        "opening_hours": resource.opening_hours, "languages": list(resource.languages or []),
        "accessible": resource.accessible, "capacity": resource.capacity,
        "saturation": resource.saturation, "active": resource.active,
        "source": resource.source, "source_id": resource.source_id,
        "created_at": _iso(resource.created_at), "updated_at": _iso(resource.updated_at),
    }


def relay_json(relay):
    lon, lat = lon_lat(relay.point)
    return {
        "id": str(relay.id), "display_name": relay.display_name, "lat": lat, "lon": lon,
        "radius_m": relay.radius_m, "capacity": relay.capacity,
        "active_referrals": relay.active_referrals, "free_capacity": relay.free_capacity,
        "languages": list(relay.languages or []), "skills": list(relay.skills or []),
        "availability": relay.availability, "status": relay.status,
        "user_id": str(relay.user_id) if relay.user_id else None,
        "email": relay.user.email if relay.user is not None else None,
        "created_at": _iso(relay.created_at), "updated_at": _iso(relay.updated_at),
    }


@bp.post("/structures")
def create_structure():
    _require(*MANAGERS)
    body = json_body()
    structure = directory.create_structure(current_user, body, area=service_area(), strict=True)
    return jsonify(structure_json(structure)), 201


@bp.post("/resources")
def create_resource():
    """Create a resource (201), or update the one with the same source and source_id (200)."""
    _require(*MANAGERS)
    body = json_body()
    saved = directory.create_resource(current_user, body, area=service_area(),
                                      geocoder=geocoder(), strict=True)
    payload = resource_json(saved.item)
    if saved.note:
        payload["warning"] = saved.note
    return jsonify(payload), 201 if saved.created else 200


@bp.get("/resources/<resource_id>")
@reads_only
def get_resource(resource_id):
    resource = directory.get_resource(resource_id, include_inactive=current_user.role in MANAGERS)
    return jsonify(resource_json(resource))


@bp.get("/resources")
@reads_only
def resources_geojson():
    """Active resources in a box, as an RFC 7946 FeatureCollection (lon, lat)."""
    raw = request.args.get("bbox")
    if raw is None or not raw.strip():
        raise BadRequest("Le paramètre bbox est obligatoire (minlon,minlat,maxlon,maxlat).",
                         details=[{"field": "bbox", "message": "Obligatoire."}])
    try:
        bbox = parse_bbox(raw, max_span_deg=MAX_BBOX_SPAN_DEG)
    except GeoError as exc:
        raise ValidationFailed.field("bbox", exc.message) from None
    categories = expand_categories(matching.split_list(request.args.get("categories")))
    rows, truncated = directory.resources_in_bbox(bbox, categories=categories, limit=MAX_FEATURES)
    features = []
    for resource, structure_name, lon, lat in rows:
        features.append({
            "type": "Feature",
            "id": str(resource.id),
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": str(resource.id), "name": resource.name,
                "structure_id": str(resource.structure_id), "structure_name": structure_name,
                "categories": list(resource.categories or []),
                "audiences": list(resource.audiences or []),
                "address": resource.address, "phone": resource.phone,
                "opening_hours": resource.opening_hours, "accessible": resource.accessible,
                "languages": list(resource.languages or []), "saturation": resource.saturation,
            },
        })
    response = jsonify({"type": "FeatureCollection", "features": features, "truncated": truncated})
    response.mimetype = "application/geo+json"
    return response


@bp.post("/relays")
def register_relay():
    """Register a relay at a point the caller manages; `email` links an existing account."""
    _require(*MANAGERS)
    body = json_body()
    relay, _ = relays_admin.register_relay(
        current_user, body, area=service_area(), max_radius_m=setting("RELAY_MAX_RADIUS_M"),
        geocoder=geocoder(), invite=False, strict=True)
    return jsonify(relay_json(relay)), 201


@bp.get("/relays/<relay_id>")
def get_relay(relay_id):
    """A relay's record: to those who manage it and to the relay themself; 404 to anyone else."""
    return jsonify(relay_json(directory.relay_record(current_user, relay_id)))


@bp.get("/match")
@reads_only
def match():
    query = matching.parse_match_query(request.args, area=service_area())
    result = matching.match(query, include_relays=current_user.role in MANAGERS,
                            max_radius_m=setting("RELAY_MAX_RADIUS_M"))
    return jsonify(result)
