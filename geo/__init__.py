"""Spatial helpers for Bienveilleurs: a plain library with no Flask in it.

Coordinates are WGS84 degrees in (lon, lat) order everywhere, distances are metres,
and errors meant for people carry a French message and the field at fault.
"""

from geo.distance import EARTH_MEAN_RADIUS_M, haversine_m
from geo.errors import (
    GeocoderUnavailable,
    GeoError,
    InvalidBBox,
    InvalidCoordinates,
    InvalidGeoJSON,
    OutOfServiceArea,
)
from geo.geocoding import BanGeocoder, Geocoder, GeocodeResult, NullGeocoder, make_geocoder
from geo.hours import is_open, validate_opening_hours
from geo.points import LE_HAVRE_AREA, ServiceArea, lon_lat, parse_bbox, parse_point, stored_point
from geo.privacy import approximate_point
from geo.queries import (
    distance_m,
    geog_point,
    in_bbox,
    lon_lat_of,
    nearest,
    point_in_area,
    within_m,
)
from geo.territories import (
    TerritoryFeature,
    parse_territories_geojson,
    stored_area,
    to_wkt_multipolygon,
)

__all__ = [
    "EARTH_MEAN_RADIUS_M",
    "LE_HAVRE_AREA",
    "BanGeocoder",
    "GeoError",
    "GeocodeResult",
    "Geocoder",
    "GeocoderUnavailable",
    "InvalidBBox",
    "InvalidCoordinates",
    "InvalidGeoJSON",
    "NullGeocoder",
    "OutOfServiceArea",
    "ServiceArea",
    "TerritoryFeature",
    "approximate_point",
    "distance_m",
    "geog_point",
    "haversine_m",
    "in_bbox",
    "is_open",
    "lon_lat",
    "lon_lat_of",
    "make_geocoder",
    "nearest",
    "parse_bbox",
    "parse_point",
    "parse_territories_geojson",
    "point_in_area",
    "stored_area",
    "stored_point",
    "to_wkt_multipolygon",
    "validate_opening_hours",
    "within_m",
]
