"""Blur positions shown to people who must not see an exact address."""

from __future__ import annotations

import math

from geo.distance import EARTH_MEAN_RADIUS_M

_METRES_PER_DEGREE_LAT = EARTH_MEAN_RADIUS_M * math.pi / 180

# Near the poles a cell of cell_m metres would span more than the whole parallel;
# below this cosine the row is a single cell.
_MIN_COS = 1e-9


def approximate_point(lon: float, lat: float, cell_m: float = 200) -> tuple[float, float]:
    """Return the centre of the grid cell of about ``cell_m`` metres holding the point.

    The grid is fixed, so the same point always gives the same approximation: adding
    fresh random noise on every display would let anyone average the noise away. Rows
    are ``cell_m`` tall; within a row, cells are ``cell_m`` wide at the row's middle
    latitude. The result is at most about 0.71 * cell_m from the input.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("approximate_point needs finite coordinates")
    if not cell_m > 0:
        raise ValueError("cell_m must be positive")

    cell_lat = cell_m / _METRES_PER_DEGREE_LAT
    row = math.floor(lat / cell_lat)
    centre_lat = (row + 0.5) * cell_lat
    centre_lat = min(90.0, max(-90.0, centre_lat))

    cos_lat = max(_MIN_COS, math.cos(math.radians(centre_lat)))
    cell_lon = min(360.0, cell_m / (_METRES_PER_DEGREE_LAT * cos_lat))
    column = math.floor(lon / cell_lon)
    centre_lon = (column + 0.5) * cell_lon
    if centre_lon > 180.0:
        centre_lon -= 360.0
    elif centre_lon < -180.0:
        centre_lon += 360.0
    return (centre_lon, centre_lat)
