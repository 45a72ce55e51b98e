"""Coverage: where available relays reach, per territory, on a hexagon grid in metres.

A cell is *covered* when its centre lies within the action radius of an available relay
(status active, with free capacity), measured on the same sphere as matching. The grid is
PostGIS's ST_HexagonGrid in a metric projection (Lambert-93, EPSG:2154, configurable),
anchored at the projection's origin, so a cell has the same (i, j) in every territory.
"""

import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, exists, func, select, text
from sqlalchemy.orm import defer

from geo.queries import lon_lat_of, point_in_area

from ..config import setting
from ..extensions import db
from ..models import Referral, Relay, Resident, Role, Territory
from . import areas, paging

_CELLS = text("""
WITH t AS (
    -- An outline past TERRITORY_MAX_POINTS (stored before that limit) counts as its box.
    SELECT id, name, ST_Transform(CASE WHEN ST_NPoints(area) > :max_points
                                       THEN ST_Envelope(area) ELSE area END, :srid) AS area_m
    FROM territories WHERE id IN :ids
), cells AS (
    SELECT t.id AS territory_id, h.i, h.j, h.geom
    FROM t CROSS JOIN LATERAL ST_HexagonGrid(:size, t.area_m) AS h
    WHERE ST_Intersects(h.geom, t.area_m)
), centred AS (
    SELECT territory_id, i, j, geom,
           ST_Transform(ST_Centroid(geom), 4326)::geography AS centre
    FROM cells
)
SELECT c.territory_id, c.i, c.j,
       ST_AsGeoJSON(ST_Transform(c.geom, 4326), 6) AS shape,
       ST_X(c.centre::geometry) AS lon, ST_Y(c.centre::geometry) AS lat,
       EXISTS (
           SELECT 1 FROM relays r
           WHERE r.status = 'active' AND r.active_referrals < r.capacity
             -- the constant bound lets the index answer; the per-relay radius then decides
             AND ST_DWithin(r.point, c.centre, :max_radius, false)
             AND ST_DWithin(r.point, c.centre, r.radius_m, false)
       ) AS covered
FROM centred c
ORDER BY c.territory_id, c.i, c.j
""").bindparams(bindparam("ids", expanding=True))

_RELAYS = text("""
SELECT t.id AS territory_id, r.id, r.display_name, r.status, r.capacity, r.active_referrals,
       r.radius_m
FROM (SELECT id, name, (CASE WHEN ST_NPoints(area) > :max_points THEN ST_Envelope(area)
                             ELSE area END)::geography AS area
      FROM territories WHERE id IN :ids) t
JOIN relays r ON r.status = 'active'
     AND ST_DWithin(r.point, t.area, :max_radius, false)
     AND ST_DWithin(r.point, t.area, r.radius_m, false)
ORDER BY t.name, r.display_name, r.id
""").bindparams(bindparam("ids", expanding=True))


@dataclass
class Cell:
    territory_id: uuid.UUID
    i: int
    j: int
    shape: dict
    lon: float
    lat: float
    covered: bool


@dataclass
class TerritoryCoverage:
    id: uuid.UUID
    name: str
    relays: list = field(default_factory=list)
    cells: list = field(default_factory=list)

    @property
    def free_capacity(self):
        return sum(max(0, r["capacity"] - r["active_referrals"]) for r in self.relays)

    @property
    def uncovered(self):
        return [c for c in self.cells if not c.covered]

    @property
    def uncovered_share(self):
        return round(100 * len(self.uncovered) / len(self.cells)) if self.cells else 0


def territories_for(user):
    """The territories a coordinator looks after (all of them when city-wide, or for an admin)."""
    if user.role == Role.COORDINATOR.value and user.territories:
        return sorted(user.territories, key=lambda t: t.name)
    # Their outlines stay in the database: the grid and the map read them there.
    return db.session.query(Territory).options(defer(Territory.area)).order_by(Territory.name).all()


def _territories_statement(user):
    """The select() of the territories a coordinator looks after (`territories_for`)."""
    statement = select(Territory).options(defer(Territory.area))
    if user.role == Role.COORDINATOR.value and user.territories:
        statement = statement.where(Territory.id.in_([t.id for t in user.territories]))
    return statement


def count_territories_for(user):
    """How many territories `territories_for(user)` holds, counted in the database."""
    return db.session.scalar(select(func.count()).select_from(
        _territories_statement(user).subquery()))


