"""Matching for many points at once: the proposals of a whole page of referrals.

`match_relays_many` and `match_resources_many` give, for each query of a list, what
`matching.match_relays` and `matching.match_resources` give for it alone (a test compares
them): the same conditions, the same nearest-first batches settled the same way on ties
(`matching.settled`), the same ranking (`matching.ranked`, routing/ranking.py on foot).
The nearest rows of every point come from one statement: the page's points (a JSON list)
joined LATERAL to the KNN search, which the GiST index answers for each point in turn. A
point whose batch ends on a tie asks again with a larger batch, with the other such points
only, so a page sends the same statements for two rows as for fifty.

Only what the pages propose: resources by need and audiences (the person's languages are
reasons), relays within their radius; no opening-hours or walking-time filter.
"""

from functools import lru_cache

from geoalchemy2 import Geography
from psycopg.rows import namedtuple_row
from psycopg.types.json import Jsonb
from sqlalchemy import Float, Integer, String, and_, cast, column, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql import bindparam

from geo.queries import distance_m, nearest, within_m

from .. import clock
from ..extensions import db
from ..models import Relay, Resource, Structure
from . import fit
from .matching import (
    RELAY_COLUMNS,
    RESOURCE_COLUMNS,
    _driver_form,
    first_batch,
    lat_lon,
    ranked,
    relay_match,
    resource_match,
    settled,
)
from .paging import without_jit
from .routing import ranking

_POINT = Geography(geometry_type="POINT", srid=4326)


def _points():
    """The page's points: one row per point, with its own batch size and filters."""
    return func.jsonb_to_recordset(bindparam("points", type_=JSONB)).table_valued(
        column("k", Integer), column("lon", Float), column("lat", Float),
        column("batch", Integer), column("categories", ARRAY(String(100))),
        column("audiences", ARRAY(String(100))),
    ).render_derived(name="p", with_types=True)


def _point(p):
    return cast(func.ST_SetSRID(func.ST_MakePoint(p.c.lon, p.c.lat), 4326), _POINT)


def _lateral(p, columns, point, conditions, joins=()):
    search = select(*columns, distance_m(point[0], point[1]).label("distance_m"),
                    *lat_lon(point[0]))
    for target, on in joins:
        search = search.join(target, on)
    search = (search.where(and_(*conditions)).order_by(nearest(point[0], point[1]))
              .limit(p.c.batch).lateral("m"))
    return select(p.c.k, search).select_from(p.join(search, true()))


@lru_cache(maxsize=1)
def _resources_statement():
    """As matching's resources statement, with each point's categories and audiences (an
    empty list: no such filter)."""
    p = _points()
    point = _point(p)
    conditions = [
        Resource.active.is_(True), Resource.point.isnot(None),
        or_(func.cardinality(p.c.categories) == 0, Resource.categories.overlap(p.c.categories)),
        # Left out: a resource for other audiences only; one that names none is for everyone.
        or_(func.cardinality(p.c.audiences) == 0, func.cardinality(Resource.audiences) == 0,
            Resource.audiences.overlap(p.c.audiences)),
    ]
    return _lateral(p, (*RESOURCE_COLUMNS, Structure.name.label("structure_name")),
                    (Resource.point, point), conditions,
                    joins=((Structure, Structure.id == Resource.structure_id),))


@lru_cache(maxsize=8)
def _relays_statement(max_radius_m):
    """As matching's relays statement: active, free room, within their own radius."""
    p = _points()
    point = _point(p)
    conditions = [
        Relay.status == "active",
        Relay.active_referrals < Relay.capacity,
        # The constant bound lets the GiST index prune; the per-row radius then refines.
        within_m(Relay.point, point, max_radius_m),
        func.ST_DWithin(Relay.point, point, Relay.radius_m, False),
    ]
    return _lateral(p, RELAY_COLUMNS, (Relay.point, point), conditions)


def _nearest_many(statement, points, wants, *, leading=None):
    """For each point (a dict of the `_points` columns but `k` and `batch`), the rows
    `matching._nearest_batches` would keep for it alone, in one statement (more only for
    the points whose batch ended on a tie)."""
    sql, constants = _driver_form(statement, db.engine.dialect)
    driver = db.session.connection().connection.driver_connection
    batches = [first_batch(want, leading=leading) for want in wants]
    answers = [None] * len(points)
    todo = list(range(len(points)))
    # The planner cannot know how few rows each point's search reads: priced as whole
    # walks of the index, the statement would be compiled (JIT) first, which is slower.
    without_jit()
    while todo:
        payload = [{"categories": [], "audiences": [], **points[k], "k": k,
                    "batch": batches[k]} for k in todo]
        found = {k: [] for k in todo}
        with driver.cursor(row_factory=namedtuple_row) as cursor:
            # Each point's rows come in its own KNN order (a nested loop, nothing re-sorts).
            for row in cursor.execute(sql, {**constants, "points": Jsonb(payload)}):
                found[row.k].append(row)
        for k in todo:
            answers[k] = settled(found[k], batches[k], wants[k], leading=leading)
            batches[k] *= 2
        todo = [k for k in todo if answers[k] is None]
    return answers


def _unsupported(query):
    return (query.open_now or query.accessible or query.available_now or query.languages
            or query.max_walk_s)


def _checked(queries):
    if any(_unsupported(q) for q in queries):
        raise ValueError("matching_many: only needs and audiences are filters here")
    return [{"lon": float(q.lon), "lat": float(q.lat)} for q in queries]


def match_resources_many(queries, *, at=None):
    """For each query, what `matching.match_resources(query)` answers."""
    at = at or clock.now()
    points = _checked(queries)
    walking = ranking.network_ready() if queries else False
    for point, query in zip(points, queries, strict=True):
        point["categories"] = list(query.categories)
        if query.audiences:
            point["audiences"] = sorted(set(query.audiences) | {fit.EVERYONE})
    rows = _nearest_many(_resources_statement(), points,
                         [ranking.candidates(q.limit) if walking else q.limit for q in queries],
                         leading=lambda row: row.saturation != fit.FULL)
    return [ranked(q, [], [resource_match(r, at) for r in found], walking, at)[1]
            for q, found in zip(queries, rows, strict=True)]


def match_relays_many(queries, *, max_radius_m, at=None):
    """For each query, what `matching.match_relays(query, max_radius_m=…)` answers."""
    at = at or clock.now()
    points = _checked(queries)
    walking = ranking.network_ready() if queries else False
    rows = _nearest_many(_relays_statement(float(max_radius_m)), points,
                         [ranking.candidates(q.limit) if walking else q.limit for q in queries])
    return [ranked(q, [relay_match(r, at) for r in found], [], walking, at)[0]
            for q, found in zip(queries, rows, strict=True)]
