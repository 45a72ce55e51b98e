"""The coverage map by what is in view: the uncovered cells of the user's territories and
the active relays they manage in the visible box, gathered by zoom (`geo.viewport`).

Cells come from the rows `coverage_cache` keeps (as of its last run); relays are read as
they are now. Out of scope is never returned: cells of the territories the user looks after
(`coverage.territories_statement`), relays they manage (`directory.managed_relays`).
"""

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on

from geo.queries import near_bbox
from geo.viewport import MAX_FEATURES, clusters

from ..extensions import db
from ..models import CoverageCell, Relay, Territory
from . import areas
from .coverage import territories_statement
from .directory.relays import RELAY_PLACEMENT
from .paging import without_jit

# Of the features of one answer, at most this many are relays (the rest cells).
RELAY_FEATURES = 150


@dataclass
class CellCluster:
    count: int
    lon: float
    lat: float
    shape: dict | None   # the hexagon when count is 1


@dataclass
class RelayCluster:
    count: int
    lon: float
    lat: float
    relay_id: uuid.UUID | None = None   # when count is 1
    name: str | None = None
    free: int | None = None


def uncovered_clusters(user, viewport):
    """Uncovered cells of `user`'s territories in the viewport (a cell on a border once)."""
    without_jit()
    west, south, east, north = viewport.bbox
    box = func.ST_MakeEnvelope(west, south, east, north, 4326)
    ids = territories_statement(user).with_only_columns(Territory.id)
    cells = (select(CoverageCell.shape.label("shape"),
                    func.ST_Centroid(CoverageCell.shape).label("g"))
             .where(CoverageCell.territory_id.in_(ids), CoverageCell.relays == 0,
                    CoverageCell.shape.op("&&")(box))
             .ext(distinct_on(CoverageCell.i, CoverageCell.j))
             .order_by(CoverageCell.i, CoverageCell.j)
             .subquery("cells"))
    rows = db.session.execute(clusters(cells, cells.c.g, cell=viewport.grid_degrees(),
                                       limit=MAX_FEATURES - RELAY_FEATURES,
                                       shape=cells.c.shape))
    return [CellCluster(r.n, r.lon, r.lat, json.loads(r.shape) if r.shape else None)
            for r in rows]


def relay_clusters(user, viewport):
    """Active relays `user` manages in the viewport, with their free places."""
    without_jit()
    relays = (select(Relay.id.label("id"), Relay.display_name.label("name"),
                     func.greatest(0, Relay.capacity - Relay.active_referrals).label("free"),
                     func.geometry(Relay.point).label("g"))
              .where(Relay.status == "active", near_bbox(Relay.point, viewport.bbox),
                     areas.managed(user, RELAY_PLACEMENT))
              .subquery("relays"))
    rows = db.session.execute(clusters(relays, relays.c.g, cell=viewport.grid_degrees(),
                                       limit=RELAY_FEATURES, keep=("id", "name", "free")))
    return [RelayCluster(r.n, r.lon, r.lat,
                         *((uuid.UUID(r.id), r.name, int(r.free)) if r.n == 1 else ()))
            for r in rows]
