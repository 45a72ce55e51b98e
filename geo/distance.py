"""Compute distances in metres on the sphere PostGIS uses for geography KNN."""

from __future__ import annotations

import math

# Mean Earth radius (IUGG, (2a + b) / 3 of WGS84). PostGIS uses this same sphere for
# geography `<->` and for ST_Distance(..., use_spheroid => false). ST_Distance and
# ST_DWithin on geography use the WGS84 spheroid by default. The two differ by at most
# 0.57 % (0.561 %, north-south at the equator), under 0.5 % at mid-latitudes, and between
# 0.02 % (north-south) and 0.31 % (east-west) at Le Havre: far below what a person
# notices in "à 1,2 km", but enough that a point at exactly r metres by one measure
# may fall just outside r by the other.
EARTH_MEAN_RADIUS_M = 6_371_008.8


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance in metres between two (lon, lat) points."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # Rounding can push h a hair above 1 for antipodal points; asin would then fail.
    h = min(1.0, max(0.0, h))
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(math.sqrt(h))