def territories_page(user, *, after=None, size=paging.PAGE_SIZE):
    """A Page of `territories_for(user)` by name then id, after the NameKey `after`: the
    coverage page computes the grid of one page of territories at a time."""
    return paging.keyset_page(_territories_statement(user), (Territory.name, Territory.id),
                              after=(after.name, after.id) if after else None,
                              key=lambda t: paging.NameKey(t.name, t.id), size=size)


def coverage(territories):
    """Per territory: the relays that reach it, their free capacity, and the hexagon cells."""
    result = {t.id: TerritoryCoverage(t.id, t.name) for t in territories}
    if not result:
        return []
    size, srid = setting("COVERAGE_CELL_M"), setting("COVERAGE_SRID")
    max_radius = setting("RELAY_MAX_RADIUS_M")
    ids = list(result)
    max_points = setting("TERRITORY_MAX_POINTS")
    for row in db.session.execute(_CELLS, {"ids": ids, "size": size, "srid": srid,
                                           "max_radius": max_radius, "max_points": max_points}):
        result[row.territory_id].cells.append(Cell(row.territory_id, row.i, row.j,
                                                   json.loads(row.shape), row.lon, row.lat,
                                                   row.covered))
    for row in db.session.execute(_RELAYS, {"ids": ids, "max_radius": max_radius,
                                            "max_points": max_points}):
        result[row.territory_id].relays.append(dict(row._mapping))
    return list(result.values())


def uncovered_cells(report):
    """Distinct uncovered cells over several territories (a cell on a border counts once)."""
    seen = {}
    for territory in report:
        for cell in territory.uncovered:
            seen.setdefault((cell.i, cell.j), cell)
    return list(seen.values())


def uncovered_count_for(user):
    """How many grid cells in the coordinator's territories no available relay reaches."""
    return len(uncovered_cells(coverage(territories_for(user))))


def features(report, *, relays=None):
    """GeoJSON for the map: territory outlines are drawn by the caller; uncovered cells here."""
    items = [{"type": "Feature", "geometry": cell.shape,
              "properties": {"area": "uncovered", "name": "Zone non couverte"}}
             for cell in uncovered_cells(report)]
    for relay in relays or []:
        items.append({"type": "Feature",
                      "geometry": {"type": "Point", "coordinates": [relay["lon"], relay["lat"]]},
                      "properties": {"kind": "relay", "name": relay["display_name"],
                                     "detail": f"{relay['free']} place(s) libre(s)"}})
    return {"type": "FeatureCollection", "features": items}


def relay_points(report):
    """The relays of a report with their position (coordinators and admins only)."""
    ids = {r["id"] for t in report for r in t.relays}
    if not ids:
        return []
    rows = db.session.execute(select(Relay.id, Relay.display_name, Relay.capacity,
                                     Relay.active_referrals, *lon_lat_of(Relay.point))
                              .where(Relay.id.in_(ids)).order_by(Relay.display_name))
    return [{"id": r[0], "display_name": r[1], "free": max(0, r[2] - r[3]), "lon": r[4],
             "lat": r[5]} for r in rows]


def referrals_outside_territories(user, *, after=None, size=paging.PAGE_SIZE):
    """A Page of the open referrals whose person lies in no territory, oldest move first
    (after the PageKey `after`): status, age and approximate cell only.

    Only those `user` holds: admins and city-wide coordinators see them all; a coordinator
    of some territories sees them only when nobody is city-wide (they are then everyone's).
    """
    inside = exists(select(Territory.id).where(point_in_area(Resident.point, Territory.area))
                    .correlate(Resident))
    statement = (select(Referral.id, Referral.status, Referral.status_changed_at,
                        *lon_lat_of(Resident.approx_point))
                 .join(Resident, Resident.id == Referral.resident_id)
                 .where(Referral.status != "closed", Resident.point.is_not(None), ~inside,
                        areas.managed(user, areas.by_point(Resident))))
    rows = paging.keyset_page(statement, (Referral.status_changed_at, Referral.id),
                              after=(after.at, after.id) if after else None,
                              key=lambda r: paging.PageKey(r[2], r[0]), size=size,
                              entities=False)
    return paging.Page([{"id": r[0], "status": r[1], "since": r[2], "lon": r[3], "lat": r[4]}
                        for r in rows], rows.after)
