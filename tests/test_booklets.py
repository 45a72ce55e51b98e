"""Livrets ressources and the "Près de chez vous" sheet: content, order by distance, real PDFs."""

import math
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.models import Territory
from bienveilleurs.services import booklets, demo

from .factories import make_resource, make_structure, make_territory


def offset(lon, lat, metres_east, metres_north):
    return (lon + metres_east / (111_320.0 * math.cos(math.radians(lat))),
            lat + metres_north / 110_574.0)


@pytest.fixture
def centre_neighbourhood(db):
    """The demo's "Centre reconstruit" with resources at known distances from its centre."""
    code, name, ring = next(n for n in demo.NEIGHBOURHOODS if n[0] == "DEMO-CENTRE")
    territory = make_territory(name=name, code=code, polygon=ring)
    lon, lat = db.execute(select(func.ST_X(func.ST_PointOnSurface(Territory.area)),
                                 func.ST_Y(func.ST_PointOnSurface(Territory.area)))
                          .where(Territory.id == territory.id)).one()
    structure = make_structure(name="CCAS du Havre (essai)")
    # Created out of order on purpose; (name, metres east, metres north, categories).
    placed = [("Épicerie « Le Panier » ; solidaire", -450, 0,
               ["equipement-et-alimentation--alimentation"]),
              ("Point écoute santé", 120, 60, ["sante--sante-mentale"]),
              ("Atelier numérique", 0, -260,
               ["numerique--maitriser-les-fondamentaux-du-numerique"]),
              ("Café des parents", 700, 150,
               ["famille--soutien-a-la-parentalite-et-a-leducation"])]
    for name, east, north, categories in placed:
        rlon, rlat = offset(lon, lat, east, north)
        make_resource(structure=structure, name=name, lon=rlon, lat=rlat, categories=categories,
                      phone="02 35 00 00 00", address="1 rue de l'Essai", postal_code="76600",
                      city="Le Havre", opening_hours="Mo-Fr 09:00-12:00; PH off",
                      description="Accueil sans rendez-vous.")
    far = offset(lon, lat, 6000, 4000)
    make_resource(structure=structure, name="Très loin", lon=far[0], lat=far[1],
                  categories=["sante"])
    make_resource(structure=structure, name="Fermée définitivement", lon=lon, lat=lat,
                  active=False)
    by_distance = sorted(placed, key=lambda p: math.hypot(p[1], p[2]))
    expected = [name for name, east, north, _ in by_distance]
    return territory, (lon, lat), expected


@pytest.fixture(autouse=True)
def _no_csrf(app, monkeypatch):
    # These tests post the forms directly; CSRF itself is tested with the login form.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)


def _require(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} est absent : `make test` installe poppler-utils.")


