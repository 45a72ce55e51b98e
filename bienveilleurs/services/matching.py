"""Matching: the fitting resources and the available relays nearest to a point.

Index-assisted only: `ST_DWithin` on geography bounds radius searches and the KNN operator
`<->` with a constant point orders nearest first; exact metres are computed on the few rows
returned. Filters that PostgreSQL cannot evaluate (opening hours, weekly availability in
OpenStreetMap syntax) are applied in Python on successive nearest-first batches.

With a walking network (routing/), a bounded number of the nearest are the candidates, and
one more statement measures the walk to all of them at once; the lists are then ordered as
API.md says (services/fit.py: full last, walking time or distance, id) and each resource
carries its reasons (`fit`).
"""

from dataclasses import dataclass, field
from functools import lru_cache

from geoalchemy2 import Geography
from psycopg.rows import namedtuple_row
from sqlalchemy import Float, Integer, and_, bindparam, cast, func, or_, select

from geo.errors import GeoError
from geo.hours import is_open
from geo.queries import distance_m, lon_lat_of, nearest, within_m

from .. import clock
from ..config import setting
from ..extensions import db
from ..models import Relay, Resource, Structure
from . import fit
from .fields import QueryFields
from .routing import ranking

DEFAULT_LIMIT = 5
MAX_LIMIT = 50
MAX_WALK_S = (60, 7200)
_POINT = Geography(geometry_type="POINT", srid=4326)


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
    max_walk_s: int | None = None
    speaks: list = field(default_factory=list)  # the person's languages: reasons, not a filter


def split_list(value):
    if value is None:
        return []
    return [item.strip() for item in str(value).split(",") if item.strip()]


# --- reading the query string (services.fields rules; a word for a number or a flag is a 400)

def _flag(fields, name):
    return fields.boolean(name, label=f"Le paramètre {name}") is True


def _limit(fields, *, default=DEFAULT_LIMIT, maximum=MAX_LIMIT):
    limit = fields.integer("limit", label="Le paramètre limit")
    if limit is not None and not 1 <= limit <= maximum:
        fields.fail("limit", f"Le paramètre limit doit être compris entre 1 et {maximum}.")
        return default
    return default if limit is None else limit


def _max_walk(fields):
    low, high = MAX_WALK_S
    return fields.integer("max_walk_s", label="Le paramètre max_walk_s", minimum=low,
                          maximum=high)


def parse_max_walk(raw):
    """The longest walk asked for, in seconds (60 to 7200); absent: None."""
    fields = QueryFields({"max_walk_s": raw})
    value = _max_walk(fields)
    fields.done()
    return value


def parse_limit(raw, *, default=DEFAULT_LIMIT, maximum=MAX_LIMIT):
    """The number of results asked for, between 1 and ``maximum``; absent: ``default``."""
    fields = QueryFields({"limit": raw})
    limit = _limit(fields, default=default, maximum=maximum)
    fields.done()
    return limit


def parse_languages(values, *, field="languages"):
    """ISO 639-1 codes, lower case."""
    fields = QueryFields({field: list(values)})
    languages = fields.languages(field)
    fields.done()
    return languages or []


def point_from(lat, lon, *, area):
    """Validate a point at the edge; missing → 400, invalid or outside the area → 422."""
    fields = QueryFields({"lat": lat, "lon": lon})
    point = fields.point(area=area, required=True)
    fields.done()
    return point


def _filters(fields):
    return {
        "audiences": fields.audiences() or [],
        "languages": fields.languages() or [],
        "open_now": _flag(fields, "open_now"),
        "accessible": _flag(fields, "accessible"),
        "available_now": _flag(fields, "available_now"),
        "limit": _limit(fields),
        "max_walk_s": _max_walk(fields),
    }


def parse_match_filters(args):
    """The filters of a match whose point and need are known (a referral's matches)."""
    fields = QueryFields(args)
    filters = _filters(fields)
    fields.done()
    return filters


