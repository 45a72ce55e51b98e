"""Walking lengths by pgRouting, in one statement: the reference for walking.py.

The points are snapped as walking.py does (snapping.py); `pgr_withPointsCost` then runs one
Dijkstra from the person's snapped point to every candidate's (undirected: one may walk both
ways), on the edges of a square window around the person. pgRouting builds its graph from
the edges it is given, on each call, which is what makes this slower than walking.py's copy
of the network kept in memory: matching uses walking.py, and the tests check that both give
the same walks (a second, independent reading of the same edges).

The window bounds the work: a path no longer than the window's radius cannot leave it, so a
length up to that is exact, and `exact` says which are.
"""

from ...extensions import db
from .snapping import NETWORK_SCHEMA, SNAP_CTES, SNAP_MAX_M, Walk, point_params

# pgRouting (3.4) leaves out a point at either end of its edge (fraction 0 or 1, as a point
# snapped past a dead end, or onto a corner): such a point is moved along its edge by a
# negligible length.
END_GAP = 1e-9

# The points as in SNAP_CTES; %(radius)s: the window's radius in metres around the person's
# snapped point (the edges of a square around it). The inner statements pgRouting runs are
# text: they are written by format() from numbers computed here, never from outside text.
WALK_SQL = f"""
WITH {SNAP_CTES}, origin AS (
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
                || string_agg(format('(%%s, %%s, %%s::float8)', k, edge,
                                     least(greatest(fraction, {END_GAP}), 1 - {END_GAP})), ', ')
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


def walk_lengths(origin, points, *, radius_m):
    """As walking.walk_lengths, by pgRouting on a window of `radius_m` around the person."""
    if not points:
        return False, []
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        rows = cursor.execute(WALK_SQL, {**point_params([origin, *points]),
                                         "radius": float(radius_m)}).fetchall()
    walks = []
    for _k, _origin, snapped, walk_m, exact in rows:
        known = walk_m is not None
        walks.append(Walk(walk_m=float(walk_m) if known else None, snapped=bool(snapped),
                          exact=bool(exact) and known))
    return bool(rows[0][1]), walks