def _text(pdf_path):
    _require("pdftotext")
    return subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_neighbourhood_booklet_pdf_renders_and_lists_resources_by_distance(
        client_as, centre_neighbourhood, tmp_path):
    territory, _, expected = centre_neighbourhood
    response = client_as("coordinator").get(
        f"/livrets/quartier?territoire={territory.id}&format=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "livret.pdf"
    pdf.write_bytes(response.data)

    _require("pdftoppm")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(p.stat().st_size > 5000 for p in pages)

    text = _text(pdf)
    assert "Livret ressources — Centre reconstruit" in text
    positions = [text.find(name) for name in expected]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    assert "Très loin" not in text and "Fermée définitivement" not in text
    assert "Du lundi au vendredi, de 9 h à 12 h" in text and "02 35 00 00 00" in text
    assert "À 130 m au nord-est" in text  # 120 m east, 60 m north of the centre


def test_neighbourhood_booklet_page_filters_categories(client_as, centre_neighbourhood):
    territory, _, _ = centre_neighbourhood
    response = client_as("relay").get(
        f"/livrets/quartier?territoire={territory.id}&categories=sante")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Point écoute santé" in html and "Atelier numérique" not in html
    assert "<svg" in html and 'role="img"' in html
    assert "format=pdf" in html  # the PDF link of the same booklet


def test_near_you_sheet_is_posted_and_fits_one_page(client_as, centre_neighbourhood, tmp_path):
    _, (lon, lat), _ = centre_neighbourhood
    client = client_as("relay")
    form = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "categories": ["sante", "numerique"]}
    page = client.post("/livrets/pres-de-chez-vous", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.index("Point écoute santé") < html.index("Atelier numérique")
    assert "Épicerie" not in html and "Vous êtes ici" in html
    pdf = client.post("/livrets/pres-de-chez-vous", data={**form, "format": "pdf"})
    assert pdf.mimetype == "application/pdf"
    path = tmp_path / "fiche.pdf"
    path.write_bytes(pdf.data)
    _require("pdfinfo")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "Près de chez vous" in _text(path)


def test_near_you_needs_a_place_and_a_need(client_as, db):
    client = client_as("social_worker")
    response = client.post("/livrets/pres-de-chez-vous", data={"lat": "", "lon": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choisissez au moins un besoin." in html
    assert "Indiquez une adresse, ou la latitude et la longitude." in html
    outside = client.post("/livrets/pres-de-chez-vous",
                          data={"lat": "48.85", "lon": "2.35", "categories": "sante"})
    assert outside.status_code == 422 and "territoire desservi" in outside.get_data(as_text=True)


def test_point_booklet_and_radius_bounds(client_as, centre_neighbourhood):
    _, (lon, lat), expected = centre_neighbourhood
    client = client_as("coordinator")
    ok = client.post("/livrets/point", data={"lat": str(lat), "lon": str(lon), "radius_m": "500"})
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200
    assert [n for n in expected if n.replace("«", "&#171;") in html or n in html] == expected[:3]
    assert "Café des parents" not in html  # 716 m away
    too_big = client.post("/livrets/point",
                          data={"lat": str(lat), "lon": str(lon), "radius_m": "50000"})
    assert too_big.status_code == 422


def test_unknown_neighbourhood_is_404(client_as, db):
    response = client_as("coordinator").get(
        "/livrets/quartier?territoire=00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


@pytest.mark.parametrize("role, status", [("admin", 403), ("coordinator", 200), ("relay", 200),
                                          ("social_worker", 200)])
def test_roles(client_as, role, status):
    assert client_as(role).get("/livrets/").status_code == status
    assert client_as(role).get("/livrets/pres-de-chez-vous").status_code == status


# --- printing: the address once, one marker per place, a file name (issue 17) ---------------

def test_a_booklet_prints_each_address_once_and_groups_markers_that_share_a_place(
        client_as, centre_neighbourhood):
    territory, (lon, lat), _ = centre_neighbourhood
    structure = make_structure(name="Maison des services")
    # Four services in one building (an address that already says its town, as imports do).
    for n in range(4):
        make_resource(structure=structure, name=f"Guichet {n}", lon=lon, lat=lat,
                      categories=["sante"], address="8 place de l'Hôtel de Ville, 76600 Le Havre",
                      postal_code="76600", city="Le Havre")
    html = client_as("relay").get(f"/livrets/quartier?territoire={territory.id}") \
        .get_data(as_text=True)
    assert html.count("8 place de l&#39;Hôtel de Ville, 76600 Le Havre</dd>") == 4
    assert "76600 Le Havre, 76600 Le Havre" not in html
    assert "1 rue de l&#39;Essai, 76600 Le Havre</dd>" in html  # parts joined when apart
    svg = html[html.index("<svg"):html.index("</svg>")]
    labels = re.findall(r'font-weight="bold">([^<]+)</text>', svg)
    assert "1–4" in labels  # the four, nearest of all, on one marker
    assert not {"1", "2", "3", "4"} & set(labels)
    numbers = [n for label in labels if label[0].isdigit() for n in re.split("[–, ]+", label)]
    assert len(numbers) == len(set(numbers))


def test_the_pdf_has_a_file_name_saying_what_and_when(client_as, centre_neighbourhood):
    territory, _, _ = centre_neighbourhood
    response = client_as("coordinator").get(
        f"/livrets/quartier?territoire={territory.id}&format=pdf")
    disposition = response.headers["Content-Disposition"]
    day = clock.local(clock.now()).date().isoformat()
    assert disposition == f"inline; filename=livret-ressources-centre-reconstruit-{day}.pdf"


@pytest.mark.parametrize("numbers, text", [([1, 2, 3, 4], "1–4"), ([1, 3], "1, 3"),
                                           ([1, 2], "1, 2"), ([2, 3, 4, 7], "2–4, 7"),
                                           ([5], "5")])
def test_number_ranges(numbers, text):
    assert booklets.number_ranges(numbers) == text
