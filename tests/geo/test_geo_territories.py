"""Territory polygons imported from GeoJSON."""

import json

import pytest
import shapely
from shapely.geometry import MultiPolygon

from geo.errors import InvalidGeoJSON
from geo.territories import TerritoryFeature, parse_territories_geojson, to_wkt_multipolygon

CENTRE_VILLE = [[[0.10, 49.48], [0.13, 49.48], [0.13, 49.50], [0.10, 49.50], [0.10, 49.48]]]
HARFLEUR_A = [[[0.18, 49.50], [0.20, 49.50], [0.20, 49.51], [0.18, 49.51], [0.18, 49.50]]]
HARFLEUR_B = [[[0.21, 49.50], [0.22, 49.50], [0.22, 49.51], [0.21, 49.51], [0.21, 49.50]]]


def feature(name="Centre-ville", geometry=None, **properties):
    props = {"name": name, **properties} if name is not None else dict(properties)
    return {
        "type": "Feature",
        "properties": props,
        "geometry": geometry or {"type": "Polygon", "coordinates": CENTRE_VILLE},
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def test_reads_polygons_and_multipolygons_as_multipolygons():
    data = collection(
        feature("Centre-ville", code="LH-CV"),
        feature(
            "Harfleur",
            {"type": "MultiPolygon", "coordinates": [HARFLEUR_A, HARFLEUR_B]},
            code=76341,
        ),
    )
    territories = parse_territories_geojson(json.dumps(data).encode())
    assert [(t.name, t.code) for t in territories] == [
        ("Centre-ville", "LH-CV"),
        ("Harfleur", "76341"),
    ]
    assert all(isinstance(t, TerritoryFeature) for t in territories)
    assert all(isinstance(t.geometry, MultiPolygon) for t in territories)
    assert len(territories[1].geometry.geoms) == 2
    centre = territories[0].geometry
    assert centre.bounds == (0.10, 49.48, 0.13, 49.50)
    assert centre.contains(shapely.Point(0.1077, 49.4939))


def test_accepts_text_dict_and_a_byte_order_mark_and_trims_names():
    data = collection(feature("  Sanvic  ", code="  "))
    as_text = json.dumps(data)
    from_bom = parse_territories_geojson(b"\xef\xbb\xbf" + as_text.encode())
    assert from_bom == parse_territories_geojson(as_text) == parse_territories_geojson(data)
    assert from_bom[0].name == "Sanvic"
    assert from_bom[0].code is None


def test_drops_a_third_coordinate():
    ring = [[x, y, 12.5] for x, y in CENTRE_VILLE[0]]
    (territory,) = parse_territories_geojson(
        collection(feature(geometry={"type": "Polygon", "coordinates": [ring]}))
    )
    assert not territory.geometry.has_z


def test_repairs_a_bow_tie_into_two_triangles():
    bow_tie = [[[0.10, 49.48], [0.12, 49.50], [0.12, 49.48], [0.10, 49.50], [0.10, 49.48]]]
    (territory,) = parse_territories_geojson(
        collection(feature(geometry={"type": "Polygon", "coordinates": bow_tie}))
    )
    assert territory.geometry.is_valid
    assert len(territory.geometry.geoms) == 2
    assert territory.geometry.area == pytest.approx(0.0002, rel=1e-9)


def test_repairs_overlapping_parts_of_a_multipolygon():
    overlapping = [
        [[[0.10, 49.48], [0.12, 49.48], [0.12, 49.50], [0.10, 49.50], [0.10, 49.48]]],
        [[[0.11, 49.48], [0.13, 49.48], [0.13, 49.50], [0.11, 49.50], [0.11, 49.48]]],
    ]
    (territory,) = parse_territories_geojson(
        collection(feature(geometry={"type": "MultiPolygon", "coordinates": overlapping}))
    )
    assert territory.geometry.is_valid
    assert territory.geometry.area == pytest.approx(0.03 * 0.02, rel=1e-9)


def expect_error(data, *, index=None, fragment=""):
    with pytest.raises(InvalidGeoJSON) as caught:
        parse_territories_geojson(data)
    assert caught.value.index == index
    assert fragment in caught.value.message
    return caught.value


def test_refuses_malformed_json_with_its_position():
    error = expect_error(b'{"type": "FeatureCollection",\n "features": [}', fragment="JSON valide")
    assert "ligne 2" in error.message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\xff\xfe{}", "UTF-8"),
        ("[]", "FeatureCollection"),
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection"}, "features"),
        ({"type": "FeatureCollection", "features": []}, "aucun territoire"),
    ],
)
def test_refuses_documents_that_are_not_collections(data, fragment):
    expect_error(data, fragment=fragment)


def test_refuses_a_feature_without_a_name_and_names_its_position():
    error = expect_error(
        collection(feature("A"), feature("B"), feature(None, code="X")),
        index=2,
        fragment="Territoire n° 3 : la propriété « name »",
    )
    assert error.field == "name"


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


NAN = float("nan")


@pytest.mark.parametrize(
    ("bad_feature", "fragment"),
    [
        ("not a feature", "Feature"),
        ({"type": "Feature", "geometry": None}, "propriétés"),
        (feature(name=""), "« name »"),
        (feature(name=12), "« name »"),
        (feature(code=["x"]), "« code »"),
        (feature(code=True), "« code »"),
        (feature(geometry={"type": "Point", "coordinates": [0.1, 49.5]}), "polygone"),
        (feature(geometry=polygon()), "absentes ou mal formées"),
        (feature(geometry=polygon([0.1, 49.5])), "[longitude, latitude]"),
        (feature(geometry=polygon([["0.1", 49.5]] * 4)), "nombres"),
        (feature(geometry=polygon([[NAN, 49.5]] * 4)), "nombres"),
        # Latitude first, as people often write it: the longitude 200 gives it away.
        (
            feature(geometry=polygon([[49.48, 0.10], [49.48, 200.0], [49.5, 0.1], [49.48, 0.10]])),
            "hors limites",
        ),
        (
            feature(geometry=polygon([[0.1, 95.0], [0.2, 95.0], [0.2, 96.0], [0.1, 95.0]])),
            "hors limites",
        ),
        (feature(geometry=polygon([[0.1, 49.5], [0.2, 49.5]])), "trois points distincts"),
        (feature(geometry=polygon([[0.1, 49.5], [0.2, 49.5], [0.1, 49.5]])), "sans surface"),
        (
            feature(geometry=polygon([[0.1, 49.5], [0.2, 49.5], [0.3, 49.5], [0.1, 49.5]])),
            "sans surface",
        ),
    ],
)
def test_refuses_bad_features_with_their_index(bad_feature, fragment):
    error = expect_error(collection(feature("Premier"), bad_feature), index=1, fragment=fragment)
    assert error.message.startswith("Territoire n° 2")


def test_wkt_is_always_a_full_precision_multipolygon():
    polygon = shapely.Polygon(CENTRE_VILLE[0])
    wkt = to_wkt_multipolygon(polygon)
    assert wkt.startswith("MULTIPOLYGON")
    assert shapely.from_wkt(wkt).equals(MultiPolygon([polygon]))
    precise = shapely.Polygon([(0.123456789, 49.1), (0.2, 49.1), (0.2, 49.2), (0.123456789, 49.1)])
    assert "0.123456789" in to_wkt_multipolygon(precise)
    with pytest.raises(TypeError):
        to_wkt_multipolygon(shapely.Point(0.1, 49.5))
