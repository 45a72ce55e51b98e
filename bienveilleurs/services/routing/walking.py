"""Walking lengths on the imported street network, from one point to many, in one statement.

Each point (the person's, then the candidates') is snapped to the nearest point of the
network — the nearest edge by the GiST index, the place along it — unless it lies more
than `SNAP_MAX_M` off it. pgRouting's `pgr_withPointsCost` then runs one Dijkstra from the
person's snapped point to every candidate's (undirected: one may walk both ways), on the
edges of a square window around the person. The length of a walk is the straight leg from
the person to the network, the path, and the leg from the network to the candidate.

The window bounds the work (pgRouting builds its graph from the edges it is given, on each
call): a path no longer than the window's radius cannot leave it, so a length up to that
is exact, and `exact` says which are (a walk no longer than the radius: any walk left out
is longer than that). The others are asked again by the caller with a wider window
when they matter.

The network lives in its own schema (`routing`, built by routing/network.py) in Web
Mercator: conformal, so the nearest edge on the map is the nearest on the ground and one
metre on the ground is `1 / cos(latitude)` map units around a point. Edge lengths are
measured on the sphere, like every other distance of matching.
"""

import math
from dataclasses import dataclass

from ...config import setting
from ...extensions import db

NETWORK_SCHEMA = "routing"
SNAP_MAX_M = 200.0
MERCATOR_RADIUS_M = 6_378_137.0  # EPSG:3857's sphere

_READY = f"""
SELECT to_regclass('{NETWORK_SCHEMA}.edges') IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')
"""

# %(xs)s, %(ys)s: Web Mercator coordinates (`mercator`) and %(lats)s: latitudes, of the
# person first, then the candidates; %(radius)s: the window's radius in metres around the
# person's snapped point (the edges of a square around it). The inner statements pgRouting
# runs are text: they are written by format() from numbers computed here, never from
# outside text.
WALK_SQL = f"""
WITH point AS (
    SELECT k::int AS k, lat, ST_SetSRID(ST_MakePoint(x, y), 3857) AS g
    FROM unnest(%(xs)s::float8[], %(ys)s::float8[], %(lats)s::float8[])
         WITH ORDINALITY AS p(x, y, lat, k)
), snap AS (
    SELECT p.k, e.id AS edge, ST_LineLocatePoint(e.geom, p.g) AS fraction,
           ST_Distance(e.geom, p.g) * cos(radians(p.lat)) AS leg_m,
           ST_ClosestPoint(e.geom, p.g) AS at, p.lat
    FROM point p
    CROSS JOIN LATERAL (SELECT id, geom FROM {NETWORK_SCHEMA}.edges
                        ORDER BY geom <-> p.g LIMIT 1) e
), origin AS (
    SELECT ST_Expand(at, %(radius)s / cos(radians(lat))) AS window FROM snap
    WHERE k = 1 AND leg_m <= {SNAP_MAX_M}
), inside AS (
    SELECT s.* FROM snap s, origin o WHERE s.leg_m <= {SNAP_MAX_M} AND s.at && o.window
), cost AS (
    SELECT c.end_pid, c.agg_cost
    FROM origin o, pgr_withPointsCost(
        format('SELECT id, source, target, length_m AS cost, length_m AS reverse_cost '
               'FROM {NETWORK_SCHEMA}.edges '
               'WHERE geom && ST_MakeEnvelope(%%s, %%s, %%s, %%s, 3857)',
               ST_XMin(o.window), ST_YMin(o.window), ST_XMax(o.window), ST_YMax(o.window)),
        (SELECT 'SELECT pid, edge_id, fraction FROM (VALUES '
                || string_agg(format('(%%s, %%s, %%s::float8)', k, edge, fraction), ', ')
                || ') AS p(pid, edge_id, fraction)' FROM inside),
        -1, ARRAY(SELECT -k FROM inside WHERE k > 1)::bigint[], directed => false) c
    WHERE EXISTS (SELECT 1 FROM inside WHERE k > 1)
)
SELECT k, origin_snapped, snapped, walk_m, walk_m <= %(radius)s AS exact
FROM (
    SELECT s.k, o.k IS NOT NULL AS origin_snapped, s.leg_m <= {SNAP_MAX_M} AS snapped,
           CASE WHEN s.leg_m <= {SNAP_MAX_M} THEN
               o.leg_m + s.leg_m + CASE WHEN s.edge = o.edge AND s.fraction = o.fraction
                                        THEN 0 ELSE c.agg_cost END
           END AS walk_m
    FROM snap s
    LEFT JOIN snap o ON o.k = 1 AND o.leg_m <= {SNAP_MAX_M}
    LEFT JOIN cost c ON c.end_pid = -s.k
    WHERE s.k > 1
) AS walk
ORDER BY k
"""


@dataclass
class Walk:
    """The walk to one candidate: metres, or None (off the network, or not reached)."""

    walk_m: float | None
    snapped: bool        # the candidate is within SNAP_MAX_M of the network
    exact: bool          # walk_m is the shortest walk: no longer than the window's radius


def network_ready():
    """Tell whether matching walks: ROUTING=walk and a network imported with pgRouting."""
    if setting("ROUTING") != "walk":
        return False
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        return bool(cursor.execute(_READY).fetchone()[0])


def mercator(lon, lat):
    """Web Mercator (EPSG:3857) x, y of a WGS84 point, as PostGIS's ST_Transform computes them
    (here, so that the statement does not call PROJ for each point)."""
    x = MERCATOR_RADIUS_M * math.radians(lon)
    y = MERCATOR_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return x, y


def walk_lengths(origin, points, *, radius_m):
    """Return (the person is on the network, a Walk for each (lon, lat) of `points`).

    `radius_m` is the radius of the window of streets searched around the person
    (`origin`, lon and lat); lengths up to it are exact. The person more than SNAP_MAX_M
    off the network: no walk at all.
    """
    if not points:
        return False, []
    everyone = [origin, *points]
    xy = [mercator(float(lon), float(lat)) for lon, lat in everyone]
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        rows = cursor.execute(WALK_SQL, {"xs": [x for x, _ in xy], "ys": [y for _, y in xy],
                                         "lats": [float(lat) for _lon, lat in everyone],
                                         "radius": float(radius_m)}).fetchall()
    walks = []
    for _k, _origin, snapped, walk_m, exact in rows:
        known = walk_m is not None
        walks.append(Walk(walk_m=float(walk_m) if known else None, snapped=bool(snapped),
                          exact=bool(exact) and known))
    return bool(rows[0][1]), walks
