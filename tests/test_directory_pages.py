"""Directory pages: resources near an address or a point, resource detail, Leaflet files."""

import html
import json
import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bienveilleurs import clock
from bienveilleurs.services import matching
from geo.distance import haversine_m

from .factories import make_resource, make_structure
from .geocoder_stub import ban_stub, geocoder_url

CENTRE = (49.4944, 0.1079)  # lat, lon: Le Havre, hôtel de ville
ITEM = re.compile(
    r'<li>\s*<span class="marker-number" aria-hidden="true">(\d+)</span>\s*'
    r'<a href="/ressources/([0-9a-f-]+)"><strong>(.*?)</strong></a>.*?'
    r'<span class="distance">(.*?)</span>(.*?)</li>', re.S)


def results_of(response):
    """Return [(number, id, name, distance text, rest of the item)] of the results list."""
    return [(int(n), rid, html.unescape(name), html.unescape(dist), rest)
            for n, rid, name, dist, rest in ITEM.findall(response.get_data(as_text=True))]


def json_block(response, block_id):
    match = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>',
                      response.get_data(as_text=True), re.S)
    assert match, f"no JSON block {block_id}"
    return json.loads(match.group(1))


def status_text(response):
    match = re.search(r'<p role="status" class="results-count">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return " ".join(html.unescape(match.group(1)).split()) if match else None


def field_error(response, field):
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return html.unescape(match.group(1)) if match else None


def metres(text):
    """Read back "350 m à vol d'oiseau" or "1,2 km à vol d'oiseau" (no street network)."""
    value, unit, *how = text.replace("\u00a0", " ").split()
    assert " ".join(how) == "à vol d'oiseau"
    return float(value.replace(",", ".")) * (1000 if unit == "km" else 1)


def search(client, **params):
    params.setdefault("lat", str(CENTRE[0]))
    params.setdefault("lon", str(CENTRE[1]))
    return client.get("/ressources", query_string=params)


PLACES = {"mental": (0.1079, 49.4950), "care": (0.1200, 49.4944), "childcare": (0.1079, 49.4900),
          "far": (0.1500, 49.5200)}


@pytest.fixture
def places(db):
    """Resources at known distances from CENTRE, in two categories, one inactive."""
    ccas = make_structure(name="CCAS test")
    return {
        "mental": make_resource(name="Écoute psy", lat=49.4950, lon=0.1079, structure=ccas,
                                categories=["sante--sante-mentale"], phone="02 35 00 00 01",
                                address="1 place de l'Hôtel de Ville"),
        "care": make_resource(name="Soins sans rendez-vous", lat=49.4944, lon=0.1200,
                              categories=["sante--acces-aux-soins"], accessible=True,
                              languages=["fr", "ar"], audiences=["familles"]),
        "childcare": make_resource(name="Crèche", lat=49.4900, lon=0.1079,
                                   categories=["famille--garde-denfants"]),
        "far": make_resource(name="Addictologie", lat=49.5200, lon=0.1500,
                             categories=["sante--addictions"],
                             opening_hours="Mo-Fr 09:00-17:00"),
        "inactive": make_resource(name="Ancien service", lat=49.4945, lon=0.1079, active=False,
                                  categories=["sante--sante-mentale"]),
    }


# --- Leaflet -----------------------------------------------------------------------------

@pytest.mark.parametrize("filename,content_type", [
    ("leaflet.js", "javascript"), ("leaflet.css", "text/css"), ("images/layers.png", "image/png")])
def test_leaflet_is_served_from_the_package_with_long_cache(client, filename, content_type):
    response = client.get(f"/vendor/leaflet/{filename}?v=1")
    assert response.status_code == 200
    assert content_type in response.content_type
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_leaflet_route_stays_inside_the_package(client):
    assert client.get("/vendor/leaflet/../__init__.py").status_code == 404
    assert client.get("/vendor/leaflet/nothing.js").status_code == 404


def test_leaflet_keeps_its_cache_headers_for_signed_in_users(client_as):
    client = client_as("social_worker")
    client.get("/ressources")  # a page load with the session
    response = client.get("/vendor/leaflet/leaflet.js")
    assert response.headers["Cache-Control"].startswith("public")
    assert "no-store" not in response.headers["Cache-Control"]


def test_search_page_uses_the_packaged_leaflet_no_cdn_no_inline_code(client_as):
    page = client_as("relay").get("/ressources")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert re.search(r'<script src="/vendor/leaflet/leaflet.js\?v=[0-9.]+" defer>', text)
    assert '<link rel="stylesheet" href="/vendor/leaflet/leaflet.css?v=' in text
    assert re.search(r'<script src="/static/js/map.js\?v=[0-9a-f]{12}" defer>', text)
    for cdn in ("unpkg", "cdnjs", "jsdelivr", "cdn.", "//"):
        assert not re.search(rf'(src|href)="[^"]*{re.escape(cdn)}',
                             text.replace("http://localhost", "")), cdn
    assert " style=" not in text
    # Every script is either a file of ours or a JSON data block.
    for tag in re.findall(r"<script[^>]*>", text):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    # No tiles in tests: the map is still there, with picking wired to the fields.
    assert 'data-tile-url=""' in text
    assert 'data-pick-lat="lat" data-pick-lon="lon" data-pick-clear="address"' in text


# --- search --------------------------------------------------------------------------------

def test_search_needs_an_account(client):
    response = client.get("/ressources?lat=49.49&lon=0.1")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", ["relay", "coordinator", "social_worker", "admin"])
def test_every_role_finds_resources_sorted_by_distance(client_as, places, role):
    response = search(client_as(role), limit="20")
    assert response.status_code == 200
    rows = results_of(response)
    ids = [rid for _, rid, *_ in rows]
    expected = [r["id"] for r in matching.match_resources(
        matching.MatchQuery(lat=CENTRE[0], lon=CENTRE[1], limit=20))]
    assert ids == expected
    assert str(places["inactive"].id) not in ids
    assert {str(places[k].id) for k in ("mental", "care", "childcare", "far")} <= set(ids)
    assert [n for n, *_ in rows] == list(range(1, len(rows) + 1))
    # The distances shown are true metres, nearest first.
    shown = [metres(dist) for _, _, _, dist, _ in rows]
    assert shown == sorted(shown)
    where = {str(places[key].id): (lon, lat) for key, (lon, lat) in PLACES.items()}
    for _, rid, _, dist, _ in rows:
        if rid in where:
            true = haversine_m(CENTRE[1], CENTRE[0], *where[rid])
            tolerance = 1 if true < 1000 else 50  # "67 m" to the metre, "1,2 km" to 100 m
            assert abs(metres(dist) - true) <= tolerance, (dist, true)
    assert status_text(response) == (f"{len(rows)} ressources trouvées, de la plus proche à "
                                     "la plus éloignée (à vol d'oiseau), les complètes en "
                                     "dernier.")


def test_list_items_carry_structure_categories_address_phone(client_as, places):
    rows = results_of(search(client_as("social_worker"), categories="sante--sante-mentale"))
    assert [name for _, _, name, _, _ in rows] == ["Écoute psy"]
    _, _, _, dist, rest = rows[0]
    assert dist == "67 m à vol d'oiseau"
    assert "CCAS test" in rest and "Santé mentale" in rest
    assert "1 place de l&#39;Hôtel de Ville" in rest
    assert '<a href="tel:0235000001">02 35 00 00 01</a>' in rest


def test_top_level_category_covers_its_sub_codes(client_as, places):
    client = client_as("social_worker")
    names = {name for _, _, name, _, _ in results_of(search(client, categories="sante"))}
    assert names == {"Écoute psy", "Soins sans rendez-vous", "Addictologie"}
    names = {name for _, _, name, _, _ in results_of(search(client, categories="famille"))}
    assert names == {"Crèche"}


def test_filters_change_the_answer(client_as, places):
    client = client_as("social_worker")

    def names(**params):
        return {name for _, _, name, _, _ in results_of(search(client, **params))}

    everything = names()
    assert names(accessible="y") == {"Soins sans rendez-vous"} != everything
    assert names(languages="ar") == {"Soins sans rendez-vous"}
    # The audience filter leaves out what is for other audiences only; a resource that names
    # no audience is for everyone.
    assert names(audiences="familles") == everything
    assert names(audiences="seniors") == everything - {"Soins sans rendez-vous"}
    assert len(results_of(search(client, limit="5"))) <= 5
    # Sessions follow the frozen clock too: sign in at the frozen time.
    tuesday_10h = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with clock.frozen(tuesday_10h):
        response = search(client_as(client.user), open_now="y")
    assert {name for _, _, name, _, _ in results_of(response)} == {"Addictologie"}
    assert ('<span class="why">ouvert maintenant · <span class="distance">'
            in response.get_data(as_text=True))
    sunday = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with clock.frozen(sunday):
        response = search(client_as(client.user), open_now="y")
    assert results_of(response) == []
    assert "Aucune ressource" in status_text(response)


def test_map_features_match_the_list(client_as, places):
    response = search(client_as("social_worker"), categories="sante")
    rows = results_of(response)
    collection = json_block(response, "search-results")
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == len(rows) == 3
    for (number, rid, name, _, _), feature in zip(rows, collection["features"], strict=True):
        props = feature["properties"]
        assert props["kind"] == "resource" and props["label"] == number and props["name"] == name
        assert props["url"] == f"/ressources/{rid}"
    first = collection["features"][0]["geometry"]["coordinates"]
    assert first == pytest.approx([0.1079, 49.4950])


def test_names_cannot_break_out_of_the_page(client_as, db):
    make_resource(name="</script><script>alert(1)</script>", lat=49.4946, lon=0.1079)
    response = search(client_as("relay"))
    text = response.get_data(as_text=True)
    assert "<script>alert(1)" not in text
    assert json_block(response, "search-results")["features"][0]["properties"]["name"] == \
        "</script><script>alert(1)</script>"


def test_empty_form_shows_the_map_and_no_results(client_as):
    response = client_as("social_worker").get("/ressources")
    assert response.status_code == 200
    assert status_text(response) == ""
    assert json_block(response, "search-results") == {"type": "FeatureCollection", "features": []}
    assert "Indiquez une adresse ou un point" in response.get_data(as_text=True)


@pytest.mark.parametrize("params,field,message", [
    ({"lat": "abc"}, "lat", "latitude"),
    ({"lat": "NaN"}, "lat", "latitude"),
    ({"lat": "91"}, "lat", "latitude"),
    ({"lat": "48.85", "lon": "2.35"}, "lat", "en dehors du territoire"),
    ({"lat": "0.1079", "lon": "49.4944"}, "lat", "inversées"),
    ({"lon": ""}, "lon", "longitude"),
    ({"categories": "sante--inconnue"}, "categories", "Catégorie inconnue"),
    ({"audiences": "martiens"}, "audiences", "Public inconnu"),
    ({"languages": "arabe"}, "languages", "Langue inconnue"),
    ({"limit": "80"}, "limit", "entre 1 et 50"),
    ({"limit": "dix"}, "limit", "nombre entier"),
])
def test_bad_input_is_explained_next_to_the_field(client_as, places, params, field, message):
    response = search(client_as("social_worker"), **params)
    assert response.status_code == 422
    error = field_error(response, field)
    assert error and message.lower() in error.lower()
    text = response.get_data(as_text=True)
    assert 'class="error-summary" role="alert"' in text
    assert (f'aria-describedby="{field}-error"' in text
            or f'aria-describedby="{field}-hint {field}-error"' in text)
    assert results_of(response) == []


def test_filters_without_a_place_ask_for_one(client_as):
    response = client_as("social_worker").get("/ressources?categories=sante")
    assert response.status_code == 422
    assert "Indiquez une adresse" in field_error(response, "address")


# --- addresses -----------------------------------------------------------------------------

def test_an_address_is_located_and_searched_around(app, client_as, places):
    client = client_as("social_worker")
    located = {"crèche": (0.1079, 49.4899, "2 Rue de la Crèche 76600 Le Havre")}
    with ban_stub(located) as (url, queries), geocoder_url(app, url):
        response = client.get("/ressources", query_string={"address": "2 rue de la crèche",
                                                           "lat": "", "lon": "", "limit": "2"})
    assert response.status_code == 200
    assert queries == ["2 rue de la crèche"]
    rows = results_of(response)
    assert [name for _, _, name, _, _ in rows][0] == "Crèche"
    assert rows[0][3] == "11 m à vol d'oiseau"
    text = response.get_data(as_text=True)
    assert "Adresse trouvée : 2 Rue de la Crèche 76600 Le Havre." in text
    # The point found fills the coordinates, so the map shows it and it can be adjusted.
    assert 'value="49.489900"' in text and 'value="0.107900"' in text


def test_address_wins_over_stale_coordinates(app, client_as, places):
    located = {"crèche": (0.1079, 49.4899, "Rue de la Crèche")}
    with ban_stub(located) as (url, _), geocoder_url(app, url):
        response = search(client_as("social_worker"), address="rue de la crèche", limit="1")
    assert [name for _, _, name, _, _ in results_of(response)] == ["Crèche"]


def test_unknown_address_without_coordinates_is_a_field_error(app, client_as, places):
    with ban_stub({}) as (url, _), geocoder_url(app, url):
        response = client_as("social_worker").get("/ressources?address=nulle+part&lat=&lon=")
    assert response.status_code == 422
    assert "introuvable" in field_error(response, "address")
    assert "latitude et la longitude" in field_error(response, "address")


def test_geocoder_down_keeps_the_coordinates_usable(app, client_as, places):
    client = client_as("social_worker")
    with geocoder_url(app, "http://127.0.0.1:9/search/"):  # nothing listens on the discard port
        response = client.get("/ressources?address=1+rue+de+Paris&lat=&lon=")
        assert response.status_code == 422
        assert "ne répond pas" in field_error(response, "address")
        response = search(client, address="1 rue de Paris")
    assert response.status_code == 200
    assert results_of(response)
    text = response.get_data(as_text=True)
    assert "ne répond pas" in text
    assert "La recherche utilise la latitude et la longitude indiquées." in text


def test_without_a_geocoder_the_page_says_so(client_as, places):
    response = client_as("social_worker").get("/ressources?address=1+rue+de+Paris&lat=&lon=")
    assert response.status_code == 422
    assert "aucun service de géocodage" in field_error(response, "address")
    text = response.get_data(as_text=True)
    assert "La recherche d&#39;adresse n&#39;est pas disponible ici" in text


# --- detail --------------------------------------------------------------------------------

def test_resource_detail_shows_every_field_in_french(client_as, db):
    structure = make_structure(name="Maison des familles", phone="02 35 11 22 33",
                               email="contact@familles.test", website="https://familles.test")
    resource = make_resource(
        name="Soutien aux parents", structure=structure, lat=49.4950, lon=0.1079,
        categories=["famille--soutien-a-la-parentalite-et-a-leducation"], audiences=["familles"],
        description="Groupes de parole\net ateliers.", address="3 rue des Lilas",
        postal_code="76600", city="Le Havre", phone="02 35 44 55 66", email="parents@familles.test",
        website="javascript:alert(1)", opening_hours="Tu 09:00-12:00", languages=["fr", "ar"],
        accessible=True, capacity=12, saturation="limited", source="data-inclusion",
        source_id="abc-1")
    tuesday_10h = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    with clock.frozen(tuesday_10h):
        response = client_as("social_worker").get(f"/ressources/{resource.id}")
    assert response.status_code == 200
    text = html.unescape(response.get_data(as_text=True))
    for expected in ("Soutien aux parents", "Maison des familles", "Soutien à la parentalité",
                     "Familles", "Mardi, de 9 h à 12 h", "Tu 09:00-12:00", "Ouvert maintenant",
                     "3 rue des Lilas, 76600 Le Havre", '<a href="tel:0235445566">',
                     "mailto:parents@familles.test", "français, arabe", "Places limitées",
                     "capacité d'accueil : 12", "data-inclusion (identifiant abc-1)",
                     '<a href="https://familles.test"', "Groupes de parole\net ateliers."):
        assert expected in text, expected
    # A website that is not http(s) is shown as text, never as a link.
    assert 'href="javascript:' not in text
    features = json_block(response, "resource-point")["features"]
    assert len(features) == 1
    assert features[0]["geometry"]["coordinates"] == pytest.approx([0.1079, 49.4950])
    assert "Ressource désactivée" not in text


def test_resource_without_point_has_no_map(client_as, db):
    resource = make_resource(lat=None, name="Sans adresse")
    response = client_as("relay").get(f"/ressources/{resource.id}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Non localisée sur la carte" in text
    assert "data-map" not in text and "leaflet.js" not in text


def test_unknown_resource_is_404(client_as, db):
    client = client_as("social_worker")
    assert client.get(f"/ressources/{uuid.uuid4()}").status_code == 404
    assert client.get("/ressources/pas-un-identifiant").status_code == 404


@pytest.mark.parametrize("role,status", [("relay", 404), ("social_worker", 404),
                                         ("coordinator", 200), ("admin", 200)])
def test_inactive_resource_only_for_those_who_manage_the_directory(client_as, db, role, status):
    resource = make_resource(name="Fermé définitivement", active=False)
    response = client_as(role).get(f"/ressources/{resource.id}")
    assert response.status_code == status
    if status == 200:
        assert "Ressource désactivée" in response.get_data(as_text=True)
