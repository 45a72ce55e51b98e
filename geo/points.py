"""Validate coordinates, service areas and bounding boxes at the edge of the app.

Everything returned here is in (lon, lat) order, the order of GeoJSON, WKT and PostGIS;
only the arguments of ``parse_point`` follow the (lat, lon) order people type.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point

from geo.errors import InvalidBBox, InvalidCoordinates, OutOfServiceArea

# Plain decimal notation only: float() would also accept "nan", "1e400" or "1_0",
# none of which a person means as a coordinate.
# A decimal number, with a dot or a French comma; an exponent too, as programs write them.
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d{1,3})?")

_AXES = {
    "lat": {
        "name": "La latitude",
        "bound": 90.0,
    },
    "lon": {
        "name": "La longitude",
        "bound": 180.0,
    },
}


@dataclass(frozen=True)
class ServiceArea:
    """Describe the rectangle, in WGS84 degrees, of the territory served."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def __post_init__(self) -> None:
        _check_box(self.min_lon, self.min_lat, self.max_lon, self.max_lat, field=None)

    @classmethod
    def parse(cls, text: str) -> ServiceArea:
        """Build an area from "minlon,minlat,maxlon,maxlat" (the SERVICE_AREA setting)."""
        return cls(*_parse_four(text, field=None))

    def contains(self, lon: float, lat: float) -> bool:
        """Tell whether the point lies inside the area, edges included."""
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Return (min_lon, min_lat, max_lon, max_lat), the order of ST_MakeEnvelope."""
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)

    def __str__(self) -> str:
        return ",".join(repr(v) for v in self.as_tuple())



def parse_point(
    lat: object,
    lon: object,
    *,
    area: ServiceArea | None = None,
    lat_field: str = "lat",
    lon_field: str = "lon",
) -> tuple[float, float]:
    """Validate a latitude and a longitude as typed and return them as (lon, lat).

    Accepts numbers and numeric strings, with a dot or a French decimal comma. Raises
    InvalidCoordinates (with the field at fault) for a missing, non-numeric, non-finite or
    out-of-range value, and OutOfServiceArea when ``area`` is given and the point is
    outside it.
    """
    lat_value = _parse_axis(lat, axis="lat", field=lat_field)
    lon_value = _parse_axis(lon, axis="lon", field=lon_field)
    if area is not None and not area.contains(lon_value, lat_value):
        # A point typed the wrong way round is the most common mistake; saying so
        # saves the person from hunting for an error they cannot see.
        if area.contains(lat_value, lon_value):
            message = (
                "Ce point se trouve en dehors du territoire desservi : la latitude et la "
                "longitude semblent inversées."
            )
        else:
            message = "Ce point se trouve en dehors du territoire desservi."
        raise OutOfServiceArea(message, field=None)
    return (lon_value, lat_value)


def stored_point(lon: float, lat: float) -> WKBElement:
    """Return the value to store in a ``Geography("POINT", srid=4326)`` column."""
    return from_shape(Point(float(lon), float(lat)), srid=4326)


def lon_lat(element: WKBElement | None) -> tuple[float, float] | None:
    """Return (lon, lat) of a stored point, or None when there is none."""
    if element is None:
        return None
    point = to_shape(element)
    return (point.x, point.y)


def parse_bbox(
    text: object, *, max_span_deg: float = 0.5, field: str = "bbox"
) -> tuple[float, float, float, float]:
    """Validate "minlon,minlat,maxlon,maxlat" and return the four numbers.

    Refuses (InvalidBBox) anything but four finite numbers in range with min < max, and
    boxes wider or taller than ``max_span_deg`` degrees, so a single map request cannot
    ask for a whole country.
    """
    box = _parse_four(text, field=field)
    min_lon, min_lat, max_lon, max_lat = box
    _check_box(min_lon, min_lat, max_lon, max_lat, field=field)
    if max_lon - min_lon > max_span_deg or max_lat - min_lat > max_span_deg:
        raise InvalidBBox(
            "La zone demandée est trop grande : rapprochez-vous sur la carte "
            f"(au plus {_format_degrees(max_span_deg)} de côté).",
            field=field,
        )
    return box


def _parse_axis(value: object, *, axis: str, field: str) -> float:
    """Turn one typed coordinate into a finite float within its range."""
    name = _AXES[axis]["name"]
    bound = _AXES[axis]["bound"]
    invalid = f"{name} doit être un nombre entre -{bound:g} et {bound:g}."
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidCoordinates(f"{name} est obligatoire.", field=field)
    number = _to_float(value)
    if number is None or not math.isfinite(number) or not -bound <= number <= bound:
        raise InvalidCoordinates(invalid, field=field)
    return number


def _to_float(value: object) -> float | None:
    """Convert a number or a plain decimal string to float, or return None."""
    # bool is an int subclass; True as a latitude is always a bug upstream.
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        try:
            return float(value)
        except (OverflowError, ValueError):
            return None
    if isinstance(value, str):
        # People paste the typographic minus sign from word processors.
        text = value.strip().replace("\u2212", "-")
        if not _DECIMAL.fullmatch(text):
            return None
        return float(text.replace(",", "."))
    return None


def _parse_four(text: object, *, field: str | None) -> tuple[float, float, float, float]:
    """Split "a,b,c,d" into four finite floats or raise InvalidBBox."""
    malformed = (
        "La zone doit s'écrire « longitude min,latitude min,longitude max,latitude max », "
        "avec des nombres décimaux séparés par des virgules (exemple : 0.05,49.45,0.25,49.55)."
    )
    if not isinstance(text, str) or not text.strip():
        raise InvalidBBox(malformed, field=field)
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 4:
        raise InvalidBBox(malformed, field=field)
    numbers_ = []
    for part in parts:
        # The comma separates values here, so only the dot is a decimal separator.
        number = _to_float(part) if "," not in part else None
        if number is None or not math.isfinite(number):
            raise InvalidBBox(malformed, field=field)
        numbers_.append(number)
    return tuple(numbers_)  # type: ignore[return-value]


def _check_box(
    min_lon: float, min_lat: float, max_lon: float, max_lat: float, *, field: str | None
) -> None:
    """Check ranges and ordering of a box already made of floats."""
    values = (min_lon, min_lat, max_lon, max_lat)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values) or not all(
        math.isfinite(v) for v in values
    ):
        raise InvalidBBox("Les limites de la zone doivent être des nombres.", field=field)
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InvalidBBox("Les longitudes de la zone doivent être entre -180 et 180.", field=field)
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidBBox("Les latitudes de la zone doivent être entre -90 et 90.", field=field)
    if not (min_lon < max_lon and min_lat < max_lat):
        raise InvalidBBox(
            "Les minimums de la zone doivent être inférieurs aux maximums "
            "(longitude min < longitude max, latitude min < latitude max).",
            field=field,
        )


def _format_degrees(value: float) -> str:
    """Write a number of degrees the French way ("0,5 degré", "2 degrés")."""
    unit = "degrés" if abs(value) >= 2 else "degré"
    return f"{value:g}".replace(".", ",") + " " + unit


# Le Havre and its urban area: Sainte-Adresse and Cap de la Hève to the west,
# Octeville-sur-Mer and Montivilliers to the north, Harfleur, Gonfreville-l'Orcher and the
# port to the east, the Seine estuary to the south.
LE_HAVRE_AREA = ServiceArea(min_lon=0.0, min_lat=49.42, max_lon=0.35, max_lat=49.60)
