"""Matching: the nearest fitting resources and the nearest available relays for a point.

Index-assisted only: `ST_DWithin` on geography bounds radius searches and the KNN operator
`<->` with a constant point orders nearest first; exact metres are computed on the few rows
returned. Filters that PostgreSQL cannot evaluate (opening hours, weekly availability in
OpenStreetMap syntax) are applied in Python on successive nearest-first batches.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import lazyload

from geo.errors import GeoError
from geo.hours import is_open
from geo.points import parse_point
from geo.queries import distance_m, geog_point, nearest, within_m

from .. import clock
from ..errors import BadRequest, ValidationFailed
from ..extensions import db
from ..models import Relay, Resource, Structure
from .codes import check_audiences, expand_categories

DEFAULT_LIMIT = 5
MAX_LIMIT = 50
TRUE_WORDS = {"true", "1", "yes", "oui", "on"}
FALSE_WORDS = {"false", "0", "no", "non", "off", ""}


@dataclass
class MatchQuery:
    lon: float
    lat: float
    categories: list = field(default_factory=list)  # expanded codes; empty = every category
    audiences: list = field(default_factory=list)
    languages: list = field(default_factory=list)
    open_now: bool = False
    accessible: bool = False
    available_now: bool = False
    limit: int = DEFAULT_LIMIT


def split_list(value):
    if value is None:
        return []
    return [item.strip() for item in str(value).split(",") if item.strip()]


def parse_flag(args, name):
    raw = args.get(name)
    if raw is None:
        return False
    raw = str(raw).strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise BadRequest(f"Le paramètre {name} doit valoir true ou false.",
                     details=[{"field": name, "message": "true ou false attendu."}])


def parse_limit(raw, *, default=DEFAULT_LIMIT, maximum=MAX_LIMIT):
    if raw is None or str(raw).strip() == "":
        return default
    try:
        limit = int(str(raw).strip())
    except ValueError:
        raise BadRequest("Le paramètre limit doit être un nombre entier.",
                         details=[{"field": "limit", "message": "Nombre entier attendu."}]) from None
    if limit < 1 or limit > maximum:
        raise ValidationFailed.field("limit", f"Le paramètre limit doit être compris entre 1 et {maximum}.")
    return limit


def parse_languages(values, *, field="languages"):
    languages = [v.lower() for v in values]
    bad = [v for v in languages if len(v) != 2 or not v.isalpha()]
    if bad:
        raise ValidationFailed.field(field, "Langue inconnue : " + ", ".join(bad[:5]) +
                                     " (codes ISO 639-1 à deux lettres attendus, par exemple fr, ar).")
    return languages


def point_from(lat, lon, *, area):
    """Validate a point at the edge; missing → 400, invalid or outside the area → 422."""
    if lat is None or lon is None or str(lat).strip() == "" or str(lon).strip() == "":
        missing = "lat" if lat is None or str(lat).strip() == "" else "lon"
        raise BadRequest(f"Le paramètre {missing} est obligatoire.",
                         details=[{"field": missing, "message": "Obligatoire."}])
    try:
        return parse_point(lat, lon, area=area)
    except GeoError as exc:
        raise ValidationFailed(exc.message, details=[{"field": exc.field or "lat,lon",
                                                       "message": exc.message}]) from None


def parse_match_query(args, *, area):
    """Build a MatchQuery from query-string arguments (API.md names), validating everything."""
    lon, lat = point_from(args.get("lat"), args.get("lon"), area=area)
    return MatchQuery(
        lon=lon, lat=lat,
        categories=expand_categories(split_list(args.get("categories"))),
        audiences=check_audiences(split_list(args.get("audiences"))),
        languages=parse_languages(split_list(args.get("languages"))),
        open_now=parse_flag(args, "open_now"),
        accessible=parse_flag(args, "accessible"),
        available_now=parse_flag(args, "available_now"),
        limit=parse_limit(args.get("limit")),
    )


def _round_m(value):
    return round(float(value), 1)


def _nearest_batches(statement, order_key, id_column, limit, keep):
    """Return up to ``limit`` rows kept by ``keep``, nearest first, equal distances by id.

    The SQL orders by the KNN key alone: PostgreSQL cannot add a second sort key (`id`) on
    top of a KNN index scan, so `ORDER BY point <-> p, id` would scan and sort every row.
    Ties are settled here instead; the batch grows (from the start, never by OFFSET, whose
    pages are not stable under ties) while Python-side filters reject rows or while the
    last row fetched is still tied with the last row kept.
    """
    batch = max(limit * 4, 20)
    while True:
        rows = db.session.execute(statement.order_by(order_key).limit(batch)).all()
        kept = [row for row in rows if keep(row)]
        if len(rows) < batch:
            break
        if len(kept) >= limit and rows[-1].distance_m > kept[limit - 1].distance_m:
            break
        batch *= 2
    kept.sort(key=lambda row: (row.distance_m, row[0].id))
    return kept[:limit]


def match_resources(query, *, at=None):
    """Return the nearest active resources fitting the query, nearest first, as dicts."""
    at = at or clock.now()
    point = geog_point(query.lon, query.lat)
    conditions = [Resource.active.is_(True), Resource.point.isnot(None)]
    if query.categories:
        conditions.append(Resource.categories.overlap(query.categories))
    if query.audiences:
        conditions.append(Resource.audiences.overlap(sorted(set(query.audiences) | {"tous-publics"})))
    if query.accessible:
        conditions.append(Resource.accessible.is_(True))
    if query.languages:
        conditions.append(Resource.languages.overlap(query.languages))
    statement = (select(Resource, Structure.name.label("structure_name"),
                        distance_m(Resource.point, point).label("distance_m"),
                        func.ST_Y(func.geometry(Resource.point)).label("lat"),
                        func.ST_X(func.geometry(Resource.point)).label("lon"))
                 .join(Structure, Structure.id == Resource.structure_id)
                 .where(and_(*conditions))
                 # The structure's name is selected above: no second (eager) join.
                 .options(lazyload(Resource.structure)))

    def keep(row):
        return not query.open_now or is_open_safely(row.Resource.opening_hours, at) is True

    rows = _nearest_batches(statement, nearest(Resource.point, point), Resource.id, query.limit,
                             keep)
    return [resource_match(row, at) for row in rows]


def is_open_safely(expression, at):
    if not expression:
        return None
    try:
        return is_open(expression, at)
    except (ValueError, GeoError):
        return None


def resource_match(row, at):
    resource = row.Resource
    return {
        "id": str(resource.id),
        "name": resource.name,
        "structure_id": str(resource.structure_id),
        "structure_name": row.structure_name,
        "categories": list(resource.categories or []),
        "audiences": list(resource.audiences or []),
        "distance_m": _round_m(row.distance_m),
        "lat": row.lat,
        "lon": row.lon,
        "address": resource.address,
        "phone": resource.phone,
        "opening_hours": resource.opening_hours,
        "open_now": is_open_safely(resource.opening_hours, at),
        "accessible": resource.accessible,
        "languages": list(resource.languages or []),
        "saturation": resource.saturation,
    }


def match_relays(query, *, max_radius_m, at=None):
    """Return the nearest active relays with free capacity whose own radius reaches the point."""
    at = at or clock.now()
    point = geog_point(query.lon, query.lat)
    conditions = [
        Relay.status == "active",
        Relay.active_referrals < Relay.capacity,
        # The constant bound lets the GiST index prune; the per-row radius then refines.
        within_m(Relay.point, point, max_radius_m),
        func.ST_DWithin(Relay.point, point, Relay.radius_m, False),
    ]
    if query.languages:
        conditions.append(Relay.languages.overlap(query.languages))
    statement = (select(Relay, distance_m(Relay.point, point).label("distance_m"),
                        func.ST_Y(func.geometry(Relay.point)).label("lat"),
                        func.ST_X(func.geometry(Relay.point)).label("lon"))
                 .where(and_(*conditions))
                 .options(lazyload(Relay.user)))

    def keep(row):
        return not query.available_now or is_open_safely(row.Relay.availability, at) is True

    rows = _nearest_batches(statement, nearest(Relay.point, point), Relay.id, query.limit, keep)
    return [relay_match(row, at) for row in rows]


def relay_match(row, at):
    relay = row.Relay
    return {
        "id": str(relay.id),
        "display_name": relay.display_name,
        "distance_m": _round_m(row.distance_m),
        "lat": row.lat,
        "lon": row.lon,
        "radius_m": relay.radius_m,
        "capacity": relay.capacity,
        "free_capacity": relay.free_capacity,
        "languages": list(relay.languages or []),
        "skills": list(relay.skills or []),
        "available_now": is_open_safely(relay.availability, at),
    }


def match(query, *, include_relays, max_radius_m, at=None):
    """Answer GET /api/v1/match: resources for everyone, relays only when allowed."""
    return {
        "relays": match_relays(query, max_radius_m=max_radius_m, at=at) if include_relays else [],
        "resources": match_resources(query, at=at),
    }


def rank_relays_for(query, relays, *, resident_languages=()):
    """Order relay matches for a coordinator's page: shared language, available now, free room, distance."""
    wanted = set(resident_languages)

    def score(relay):
        shared = bool(wanted & set(relay["languages"])) if wanted else False
        return (not shared, relay["available_now"] is not True, -relay["free_capacity"],
                relay["distance_m"], relay["id"])
    return sorted(relays, key=score)


