"""Coverage: where available relays reach, per territory, on a hexagon grid in metres.

A cell is *covered* when its centre lies within the action radius of an available relay
(status active, with free capacity), measured on the same sphere as matching. The grid is
PostGIS's ST_HexagonGrid in a metric projection (Lambert-93, EPSG:2154, configurable),
anchored at the projection's origin, so a cell has the same (i, j) in every territory.
The cells and their counts are kept per territory by the job of `coverage_cache`: what is
read here is as of its last run (`CoverageState.computed_at`); `coverage_map` gives the map
its cells and relays by what is in view.
"""

import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, exists, func, or_, select, text
from sqlalchemy.orm import defer

from geo.queries import lon_lat_of, point_in_area

from ..config import setting
from ..extensions import db
from ..models import Referral, Resident, Role, Territory, coordinator_territories
from . import areas, paging
from .coverage_cache import FINGERPRINT, grid

_CELLS = text("""
SELECT territory_id, i, j, ST_AsGeoJSON(shape, 6) AS shape,
       ST_X(centre::geometry) AS lon, ST_Y(centre::geometry) AS lat, relays > 0 AS covered
FROM coverage_cells WHERE territory_id IN :ids
ORDER BY territory_id, i, j
""").bindparams(bindparam("ids", expanding=True))

_SUMMARIES = text(f"""
SELECT t.id, s.cells, s.uncovered, s.relays, s.free_places, s.computed_at,
       s.territory_id IS NULL OR s.outline_md5 <> {FINGERPRINT.format(area="t.area")}
           AS outline_changed
FROM territories t LEFT JOIN territory_coverage s ON s.territory_id = t.id
WHERE t.id IN :ids
""").bindparams(bindparam("ids", expanding=True))

_UNCOVERED = text("""
SELECT count(*) FROM (SELECT DISTINCT i, j FROM coverage_cells
                      WHERE territory_id IN :ids AND relays = 0) d
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


def territories_statement(user):
    """The select() of the territories a coordinator looks after: theirs, or all of them
    when they are attached to none (city-wide), or for an admin. Their attachments are
    read in the statement (never a coordinator's territories loaded, outlines and all)."""
    statement = select(Territory).options(defer(Territory.area))
    if user.role == Role.COORDINATOR.value:
        theirs = select(coordinator_territories.c.territory_id).where(
            coordinator_territories.c.user_id == user.id)
        statement = statement.where(or_(Territory.id.in_(theirs), ~exists(theirs)))
    return statement


def count_territories_for(user):
    """How many territories `territories_statement(user)` holds, counted in the database."""
    return db.session.scalar(select(func.count()).select_from(
        territories_statement(user).subquery()))


def territories_page(user, *, after=None, size=paging.PAGE_SIZE):
    """A Page of `territories_statement(user)` by name then id, after the NameKey `after`: the
    coverage page computes the grid of one page of territories at a time."""
    return paging.keyset_page(territories_statement(user), (Territory.name, Territory.id),
                              after=(after.name, after.id) if after else None,
                              key=lambda t: paging.NameKey(t.name, t.id), size=size)


def coverage(territories):
    """Per territory: the relays that reach it, their free capacity, and the hexagon cells
    as the last run of `coverage_cache.refresh` left them (a territory never computed has
    none)."""
    result = {t.id: TerritoryCoverage(t.id, t.name) for t in territories}
    if not result:
        return []
    ids = list(result)
    for row in db.session.execute(_CELLS, {"ids": ids}):
        result[row.territory_id].cells.append(Cell(row.territory_id, row.i, row.j,
                                                   json.loads(row.shape), row.lon, row.lat,
                                                   row.covered))
    for row in db.session.execute(_RELAYS, {"ids": ids, "max_points":
                                            setting("TERRITORY_MAX_POINTS"),
                                            "max_radius": setting("RELAY_MAX_RADIUS_M")}):
        result[row.territory_id].relays.append(dict(row._mapping))
    return list(result.values())


@dataclass
class Summary:
    """A territory's coverage as the job left it (`CoverageState`), for the page."""

    id: uuid.UUID
    name: str
    cells: int | None
    uncovered: int | None
    relays: int | None
    free_places: int | None
    computed_at: object
    outline_changed: bool

    @property
    def uncovered_share(self):
        return round(100 * self.uncovered / self.cells) if self.cells else 0


def summaries(territories):
    """The `Summary` of each territory, in the order given, in one statement."""
    if not territories:
        return []
    rows = {r.id: r for r in db.session.execute(_SUMMARIES, {**grid(), "ids": [
        t.id for t in territories]})}
    return [Summary(t.id, t.name, rows[t.id].cells, rows[t.id].uncovered, rows[t.id].relays,
                    rows[t.id].free_places, rows[t.id].computed_at, rows[t.id].outline_changed)
            for t in territories]


def uncovered_count(territory_ids):
    """Distinct uncovered cells over these territories (a cell on a border counts once)."""
    if not territory_ids:
        return 0
    return db.session.scalar(_UNCOVERED, {"ids": list(territory_ids)})


def uncovered_count_for(user):
    """How many grid cells in the coordinator's territories no available relay reaches (as
    of the last computation)."""
    return uncovered_count(db.session.scalars(
        territories_statement(user).with_only_columns(Territory.id)).all())


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
