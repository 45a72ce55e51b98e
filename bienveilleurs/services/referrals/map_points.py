"""The coordinators' map of open referrals, by what is in view: the points of the visible
box gathered by zoom (`geo.viewport.clusters`), in the same scope as the list beside it.

A cluster says how many referrals lie in its square, never who; a single point is a person
shown (their first name, status and position), written to the access log as the list's
rows are. Where a role may only see the approximate point of a person, the map places
and filters them by it (`map_point_column`).
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from geo.queries import in_bbox, near_bbox
from geo.viewport import clusters

from ...extensions import db
from ...models import Referral, Resident, Role, Territory, coordinator_territories
from ..access_log import record_accesses
from ..paging import without_jit
from ..transaction import use_case
from .scope import scope_condition


def map_point_column(user):
    """The person's point a map shows `user`: exact for coordinators (as
    `scope.resident_position`), the stored ~200 m grid point for anyone else."""
    return Resident.point if user.role == Role.COORDINATOR.value else Resident.approx_point


def in_zone(user, zone):
    """Condition on Referral: its person's point (as the map shows it) lies in `zone`."""
    return Referral.resident_id.in_(
        select(Resident.id).where(in_bbox(map_point_column(user), zone)))


def territories_extent(user):
    """(west, south, east, north) around the territories `user` is attached to, or None
    (city-wide): where their map starts. One statement, outlines never loaded."""
    extent = func.ST_Extent(Territory.area)
    row = db.session.execute(
        select(func.ST_XMin(extent), func.ST_YMin(extent), func.ST_XMax(extent),
               func.ST_YMax(extent))
        .join(coordinator_territories, coordinator_territories.c.territory_id == Territory.id)
        .where(coordinator_territories.c.user_id == user.id)).one()
    return None if row[0] is None else tuple(row)


@dataclass
class MapCluster:
    count: int
    lon: float
    lat: float
    box: tuple          # (west, south, east, north) of its points
    referral_id: uuid.UUID | None = None   # when count is 1
    status: str | None = None
    name: str | None = None


def open_referral_clusters(user, viewport):
    """The open referrals in `user`'s scope whose person lies in the viewport, gathered on
    the viewport's grid (at most geo.viewport.MAX_FEATURES clusters, largest first)."""
    without_jit()
    column = map_point_column(user)
    points = (select(Referral.id.label("id"), Referral.status.label("status"),
                     func.coalesce(Resident.first_name, Resident.pseudonym).label("name"),
                     func.geometry(column).label("g"))
              .join(Resident, Resident.id == Referral.resident_id)
              .where(Referral.status != "closed", scope_condition(user, open_only=True),
                     near_bbox(column, viewport.bbox))
              .subquery("points"))
    rows = db.session.execute(clusters(points, points.c.g, cell=viewport.grid_degrees(),
                                       keep=("id", "status", "name")))
    return [MapCluster(r.n, r.lon, r.lat, (r.west, r.south, r.east, r.north),
                       *((uuid.UUID(r.id), r.status, r.name) if r.n == 1 else ()))
            for r in rows]


@use_case(reads=True)
def read_map_points(user, viewport):
    """`open_referral_clusters`, each person shown on their own written to the access log."""
    found = open_referral_clusters(user, viewport)
    record_accesses(user, "referral.map", "referral",
                    [c.referral_id for c in found if c.referral_id is not None])
    return found
