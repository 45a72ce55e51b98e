"""Coverage kept per territory: the hexagon cells of each territory with the number of
available relays reaching each one's centre, and per territory its totals and the time
they were computed (`CoverageState`), refreshed by the job `coverage.refresh`.

The pages read these rows and never grid a territory themselves. A territory whose outline
(or the grid's settings) changed since its cells were cut is re-cut at the next run (its
state keeps the fingerprint of what it was cut from, and the page says so meanwhile);
every run then counts again, for every cell, the relays that reach it, so that a relay who
moves, changes radius, pauses, leaves or fills up is seen within one period. Definitions
are those of `services.coverage`: a cell is covered when an active relay with free capacity
has its centre within their radius, on the sphere as matching measures.
"""

from datetime import timedelta

from sqlalchemy import bindparam, text

from .. import clock
from ..config import setting
from ..extensions import db
from .jobs import scheduled
from .transaction import use_case

PERIOD = timedelta(minutes=10)

# What a territory's cells are cut from: its outline and the grid's settings (`grid()`).
FINGERPRINT = ("md5(encode(ST_AsEWKB({area}), 'hex') || ':' || CAST(:size AS text) || ':' "
                "|| CAST(:srid AS text))")

_CHANGED = text(f"""
SELECT t.id FROM territories t
LEFT JOIN territory_coverage s ON s.territory_id = t.id
WHERE s.territory_id IS NULL OR s.outline_md5 <> {FINGERPRINT.format(area="t.area")}
""")

_CUT = text("""
INSERT INTO coverage_cells (territory_id, i, j, shape, centre, relays)
SELECT t.id, h.i, h.j, ST_Transform(h.geom, 4326),
       ST_Transform(ST_Centroid(h.geom), 4326)::geography, 0
FROM (SELECT id,
             -- An outline past TERRITORY_MAX_POINTS (stored before that limit) counts as its
             -- box.
             ST_Transform(CASE WHEN ST_NPoints(area) > :max_points THEN ST_Envelope(area)
                               ELSE area END, :srid) AS area_m
      FROM territories WHERE id IN :ids) t
CROSS JOIN LATERAL ST_HexagonGrid(:size, t.area_m) AS h
WHERE ST_Intersects(h.geom, t.area_m)
""").bindparams(bindparam("ids", expanding=True))

# One pass over (active relay, cell its radius reaches), relays driving: the cells' index on
# their centre answers each relay's radius. Then the cells' counts of available relays, and
# per territory the relays reaching one of its cells and their free places.
_COUNT = text(f"""
WITH pairs AS MATERIALIZED (
    SELECT c.territory_id, c.i, c.j, r.id AS relay_id,
           r.active_referrals < r.capacity AS available,
           GREATEST(0, r.capacity - r.active_referrals) AS free
    FROM relays r
    JOIN coverage_cells c ON ST_DWithin(c.centre, r.point, r.radius_m, false)
    WHERE r.status = 'active'
), counts AS (
    SELECT territory_id, i, j, count(*) FILTER (WHERE available) AS n
    FROM pairs GROUP BY territory_id, i, j
), updated AS (
    UPDATE coverage_cells c SET relays = COALESCE(s.n, 0)
    FROM coverage_cells c0 LEFT JOIN counts s USING (territory_id, i, j)
    WHERE c.territory_id = c0.territory_id AND c.i = c0.i AND c.j = c0.j
      AND c.relays <> COALESCE(s.n, 0)
    RETURNING 1
), reaching AS (
    SELECT territory_id, count(*) AS relays, sum(free) AS free_places
    FROM (SELECT DISTINCT territory_id, relay_id, free FROM pairs) d GROUP BY territory_id
), covered AS (
    SELECT territory_id, count(*) FILTER (WHERE n > 0) AS covered FROM counts
    GROUP BY territory_id
), cells AS (
    SELECT territory_id, count(*) AS cells FROM coverage_cells GROUP BY territory_id
)
INSERT INTO territory_coverage (territory_id, outline_md5, cells, uncovered, relays,
                                free_places, computed_at)
SELECT t.id, {FINGERPRINT.format(area="t.area")}, COALESCE(k.cells, 0),
       COALESCE(k.cells, 0) - COALESCE(v.covered, 0), COALESCE(r.relays, 0),
       COALESCE(r.free_places, 0), :now
FROM territories t
LEFT JOIN cells k ON k.territory_id = t.id
LEFT JOIN covered v ON v.territory_id = t.id
LEFT JOIN reaching r ON r.territory_id = t.id
ON CONFLICT (territory_id) DO UPDATE
SET outline_md5 = EXCLUDED.outline_md5, cells = EXCLUDED.cells,
    uncovered = EXCLUDED.uncovered, relays = EXCLUDED.relays,
    free_places = EXCLUDED.free_places, computed_at = EXCLUDED.computed_at
RETURNING (SELECT count(*) FROM updated) AS cells_changed
""")


def grid():
    """The parameters of `FINGERPRINT`: the grid's settings."""
    return {"size": setting("COVERAGE_CELL_M"), "srid": setting("COVERAGE_SRID")}


@scheduled("coverage.refresh", every=PERIOD,
           label="Couverture des territoires (zones et bienveilleurs qui les atteignent)")
@use_case
def refresh():
    """Cut again the cells of the territories whose outline changed (or new ones), then
    count for every cell the available relays reaching it, and each territory's totals."""
    parameters = grid()
    changed = list(db.session.scalars(_CHANGED, parameters))
    if changed:
        db.session.execute(text("DELETE FROM coverage_cells WHERE territory_id IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"ids": changed})
        db.session.execute(_CUT, {**parameters, "ids": changed,
                                  "max_points": setting("TERRITORY_MAX_POINTS")})
    rows = db.session.execute(_COUNT, {**parameters, "now": clock.now()}).all()
    return {"recut": len(changed), "territories": len(rows),
            "cells_changed": rows[0].cells_changed if rows else 0}