def parse_match_query(args, *, area):
    """Build a MatchQuery from query-string arguments (API.md names), validating everything.

    Every problem is reported at once, each on its argument.
    """
    fields = QueryFields(args)
    point = fields.point(area=area, required=True)
    filters = {"categories": fields.categories(expand=True) or [], **_filters(fields)}
    fields.done()
    return MatchQuery(lon=point[0], lat=point[1], **filters)


def _round_m(value):
    return round(float(value), 1)


def _point_parameter():
    """Return the query point as the bound parameters ``lon`` and ``lat``.

    The statements below are built once per combination of filters and executed with any
    point: building and hashing a SQLAlchemy statement on every call cost more than
    running it (bench/match.py). As in ``geo.queries.geog_point``, only the constant side
    is cast, so the GiST index still answers.
    """
    return cast(func.ST_SetSRID(func.ST_MakePoint(bindparam("lon", type_=Float),
                                                  bindparam("lat", type_=Float)), 4326), _POINT)


# Only what resource_match / relay_match show: plain rows, no ORM objects to build.
RESOURCE_COLUMNS = (Resource.id, Resource.name, Resource.structure_id, Resource.categories,
                    Resource.audiences, Resource.address, Resource.phone, Resource.opening_hours,
                    Resource.accessible, Resource.languages, Resource.saturation)
RELAY_COLUMNS = (Relay.id, Relay.display_name, Relay.radius_m, Relay.capacity,
                 Relay.active_referrals, Relay.languages, Relay.skills, Relay.availability)


def lat_lon(column):
    lon, lat = lon_lat_of(column)
    return lat.label("lat"), lon.label("lon")


def _reach(column, point):
    """Within the longest walk asked for: no walk is shorter than the straight line."""
    return func.ST_DWithin(column, point, bindparam("reach", type_=Float), False)


@lru_cache(maxsize=64)
def _resources_statement(categories, audiences, accessible, languages, reach=False):
    """Build the resources statement for this combination of filters (flags only)."""
    point = _point_parameter()
    conditions = [Resource.active.is_(True), Resource.point.isnot(None)]
    if categories:
        conditions.append(Resource.categories.overlap(bindparam("categories")))
    if audiences:
        # Left out: a resource for other audiences only; one that names none is for everyone.
        conditions.append(or_(func.cardinality(Resource.audiences) == 0,
                              Resource.audiences.overlap(bindparam("audiences"))))
    if accessible:
        conditions.append(Resource.accessible.is_(True))
    if languages:
        conditions.append(Resource.languages.overlap(bindparam("languages")))
    if reach:
        conditions.append(_reach(Resource.point, point))
    return (select(*RESOURCE_COLUMNS, Structure.name.label("structure_name"),
                   distance_m(Resource.point, point).label("distance_m"),
                   *lat_lon(Resource.point))
            .join(Structure, Structure.id == Resource.structure_id)
            .where(and_(*conditions))
            .order_by(nearest(Resource.point, point))
            .limit(bindparam("batch", type_=Integer)))


@lru_cache(maxsize=64)
def _relays_statement(max_radius_m, languages, reach=False):
    """Build the relays statement for this radius cap and filter combination."""
    point = _point_parameter()
    conditions = [
        Relay.status == "active",
        Relay.active_referrals < Relay.capacity,
        # The constant bound lets the GiST index prune; the per-row radius then refines.
        within_m(Relay.point, point, max_radius_m),
        func.ST_DWithin(Relay.point, point, Relay.radius_m, False),
    ]
    if languages:
        conditions.append(Relay.languages.overlap(bindparam("languages")))
    if reach:
        conditions.append(_reach(Relay.point, point))
    return (select(*RELAY_COLUMNS, distance_m(Relay.point, point).label("distance_m"),
                   *lat_lon(Relay.point))
            .where(and_(*conditions))
            .order_by(nearest(Relay.point, point))
            .limit(bindparam("batch", type_=Integer)))


@lru_cache(maxsize=128)
def _driver_form(statement, dialect):
    """Return the statement as the driver receives it: its SQL text and its bound constants.

    Compiled once per statement; each call then goes straight to psycopg. SQLAlchemy's
    per-execution work (cache key, result processing, typed rows) cost more CPU than the
    index scans themselves, and every API match call runs two of these statements. The
    columns are plain PostgreSQL types psycopg reads natively (uuid, text, arrays, floats).
    """
    compiled = statement.compile(dialect=dialect)
    return compiled.string, compiled.params


