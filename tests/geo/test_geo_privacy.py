"""Approximate positions: a fixed grid, never re-randomised."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.distance import haversine_m
from geo.privacy import approximate_point

HOTEL_DE_VILLE = (0.1077, 49.4939)


def test_approximation_moves_the_point_but_stays_close():
    lon, lat = approximate_point(*HOTEL_DE_VILLE)
    assert (lon, lat) != HOTEL_DE_VILLE
    assert haversine_m(lon, lat, *HOTEL_DE_VILLE) <= 150


def test_same_point_always_gives_the_same_cell():
    first = approximate_point(*HOTEL_DE_VILLE)
    assert all(approximate_point(*HOTEL_DE_VILLE) == first for _ in range(20))


def test_neighbours_in_one_cell_share_it_and_the_next_cell_differs():
    centre = approximate_point(*HOTEL_DE_VILLE)
    # 60 m either way from a cell centre stays inside a 200 m cell.
    lat_60m = 60 / 111_195
    lon_60m = 60 / (111_195 * 0.6495)
    for d_lon in (-lon_60m, 0, lon_60m):
        for d_lat in (-lat_60m, 0, lat_60m):
            assert approximate_point(centre[0] + d_lon, centre[1] + d_lat) == centre
    north = approximate_point(centre[0], centre[1] + 3 * lat_60m)
    east = approximate_point(centre[0] + 3 * lon_60m, centre[1])
    assert north != centre and east != centre
    assert haversine_m(*north, *centre) == pytest.approx(200, rel=0.01)
    assert haversine_m(*east, *centre) == pytest.approx(200, rel=0.01)


def test_cell_size_is_configurable():
    small = approximate_point(*HOTEL_DE_VILLE, cell_m=20)
    large = approximate_point(*HOTEL_DE_VILLE, cell_m=1000)
    assert haversine_m(*small, *HOTEL_DE_VILLE) <= 15
    assert haversine_m(*large, *HOTEL_DE_VILLE) <= 750
    assert small != large


@pytest.mark.parametrize(
    "args", [(float("nan"), 49.0), (0.1, float("inf")), (0.1, 49.0, 0), (0.1, 49.0, -5)]
)
def test_rejects_non_finite_points_and_non_positive_cells(args):
    with pytest.raises(ValueError):
        approximate_point(*args)


@given(
    lon=st.floats(min_value=-179.9, max_value=179.9),
    lat=st.floats(min_value=-80, max_value=80),
    cell_m=st.sampled_from([50, 200, 500]),
)
def test_approximation_is_within_three_quarters_of_a_cell_and_stable(lon, lat, cell_m):
    approx = approximate_point(lon, lat, cell_m)
    assert haversine_m(*approx, lon, lat) <= cell_m * 0.75
    assert approximate_point(lon, lat, cell_m) == approx
    # A cell centre is its own approximation, so re-blurring reveals nothing new.
    assert approximate_point(*approx, cell_m) == approx
