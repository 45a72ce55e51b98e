"""Coordinates, service area and bounding boxes as typed by people."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.errors import GeoError, InvalidBBox, InvalidCoordinates, OutOfServiceArea
from geo.points import LE_HAVRE_AREA, ServiceArea, parse_bbox, parse_point

# (lat, lon) of places the Le Havre service must accept.
LE_HAVRE_PLACES = {
    "Hôtel de Ville du Havre": (49.4939, 0.1077),
    "Gare du Havre": (49.4926, 0.1254),
    "Sainte-Adresse": (49.5087, 0.0844),
    "Harfleur": (49.5066, 0.1981),
    "Montivilliers": (49.5452, 0.1880),
    "Gonfreville-l'Orcher": (49.4764, 0.2335),
    "Octeville-sur-Mer": (49.5560, 0.1170),
}


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (49.4939, 0.1077, (0.1077, 49.4939)),
        ("49.4939", "0.1077", (0.1077, 49.4939)),
        ("49,4939", "0,1077", (0.1077, 49.4939)),
        (" 49.5 ", "-0.5", (-0.5, 49.5)),
        ("\u22121.5", "2", (2.0, -1.5)),
        (49, 0, (0.0, 49.0)),
        (-90, -180, (-180.0, -90.0)),
        ("90", "180", (180.0, 90.0)),
        (".5", "5.", (5.0, 0.5)),
    ],
)
def test_parse_point_accepts_numbers_and_decimal_strings(lat, lon, expected):
    assert parse_point(lat, lon) == expected


def test_parse_point_returns_floats_in_lon_lat_order():
    lon, lat = parse_point(10, 20)
    assert (lon, lat) == (20.0, 10.0)
    assert type(lon) is float and type(lat) is float


@pytest.mark.parametrize(
    ("lat", "lon", "field", "message"),
    [
        (None, 0.1, "lat", "La latitude est obligatoire."),
        ("", 0.1, "lat", "La latitude est obligatoire."),
        ("   ", 0.1, "lat", "La latitude est obligatoire."),
        (49.5, None, "lon", "La longitude est obligatoire."),
        ("abc", 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (49.5, "0.1.2", "lon", "La longitude doit être un nombre entre -180 et 180."),
        (True, 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (49.5, False, "lon", "La longitude doit être un nombre entre -180 et 180."),
        (float("nan"), 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        ("nan", 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (49.5, float("inf"), "lon", "La longitude doit être un nombre entre -180 et 180."),
        (49.5, "-inf", "lon", "La longitude doit être un nombre entre -180 et 180."),
        ("1e", 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        ("9e1000", 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        ("4_9", 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (90.0001, 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (-91, 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (49.5, 180.5, "lon", "La longitude doit être un nombre entre -180 et 180."),
        (49.5, "-181", "lon", "La longitude doit être un nombre entre -180 et 180."),
        ([49.5], 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
        (49.5, {"v": 1}, "lon", "La longitude doit être un nombre entre -180 et 180."),
        (10**400, 0.1, "lat", "La latitude doit être un nombre entre -90 et 90."),
    ],
)
def test_parse_point_rejects_bad_values_with_field_and_french_message(lat, lon, field, message):
    with pytest.raises(InvalidCoordinates) as caught:
        parse_point(lat, lon)
    assert caught.value.field == field
    assert caught.value.message == message
    assert isinstance(caught.value, GeoError)


def test_parse_point_reports_the_field_names_given_by_the_caller():
    with pytest.raises(InvalidCoordinates) as caught:
        parse_point(49.5, "x", lat_field="address.lat", lon_field="address.lon")
    assert caught.value.field == "address.lon"


@pytest.mark.parametrize("place", sorted(LE_HAVRE_PLACES))
def test_le_havre_area_contains_the_urban_area(place):
    lat, lon = LE_HAVRE_PLACES[place]
    assert parse_point(lat, lon, area=LE_HAVRE_AREA) == (lon, lat)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (49.4431, 1.0993),  # Rouen
        (49.1829, -0.3707),  # Caen
        (48.8566, 2.3522),  # Paris
        (49.4190, 0.2330),  # Honfleur, across the estuary, just south of the area
    ],
)
def test_parse_point_refuses_places_outside_the_area(lat, lon):
    with pytest.raises(OutOfServiceArea) as caught:
        parse_point(lat, lon, area=LE_HAVRE_AREA)
    assert caught.value.message == "Ce point se trouve en dehors du territoire desservi."
    assert "inversées" not in caught.value.message


def test_parse_point_says_when_lat_and_lon_seem_swapped():
    with pytest.raises(OutOfServiceArea) as caught:
        parse_point(0.1077, 49.4939, area=LE_HAVRE_AREA)
    assert "la latitude et la longitude semblent inversées" in caught.value.message


def test_service_area_parse_and_contains_edges():
    area = ServiceArea.parse(" 0.0, 49.42 ,0.35,49.60")
    assert area == LE_HAVRE_AREA
    assert area.contains(0.0, 49.42)
    assert area.contains(0.35, 49.60)
    assert not area.contains(0.3501, 49.5)
    assert not area.contains(0.1, 49.4199)
    assert area.as_tuple() == (0.0, 49.42, 0.35, 49.6)
    assert ServiceArea.parse(str(area)) == area


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0,49,1",
        "0,49,1,50,2",
        "a,49,1,50",
        "nan,49,1,50",
        "0,49,inf,50",
        "1,49,0,50",
        "0,50,1,49",
        "0,49,0,50",
        "-181,49,1,50",
        "0,-91,1,50",
        None,
    ],
)
def test_service_area_parse_refuses_bad_settings(text):
    with pytest.raises(InvalidBBox):
        ServiceArea.parse(text)


def test_service_area_constructor_validates():
    with pytest.raises(InvalidBBox):
        ServiceArea(1.0, 49.0, 0.0, 50.0)


def test_parse_bbox_returns_four_floats():
    assert parse_bbox("0.05,49.45,0.25,49.55") == (0.05, 49.45, 0.25, 49.55)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0.05;49.45;0.25;49.55", "longitude min,latitude min"),
        ("0.05,49.45,0.25", "longitude min,latitude min"),
        ("0.05,49.45,x,49.55", "longitude min,latitude min"),
        ("0.05,nan,0.25,49.55", "longitude min,latitude min"),
        ("0.25,49.45,0.05,49.55", "inférieurs aux maximums"),
        ("0.05,49.55,0.25,49.45", "inférieurs aux maximums"),
        ("0.05,49.45,0.05,49.55", "inférieurs aux maximums"),
        ("-180.5,49.45,-180.2,49.55", "longitudes"),
        ("0.05,90,0.25,90.2", "latitudes"),
        ("0.0,49.0,0.6,49.5", "trop grande"),
        ("0.0,49.0,0.4,49.51", "trop grande"),
    ],
)
def test_parse_bbox_refuses_bad_boxes(text, fragment):
    with pytest.raises(InvalidBBox) as caught:
        parse_bbox(text)
    assert fragment in caught.value.message
    assert caught.value.field == "bbox"


def test_parse_bbox_span_limit_is_configurable():
    assert parse_bbox("0,49,2,50", max_span_deg=2) == (0.0, 49.0, 2.0, 50.0)
    with pytest.raises(InvalidBBox) as caught:
        parse_bbox("0,49,2,50", max_span_deg=1.5)
    assert "1,5 degré" in caught.value.message


def test_parse_bbox_accepts_exactly_the_maximum_span():
    assert parse_bbox("0,49,0.5,49.5") == (0.0, 49.0, 0.5, 49.5)


finite_lat = st.floats(min_value=-90, max_value=90, allow_nan=False)
finite_lon = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(lat=finite_lat, lon=finite_lon)
def test_any_valid_number_and_its_text_give_the_same_point(lat, lon):
    assert parse_point(lat, lon) == (lon, lat)
    # repr may use exponent notation for tiny values, which people never type.
    text_lat, text_lon = f"{lat:.12f}", f"{lon:.12f}"
    parsed_lon, parsed_lat = parse_point(text_lat, text_lon)
    assert math.isclose(parsed_lat, lat, abs_tol=1e-11)
    assert math.isclose(parsed_lon, lon, abs_tol=1e-11)
    french_lon, french_lat = parse_point(text_lat.replace(".", ","), text_lon.replace(".", ","))
    assert (french_lon, french_lat) == (parsed_lon, parsed_lat)


@given(lat=st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not -90 <= v <= 90))
def test_any_latitude_outside_the_range_is_refused(lat):
    with pytest.raises(InvalidCoordinates) as caught:
        parse_point(lat, 0.0)
    assert caught.value.field == "lat"


def test_numbers_in_exponent_notation_are_read_as_programs_write_them():
    # A query string built by a program may say 1.3e-05 for 0.000013 (schemathesis did).
    assert parse_point("4.95e1", "1.3e-05") == (1.3e-05, 49.5)
    assert parse_point("495E-1", "0,1") == (0.1, 49.5)
