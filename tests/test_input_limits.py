"""Bounded cost of inputs: territories (points, per import, in all), booklets and maps of an
outline stored before the limit, API bodies. The timings are in bench/expensive_inputs.py."""

import html
import json
import math

import pytest
from sqlalchemy import func, select, text

from bienveilleurs.errors import ValidationFailed
from bienveilleurs.models import Territory
from bienveilleurs.services import booklets, territories

from .conftest import api_headers
from .factories import make_resource, make_user


def ring(points, *, lon=0.11, lat=49.50, radius=0.005):
    positions = [[round(lon + radius * math.cos(2 * math.pi * i / points), 7),
                  round(lat + 0.7 * radius * math.sin(2 * math.pi * i / points), 7)]
                 for i in range(points)]
    return positions + [positions[0]]


def collection(*rings, start=0):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "properties": {"name": f"Quartier {start + n}", "code": f"Q{start + n}"},
         "geometry": {"type": "Polygon", "coordinates": [r]}}
        for n, r in enumerate(rings)]}).encode()


@pytest.fixture
def limits(app, monkeypatch):
    """Small limits, so that a test can reach them with small files."""
    for name, value in {"TERRITORY_MAX_POINTS": 50, "TERRITORIES_PER_IMPORT": 3,
                        "TERRITORIES_MAX": 4}.items():
        monkeypatch.setitem(app.config, name, value)


def refusal(call):
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.message


def test_an_outline_past_the_limit_is_refused_with_its_count_and_the_limit(db, limits):
    message = refusal(lambda: territories.import_territories(collection(ring(60))))
    assert "le contour compte 61 points, au plus 50 sont acceptés" in message
    assert "Simplifiez-le" in message
    territories.import_territories(collection(ring(49)))  # 50 points with the closing one
    assert db.scalar(select(func.count()).select_from(Territory)) == 1


def test_an_outline_drawn_or_replaced_is_held_to_the_same_limit(db, limits):
    admin = make_user(role="admin")
    db.commit()  # kept when the refused use cases below roll back
    polygon = json.dumps({"type": "Polygon", "coordinates": [ring(60)]})
    assert "au plus 50" in refusal(lambda: territories.create_territory(
        admin, name="Grand", code=None, data=polygon))
    small = territories.create_territory(admin, name="Petit", code=None,
                                         data=json.dumps({"type": "Polygon",
                                                          "coordinates": [ring(10)]}))
    assert "au plus 50" in refusal(lambda: territories.replace_outline(admin, small.id, polygon))


def test_territories_are_bounded_per_import_and_in_all(db, limits):
    message = refusal(lambda: territories.import_territories(collection(*[ring(8)] * 4)))
    assert message.endswith("4 territoires : au plus 3 par import. Découpez-le en plusieurs "
                            "fichiers.")
    territories.import_territories(collection(*[ring(8)] * 3))
    message = refusal(lambda: territories.import_territories(collection(*[ring(8)] * 2,
                                                                        start=10)))
    assert message.startswith("2 territoire(s) de plus en feraient 5 : au plus 4 en tout")
    # Updating the ones that exist (same codes) adds nothing: always allowed.
    assert territories.import_territories(collection(*[ring(9)] * 3)) == \
        {"created": 0, "updated": 3}
    assert db.scalar(select(func.count()).select_from(Territory)) == 3


def _stored_before_the_limit(db, points):
    """An outline written as it could be before the limit existed (not through the import)."""
    wkt = "MULTIPOLYGON(((" + ",".join(f"{x} {y}" for x, y in ring(points)) + ")))"
    return db.execute(text(
        "INSERT INTO territories (id, name, area, created_at) VALUES (gen_random_uuid(), "
        "'Ancien', ST_GeomFromText(:wkt, 4326), now()) RETURNING id"), {"wkt": wkt}).scalar()


def test_the_booklet_of_an_outline_past_the_limit_uses_its_bounding_box(db, limits):
    territory_id = _stored_before_the_limit(db, 400)
    inside = make_resource(lat=49.5, lon=0.1101)
    make_resource(lat=49.46, lon=0.20)  # far away
    booklet = booklets.neighbourhood_booklet(territory_id)
    assert [e.name for e in booklet.entries] == [inside.name]
    assert len(booklet.outline) == 5  # the box, closed
    assert "trop détaillé" in booklet.subtitle
    # Under the limit, the outline itself is drawn, simplified below a pixel.
    detailed = _stored_before_the_limit(db, 40)
    drawn = booklets.neighbourhood_booklet(detailed)
    assert 5 < len(drawn.outline) <= 41 and "trop détaillé" not in drawn.subtitle


def test_maps_draw_outlines_past_the_limit_as_their_box(db, limits):
    territory_id = _stored_before_the_limit(db, 400)
    ((name, geometry),) = territories.map_outlines([territory_id])
    assert name == "Ancien" and geometry["type"] == "Polygon"
    assert len(geometry["coordinates"][0]) == 5


def test_api_bodies_past_the_limit_are_refused_before_being_read(client_as, app):
    coordinator = client_as("coordinator")
    body = json.dumps({"name": "x" * (app.config["API_MAX_BODY_KB"] * 1024)})
    response = coordinator.post("/api/v1/structures", data=body,
                                content_type="application/json", headers=api_headers())
    assert response.status_code == 413
    assert response.json["error"] == {"code": "too_large",
                                      "message": "Le contenu envoyé est trop volumineux."}


def test_exports_are_streamed_piece_by_piece(db, app, tmp_path):
    from bienveilleurs.services import exports
    from bienveilleurs.services.csv_safe import csv_chunks
    for n in range(3):
        make_resource(name=f"Ressource {n}")
    for fmt in ("csv", "geojson", "data-inclusion"):
        chunks, _, _ = exports.export(fmt)
        assert not isinstance(chunks, (str, list, tuple)), fmt  # produced as it is written
        text = "".join(chunks)
        if fmt == "csv":
            assert text.count("\r\n") == 4
        else:
            document = json.loads(text)
            names = ([f["properties"]["name"] for f in document["features"]]
                     if fmt == "geojson" else [s["nom"] for s in document])
            assert sorted(names) == [f"Ressource {n}" for n in range(3)]
    pieces = list(csv_chunks(["a"], ([n] for n in range(5)), rows_per_chunk=2))
    assert len(pieces) == 3 and "".join(pieces).count("\r\n") == 6
    out = tmp_path / "ressources.geojson"
    result = app.test_cli_runner().invoke(args=["resources", "export", "--format", "geojson",
                                                "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["features"]) == 3


def test_pages_over_more_territories_than_the_limit_answer_at_once(db, client_as, app,
                                                                   monkeypatch):
    for _ in range(3):
        _stored_before_the_limit(db, 10)
    monkeypatch.setitem(app.config, "TERRITORIES_MAX", 2)
    response = client_as("coordinator").get("/couverture/")
    assert response.status_code == 422
    assert "3 territoires : la couverture n'est calculée que jusqu'à 2" in \
        html.unescape(response.get_data(as_text=True))
    page = html.unescape(client_as("admin").get("/admin/territoires").get_data(as_text=True))
    assert "3 territoires : au-delà de 2 (réglage TERRITORIES_MAX), la couverture ne se " \
        "calcule plus" in page
