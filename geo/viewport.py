"""What a map shows: a box in lon/lat and a zoom, and the grid its points are gathered on.

A map fetches what lies in its visible box (`Viewport`); the server gathers the points of
each square of a grid into one cluster with their count (`clusters`), so that what it sends
stays bounded at every zoom: the square is about `CLUSTER_PX` pixels at that zoom, and never
smaller than the box over `MAX_CELLS_ACROSS`, whatever box a client asks for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Text, case, cast, func, select

# A cluster gathers what lies in a square of about this many pixels on the screen.
CLUSTER_PX = 64
# At most this many squares across the box (so at most its square counted in the payload).
MAX_CELLS_ACROSS = 20
# Features one answer holds at most, whatever the zoom and the box.
MAX_FEATURES = 500
MAX_ZOOM = 20


@dataclass(frozen=True)
class Viewport:
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def bbox(self):
        return (self.west, self.south, self.east, self.north)

    def grid_degrees(self):
        """The side of the clustering square, in degrees."""
        at_zoom = 360 / 2 ** self.zoom * CLUSTER_PX / 256
        span = max(self.east - self.west, self.north - self.south)
        return max(at_zoom, span / MAX_CELLS_ACROSS)

    def query_value(self):
        """The box as the `zone` parameter of the pages (west,south,east,north)."""
        return format_box(self.bbox)


def format_box(box):
    return ",".join(f"{round(v, 6):g}" for v in box)


def parse_box(value):
    """Return (west, south, east, north) from "w,s,e,n" in decimal degrees, or raise
    ValueError with the French reason."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 4:
        raise ValueError("La zone s'écrit ouest,sud,est,nord en degrés décimaux.")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValueError("La zone s'écrit ouest,sud,est,nord en degrés décimaux.") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValueError("La zone s'écrit ouest,sud,est,nord en degrés décimaux.")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValueError("La zone doit aller d'ouest en est et du sud au nord, "
                         "entre -180 et 180 de longitude, -90 et 90 de latitude.")
    return west, south, east, north


def clusters(points, geometry, *, cell, limit=MAX_FEATURES, keep=(), shape=None):
    """A select() of the clusters of `points` (a subquery) on a grid of `cell` degrees.

    `geometry` is the subquery's column of lon/lat geometry points. Each row: `n` (how many),
    `lon`, `lat` (their centre), `west`, `south`, `east`, `north` (their extent) and, for
    each column named in `keep`, its smallest value as text (the value itself when n is 1);
    with `shape` (a column of geometries), `shape`: that geometry as GeoJSON when n is 1.
    The largest clusters first, at most `limit`.
    """
    # Plain arithmetic on the coordinates (no geometry aggregates): a square's key, the
    # mean of its points, their extent.
    x, y, side = func.ST_X(geometry), func.ST_Y(geometry), float(cell)
    count = func.count()
    columns = [count.label("n"), func.avg(x).label("lon"), func.avg(y).label("lat"),
               func.min(x).label("west"), func.min(y).label("south"),
               func.max(x).label("east"), func.max(y).label("north")]
    columns += [func.min(cast(points.c[name], Text)).label(name) for name in keep]
    if shape is not None:
        single = func.ST_AsGeoJSON(func.array_agg(shape)[1], 6)
        columns.append(case((count == 1, single)).label("shape"))
    return (select(*columns).select_from(points)
            .group_by(func.floor(x / side), func.floor(y / side))
            .order_by(func.count().desc(), columns[1], columns[2]).limit(limit))