def _nearest_batches(statement, params, want, *, keep=None, leading=None):
    """Return enough rows kept by ``keep`` for ``want`` of those ``leading`` accepts (all by
    default), nearest first, equal distances by id, and the others as near as those.

    The SQL orders by the KNN key alone: PostgreSQL cannot add a second sort key (`id`) on
    top of a KNN index scan, so `ORDER BY point <-> p, id` would scan and sort every row.
    Ties are settled here instead; the batch grows (from the start, never by OFFSET, whose
    pages are not stable under ties) while Python-side filters reject rows, while fewer
    than ``want`` leading rows came (resources known to be full rank after the others), or
    while the last row fetched is still tied with the last leading row needed. Without any
    of these, one row more than asked is enough to see that no tie crosses the edge.
    """
    batch = first_batch(want, keep=keep, leading=leading)
    sql, constants = _driver_form(statement, db.engine.dialect)
    # The session's own connection, so the rows are read in the request's transaction.
    driver = db.session.connection().connection.driver_connection
    while True:
        with driver.cursor(row_factory=namedtuple_row) as cursor:
            rows = cursor.execute(sql, {**constants, **params, "batch": batch}).fetchall()
        kept = settled(rows, batch, want, keep=keep, leading=leading)
        if kept is not None:
            return kept
        batch *= 2


def first_batch(want, *, keep=None, leading=None):
    """How many of the nearest rows to fetch first for ``want`` (`_nearest_batches`)."""
    if keep:
        return max(want * 4, 20)
    return want + 1 if leading is None else want * 2 + 2


def settled(rows, batch, want, *, keep=None, leading=None):
    """The rows to keep from a batch of ``batch`` nearest rows (in the KNN order), equal
    distances by id, or None when a larger batch is needed (`_nearest_batches`)."""
    leading = leading or (lambda row: True)
    kept = [row for row in rows if keep(row)] if keep else list(rows)
    first = [row for row in kept if leading(row)]
    if len(rows) >= batch and not (
            len(first) >= want and rows[-1].distance_m > first[want - 1].distance_m):
        return None
    kept.sort(key=lambda row: (row.distance_m, row.id))
    if len(first) >= want:
        edge = first[want - 1].distance_m
        kept = [row for row in kept if row.distance_m <= edge]
    return kept


def _candidates(query, walking):
    """How many rows to rank: the limit, or with a walking network a bounded few more."""
    return ranking.candidates(query.limit) if walking else query.limit


def _params(query, walking):
    params = {"lon": float(query.lon), "lat": float(query.lat)}
    if walking and query.max_walk_s:
        params["reach"] = query.max_walk_s * setting("WALK_SPEED_M_S")
    if query.languages:
        params["languages"] = list(query.languages)
    return params


def _resource_rows(query, at, walking):
    bounded = bool(walking and query.max_walk_s)
    statement = _resources_statement(bool(query.categories), bool(query.audiences),
                                     bool(query.accessible), bool(query.languages), bounded)
    params = _params(query, walking)
    if query.categories:
        params["categories"] = list(query.categories)
    if query.audiences:
        params["audiences"] = sorted(set(query.audiences) | {fit.EVERYONE})

    def keep(row):
        return is_open_safely(row.opening_hours, at) is True

    rows = _nearest_batches(statement, params, _candidates(query, walking),
                            keep=keep if query.open_now else None,
                            leading=lambda row: row.saturation != fit.FULL)
    return [resource_match(row, at) for row in rows]


def _relay_rows(query, max_radius_m, at, walking):
    bounded = bool(walking and query.max_walk_s)
    statement = _relays_statement(float(max_radius_m), bool(query.languages), bounded)

    def keep(row):
        return is_open_safely(row.availability, at) is True

    rows = _nearest_batches(statement, _params(query, walking), _candidates(query, walking),
                            keep=keep if query.available_now else None)
    return [relay_match(row, at) for row in rows]


