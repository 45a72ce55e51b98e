"""Points onto the walking network: the nearest point of the nearest street.

Each point (the person's, then the candidates') is snapped to the nearest point of the
network — the nearest edge by the GiST index, the place along it (`fraction`, from 0 at
the edge's source to 1 at its target) — unless it lies more than `SNAP_MAX_M` off it. The
length of a walk is the straight leg from the person to the network, the path along it,
and the leg from the network to the candidate.

The network lives in its own schema (`routing`, built by routing/network.py) in Web
Mercator: conformal, so the nearest edge on the map is the nearest on the ground and one
metre on the ground is `1 / cos(latitude)` map units around a point. Edge lengths are
measured on the sphere, like every other distance of matching.

The snapping statement also reads which network it snapped onto (`generation`), in the
same snapshot as the points: whoever walks on a copy of the network kept in memory
(walking.py) knows whether the edges it was given belong to the network of its copy.
"""

import math
from dataclasses import dataclass

NETWORK_SCHEMA = "routing"
SNAP_MAX_M = 200.0
MERCATOR_RADIUS_M = 6_378_137.0  # EPSG:3857's sphere

# %(xs)s, %(ys)s: Web Mercator coordinates (`mercator`) and %(lats)s: latitudes, of the
# person first, then the candidates (k = 1, 2, …).
SNAP_CTES = f"""
point AS (
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
)"""

# Which network: a new value at each import (network.py builds a new table of edges, with a
# new identity, and writes the import's time, source and counts), in which database; short.
GENERATION_SQL = (f"md5((SELECT current_database() || ' ' || '{NETWORK_SCHEMA}.edges'::regclass"
                  f"::oid::text || ' ' || to_jsonb(n)::text FROM {NETWORK_SCHEMA}.network n "
                  "LIMIT 1))")

# One row even without points: the generation alone.
SNAP_SQL = f"""
WITH {SNAP_CTES}
SELECT g.generation, s.k, s.edge, s.fraction, s.leg_m
FROM (SELECT {GENERATION_SQL} AS generation) g LEFT JOIN snap s ON true
ORDER BY s.k
"""


@dataclass
class Walk:
    """The walk to one candidate: metres, or None (off the network, or not reached)."""

    walk_m: float | None
    snapped: bool        # the candidate is within SNAP_MAX_M of the network
    exact: bool          # walk_m is the shortest walk: no longer than the radius asked for


@dataclass(frozen=True)
class Snap:
    """Where a point meets the network: the edge, the fraction along it, the leg to it."""

    edge: int
    fraction: float
    leg_m: float

    @property
    def on_network(self):
        return self.leg_m <= SNAP_MAX_M


def mercator(lon, lat):
    """Web Mercator (EPSG:3857) x, y of a WGS84 point, as PostGIS's ST_Transform computes them
    (here, so that the statement does not call PROJ for each point)."""
    x = MERCATOR_RADIUS_M * math.radians(lon)
    y = MERCATOR_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return x, y


def point_params(points):
    """The statements' parameters for (lon, lat) points, in order."""
    xy = [mercator(float(lon), float(lat)) for lon, lat in points]
    return {"xs": [x for x, _ in xy], "ys": [y for _, y in xy],
            "lats": [float(lat) for _lon, lat in points]}


def snap(driver, points):
    """Return (the network's generation, a Snap for each (lon, lat) of `points`, in order);
    with no points, the generation alone."""
    with driver.cursor() as cursor:
        rows = cursor.execute(SNAP_SQL, point_params(points)).fetchall()
    return (rows[0][0], [Snap(edge=edge, fraction=float(fraction), leg_m=float(leg_m))
                         for _generation, k, edge, fraction, leg_m in rows if k is not None])
