"""Build SQLAlchemy expressions for radius, nearest-first, distance and territory on geography.

Columns are ``Geography("POINT", srid=4326)``. Only the constant side of each
expression is ever cast: wrapping the column in a cast or ST_Transform would make
PostgreSQL ignore its GiST index and scan every row.
"""

from __future__ import annotations

from geoalchemy2 import Geography
from geoalchemy2.elements import WKBElement, WKTElement
from sqlalchemy import Float, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

_POINT = Geography(geometry_type="POINT", srid=4326)
_POLYGON = Geography(geometry_type="POLYGON", srid=4326)


def geog_point(lon: float, lat: float) -> ColumnElement:
    """Return a geography point built from bound parameters (never from string SQL)."""
    return cast(func.ST_SetSRID(func.ST_MakePoint(float(lon), float(lat)), 4326), _POINT)


def within_m(column: ColumnElement, point: ColumnElement, metres: float) -> ColumnElement:
    """Return a WHERE condition true when ``column`` is within ``metres`` of ``point``.

    ST_DWithin on geography uses the index. It measures on the sphere here, the same
    sphere as ``<->`` and ``distance_m``, so that filters, order and shown distances agree
    (at Le Havre the sphere is within 0.3% of the WGS84 spheroid).
    """
    return func.ST_DWithin(column, point, float(metres), False)


def nearest(column: ColumnElement, point: ColumnElement) -> ColumnElement:
    """Return the ORDER BY key for nearest-first with the KNN operator ``<->``.

    On geography ``<->`` is index-assisted and measures on the sphere; pair it with a
    LIMIT, and with ``within_m`` when a maximum radius applies.
    """
    return column.op("<->", return_type=Float)(point)


def distance_m(column: ColumnElement, point: ColumnElement) -> ColumnElement:
    """Return the distance in metres (on the sphere, like ``<->``) to show, never to filter."""
    return func.ST_Distance(column, point, False)


def in_bbox(column: ColumnElement, bbox: tuple[float, float, float, float]) -> ColumnElement:
    """Return a WHERE condition true when ``column`` lies in a (minlon, minlat, maxlon, maxlat) box.

    Geography edges are great circles, so the box's northern and southern edges bulge
    poleward a little (about 30 m for half a degree of longitude at Le Havre): good
    enough for "what is on my map".
    """
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    envelope = cast(func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326), _POLYGON)
    return func.ST_Intersects(column, envelope)


def near_bbox(column: ColumnElement, bbox: tuple[float, float, float, float]) -> ColumnElement:
    """Return a WHERE condition true when ``column``'s point may lie in the box: the index's
    own bounding-box test (``&&``), no exact test after it. It holds every point of the box
    and a few just past its northern or southern edge (where a geography box bulges): right
    for what a map draws, never for a list that says « in this zone » (``in_bbox``)."""
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    envelope = cast(func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326), _POLYGON)
    return column.op("&&")(envelope)


def lon_lat_of(column: ColumnElement) -> tuple[ColumnElement, ColumnElement]:
    """Return the (longitude, latitude) columns of a geography point, to select beside it."""
    return func.ST_X(func.geometry(column)), func.ST_Y(func.geometry(column))


def point_in_area(point: ColumnElement, area: ColumnElement) -> ColumnElement:
    """Return a WHERE condition true when the outline ``area`` covers ``point``.

    The one test of "which territory is this point in", used for scoping, notifications
    and coverage alike, so that whoever is told about a person can also open their file.
    ``point`` is a geography point (a column of the many rows — people, relays,
    structures —, a point already read, or ``geog_point``); ``area`` a territory's outline,
    a geometry column (EPSG:4326). The test is made in longitude and latitude, the outline
    as drawn on the map (its edges straight lines of lon/lat; on the sphere they would be
    great circles, a few centimetres away along a 2 km edge), with the point read as
    geometry: either index answers it — the points' index on ``(point::geometry)``
    (``models.base.point_geometry_index``) when the few territories are known (a
    coordinator's), the outlines' own index when one point is (a notification, a new
    relay) — and it costs a fraction of the same test on the sphere (the map of a
    coordinator of 863 neighbourhoods: 690 -> 165 ms, the same people). A point on a shared
    edge lies in both neighbours (ST_Intersects, not ST_Within).
    """
    if isinstance(point, WKBElement | WKTElement):
        point = literal(point, _POINT)  # a point already read rather than a column
    return func.ST_Intersects(area, func.geometry(point))