def ranked(query, relays, resources, walking, at):
    """Order both lists as API.md says, measure the walks, give resources their reasons."""
    if walking:
        relays, resources = ranking.on_foot(
            (query.lon, query.lat), [relays, resources], limit=query.limit,
            max_walk_s=query.max_walk_s, speed=setting("WALK_SPEED_M_S"))
    else:
        for item in relays + resources:
            item.update(walk_m=None, walk_s=None, routing="straight")
        relays = sorted(relays, key=lambda i: fit.order_key(i, walking=False))[:query.limit]
        resources = sorted(resources,
                           key=lambda i: fit.order_key(i, walking=False))[:query.limit]
    speaks = list(dict.fromkeys(list(query.languages) + list(query.speaks)))
    tz = setting("CITY_TIMEZONE")
    for item in resources:
        item["fit"] = fit.reasons(item, audiences=query.audiences, languages=speaks, at=at, tz=tz)
    for item in relays + resources:
        # Ordered by true metres (equal ones by id); shown to the decimetre.
        item["distance_m"] = _round_m(item["distance_m"])
    return relays, resources


def match_resources(query, *, at=None):
    """Return the active resources fitting the query, best first (API.md's order), as dicts."""
    return match(query, include_relays=False, max_radius_m=0, at=at)["resources"]


def is_open_safely(expression, at):
    if not expression:
        return None
    try:
        return is_open(expression, at, tz=setting("CITY_TIMEZONE"))
    except (ValueError, GeoError):
        return None


def resource_match(row, at):
    return {
        "id": str(row.id),
        "name": row.name,
        "structure_id": str(row.structure_id),
        "structure_name": row.structure_name,
        "categories": list(row.categories or []),
        "audiences": list(row.audiences or []),
        "distance_m": float(row.distance_m),  # rounded once ordered (ranked)
        "lat": row.lat,
        "lon": row.lon,
        "address": row.address,
        "phone": row.phone,
        "opening_hours": row.opening_hours,
        "open_now": None,  # with the reasons, for the items kept (fit.reasons)
        "accessible": row.accessible,
        "languages": list(row.languages or []),
        "saturation": row.saturation,
    }


def match_relays(query, *, max_radius_m, at=None):
    """Return the active relays with free capacity whose own radius reaches the point, best
    first (API.md's order)."""
    return match(query, include_relays=True, max_radius_m=max_radius_m, at=at,
                 resources=False)["relays"]


def relay_match(row, at):
    return {
        "id": str(row.id),
        "display_name": row.display_name,
        "distance_m": float(row.distance_m),  # rounded once ordered (ranked)
        "lat": row.lat,
        "lon": row.lon,
        "radius_m": row.radius_m,
        "capacity": row.capacity,
        "free_capacity": max(0, row.capacity - row.active_referrals),  # as Relay.free_capacity
        "languages": list(row.languages or []),
        "skills": list(row.skills or []),
        "available_now": is_open_safely(row.availability, at),
    }


def match(query, *, include_relays, max_radius_m, at=None, resources=True):
    """Answer GET /api/v1/match: resources for everyone, relays only when allowed.

    With a walking network, the walks to the candidates of both lists are measured by one
    statement (routing/ranking.py).
    """
    at = at or clock.now()
    walking = ranking.network_ready()
    relays = _relay_rows(query, max_radius_m, at, walking) if include_relays else []
    found = _resource_rows(query, at, walking) if resources else []
    relays, found = ranked(query, relays, found, walking, at)
    return {"relays": relays, "resources": found}


def rank_relays_for(query, relays, *, resident_languages=()):
    """Order relay matches for a coordinator's page.

    Shared language first, then available now, then free room, then walking time (when
    measured) or distance.
    """
    wanted = set(resident_languages)

    def score(relay):
        shared = bool(wanted & set(relay["languages"])) if wanted else False
        walk = relay.get("walk_s")
        return (not shared, relay["available_now"] is not True, -relay["free_capacity"],
                walk is None, walk if walk is not None else relay["distance_m"], relay["id"])
    return sorted(relays, key=score)


