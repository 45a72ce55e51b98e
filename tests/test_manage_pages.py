"""Management pages: directory (resources, structures), relays network, a relay's own profile."""

import html
import re
import uuid

import pytest
from sqlalchemy import func, select

from bienveilleurs.models import Relay, Resource, Structure

from .factories import make_relay, make_resource, make_structure, make_user

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'type="hidden" name="csrf_token" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')


def csrf_from(client, path):
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = CSRF.search(page.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return next(g for g in match.groups() if g)


def submit(client, path, data, *, page=None):
    token = csrf_from(client, page or path)
    return client.post(path, data={"csrf_token": token, **data})


def text_of(response):
    """The page's text with HTML entities decoded (the apostrophes of French messages)."""
    return html.unescape(response.get_data(as_text=True))


def count(db, model):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


PAGES = ["/gestion/", "/gestion/ressources/nouvelle", "/gestion/structures",
         "/gestion/structures/nouvelle", "/reseau/bienveilleurs", "/reseau/bienveilleurs/nouveau"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role,status", [("admin", 200), ("coordinator", 200), ("relay", 403),
                                         ("social_worker", 403)])
def test_who_may_open_the_management_pages(client_as, db, path, role, status):
    assert client_as(role).get(path).status_code == status


@pytest.mark.parametrize("path", PAGES + ["/mes-disponibilites/"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", ["admin", "coordinator", "social_worker"])
def test_profile_page_is_for_relays_only(client_as, db, role):
    assert client_as(role).get("/mes-disponibilites/").status_code == 403


def test_navigation_points_to_the_new_pages(client_as, db):
    page = text_of(client_as("coordinator").get("/"))
    assert 'href="/gestion/"' in page and 'href="/reseau/bienveilleurs"' in page
    assert 'href="/mes-disponibilites/"' in text_of(client_as("relay").get("/"))


# --- resources --------------------------------------------------------------------------------

def test_resource_list_search_and_inactive_filter(client_as, db):
    make_resource(name="Épicerie solidaire (test)")
    make_resource(name="Atelier numérique (test)")
    make_resource(name="Ancien atelier (test)", active=False)
    client = client_as("coordinator")
    page = text_of(client.get("/gestion/"))
    assert "Épicerie solidaire (test)" in page and "Atelier numérique (test)" in page
    assert "Ancien atelier (test)" not in page
    page = text_of(client.get("/gestion/", query_string={"q": "atelier"}))
    assert "Atelier numérique (test)" in page and "Épicerie" not in page
    page = text_of(client.get("/gestion/", query_string={"q": "atelier", "inactive": "y"}))
    assert "Ancien atelier (test)" in page and "Atelier numérique (test)" not in page


RESOURCE_FORM = {"name": "Permanence d'accès aux droits (test)", "structure_id": "",
                 "structure_name": "", "description": "Sans rendez-vous.",
                 "categories": ["difficultes-administratives-ou-juridiques"
                                "--accompagnement-aux-demarches-administratives"],
                 "audiences": ["familles"], "address": "Place de l'Hôtel de Ville",
                 "postal_code": "76600", "city": "Le Havre", "lat": "49,4944", "lon": "0.1079",
                 "phone": "02 35 00 00 00", "email": "droits@exemple.fr", "website": "",
                 "opening_hours": "Mo-Fr 09:00-12:00", "languages": "fr, ar", "accessible": "true",
                 "capacity": "", "saturation": "available"}


def test_create_resource_through_the_form(client_as, db):
    client = client_as("coordinator")
    response = submit(client, "/gestion/ressources/nouvelle", RESOURCE_FORM)
    assert response.status_code == 303, text_of(response)[:2000]
    db.expire_all()
    resource = db.scalar(select(Resource).where(Resource.name == RESOURCE_FORM["name"]))
    assert resource.categories == RESOURCE_FORM["categories"]
    assert resource.audiences == ["familles"] and resource.languages == ["fr", "ar"]
    assert resource.accessible is True and resource.saturation == "available"
    assert resource.structure.name == RESOURCE_FORM["name"]
    assert "Ressource créée." in text_of(client.get(response.headers["Location"]))


def test_resource_form_shows_every_error_and_writes_nothing(client_as, db):
    client = client_as("admin")
    before = count(db, Resource), count(db, Structure)
    response = submit(client, "/gestion/ressources/nouvelle",
                      {**RESOURCE_FORM, "lat": "0.1079", "lon": "49.4944", "categories": [],
                       "email": "pas-une-adresse", "opening_hours": "en semaine"},
                      page="/gestion/ressources/nouvelle")
    assert response.status_code == 422
    page = text_of(response)
    assert "Le formulaire contient des erreurs" in page
    assert "inversées" in page and "au moins une catégorie" in page.lower()
    assert "adresse e-mail n'est pas valide" in page and "OpenStreetMap" in page
    assert 'aria-invalid="true"' in page
    # What was typed is kept.
    assert 'value="pas-une-adresse"' in page
    assert (count(db, Resource), count(db, Structure)) == before


def test_resource_form_without_csrf_is_refused(client_as, db):
    client = client_as("admin")
    before = count(db, Resource)
    response = client.post("/gestion/ressources/nouvelle", data=RESOURCE_FORM)
    assert response.status_code == 400 and "formulaire a expiré" in text_of(response)
    assert count(db, Resource) == before


def test_locate_button_with_the_geocoder_down_says_so_and_saves_nothing(app, client_as, db,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", "http://127.0.0.1:9/search")
    client = client_as("admin")
    before = count(db, Resource)
    response = submit(client, "/gestion/ressources/nouvelle",
                      {**RESOURCE_FORM, "lat": "", "lon": "", "locate": "1"})
    assert response.status_code == 200
    assert "adresse non localisée" in text_of(response).lower()
    assert count(db, Resource) == before


def test_saving_with_an_unlocatable_address_keeps_the_resource_without_a_point(
        app, client_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "GEOCODER_URL", "http://127.0.0.1:9/search")
    client = client_as("admin")
    response = submit(client, "/gestion/ressources/nouvelle",
                      {**RESOURCE_FORM, "lat": "", "lon": ""})
    assert response.status_code == 303
    db.expire_all()
    resource = db.scalar(select(Resource).where(Resource.name == RESOURCE_FORM["name"]))
    assert resource.point is None
    assert "adresse non localisée" in text_of(client.get(response.headers["Location"]))


class FakeGeocoder:
    def geocode(self, query):
        from geo.geocoding import GeocodeResult
        return GeocodeResult(lon=0.1200, lat=49.5000,
                             label="Place de l'Hôtel de Ville 76600 Le Havre", score=0.95)


def test_locate_button_fills_the_coordinates(client_as, db, monkeypatch):
    monkeypatch.setattr("bienveilleurs.web.pages.make_geocoder", lambda url: FakeGeocoder())
    response = submit(client_as("admin"), "/gestion/ressources/nouvelle",
                      {**RESOURCE_FORM, "lat": "", "lon": "", "locate": "1"})
    page = text_of(response)
    assert "Adresse localisée" in page
    assert 'value="49.500000"' in page and 'value="0.120000"' in page


def test_edit_deactivate_and_reactivate_a_resource(client_as, db):
    structure = make_structure(name="Centre social (test)")
    resource = make_resource(name="Halte-garderie (test)", structure=structure,
                             categories=["famille--garde-denfants"], opening_hours="Mo 09:00-12:00")
    client = client_as("coordinator")
    path = f"/gestion/ressources/{resource.id}"
    page = text_of(client.get(path))
    assert 'value="Halte-garderie (test)"' in page and 'value="49.494400"' in page
    assert 'id="cat-famille--garde-denfants" checked' in page
    form = {**RESOURCE_FORM, "name": "Halte-garderie du centre (test)",
            "structure_id": str(structure.id), "categories": ["famille"], "lat": "49.4944",
            "lon": "0.1079"}
    response = submit(client, path, form)
    assert response.status_code == 303
    db.expire_all()
    edited = db.get(Resource, resource.id)
    assert edited.name == "Halte-garderie du centre (test)" and edited.categories == ["famille"]
    assert edited.structure_id == structure.id

    response = submit(client, f"{path}/desactiver", {}, page=path)
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Resource, resource.id).active is False
    assert "désactivée" in text_of(client.get(response.headers["Location"]))
    assert submit(client, f"{path}/reactiver", {}, page=path).status_code == 303
    db.expire_all()
    assert db.get(Resource, resource.id).active is True


def test_unknown_resource_is_404(client_as, db):
    client = client_as("admin")
    assert client.get(f"/gestion/ressources/{uuid.uuid4()}").status_code == 404
    assert client.get("/gestion/ressources/nimporte-quoi").status_code == 404


# --- structures -------------------------------------------------------------------------------

def test_create_and_edit_a_structure(client_as, db):
    client = client_as("admin")
    response = submit(client, "/gestion/structures/nouvelle",
                      {"name": "Maison de quartier (test)", "siret": "", "address": "", "lat": "",
                       "lon": "", "phone": "", "email": "", "website": "maison.exemple.fr"})
    assert response.status_code == 303
    db.expire_all()
    structure = db.scalar(select(Structure).where(Structure.name == "Maison de quartier (test)"))
    assert structure.website == "https://maison.exemple.fr"
    assert "Maison de quartier (test)" in text_of(client.get("/gestion/structures"))
    path = f"/gestion/structures/{structure.id}"
    bad = submit(client, path,
                 {"name": "Maison de quartier (test)", "siret": "12", "lat": "", "lon": ""})
    assert bad.status_code == 422 and "14 chiffres" in text_of(bad)
    good = submit(client, path, {"name": "Maison de quartier Sud (test)", "siret": "",
                                 "lat": "49.48", "lon": "0.13"})
    assert good.status_code == 303
    db.expire_all()
    assert db.get(Structure, structure.id).name == "Maison de quartier Sud (test)"


# --- relays -----------------------------------------------------------------------------------

def relay_form(**overrides):
    form = {"display_name": "Fatou (test)", "email": "", "address": "", "lat": "49.50",
            "lon": "0.12", "radius_m": "1200", "capacity": "2", "languages": "fr, wo",
            "skills": "écoute, démarches", "mode": "weekly", "availability": ""}
    form.update(overrides)
    return form


def test_register_a_relay_with_the_weekly_editor(client_as, db):
    account = make_user(role="relay", email="fatou@test.bienveilleurs.fr")
    client = client_as("coordinator")
    response = submit(client, "/reseau/bienveilleurs/nouveau", relay_form(
        email="fatou@test.bienveilleurs.fr",
        day_Mo="y", from1_Mo="17:00", to1_Mo="20:00",
        day_Tu="y", from1_Tu="17:00", to1_Tu="20:00",
        day_Sa="y", from1_Sa="10:00", to1_Sa="12:00", from2_Sa="14:00", to2_Sa="16:00"))
    assert response.status_code == 303, text_of(response)[:3000]
    db.expire_all()
    relay = db.scalar(select(Relay).where(Relay.display_name == "Fatou (test)"))
    assert relay.user_id == account.id and relay.radius_m == 1200 and relay.capacity == 2
    assert relay.availability == "Mo-Tu 17:00-20:00; Sa 10:00-12:00,14:00-16:00"
    assert relay.languages == ["fr", "wo"] and relay.skills == ["écoute", "démarches"]
    listing = text_of(client.get("/reseau/bienveilleurs"))
    assert "Fatou (test)" in listing and "0 / 2" in listing
    # The editor reads the stored expression back.
    page = text_of(client.get(f"/reseau/bienveilleurs/{relay.id}"))
    assert 'id="day_Tu" name="day_Tu" type="checkbox" value="y"' in page \
        or 'id="day_Tu" checked' in page \
        or re.search(r'<input[^>]*checked[^>]*id="day_Tu"|<input[^>]*id="day_Tu"[^>]*checked', page)
    assert re.search(r'id="from2_Sa"[^>]*value="14:00"|value="14:00"[^>]*id="from2_Sa"', page)


def test_relay_form_errors(app, client_as, db):
    client = client_as("coordinator")
    before = count(db, Relay)
    maximum = app.config["RELAY_MAX_RADIUS_M"]
    response = submit(client, "/reseau/bienveilleurs/nouveau",
                      relay_form(radius_m=str(maximum + 1), capacity="-1",
                                 email="inconnu@exemple.fr"))
    assert response.status_code == 422
    page = text_of(response)
    assert f"ne peut pas dépasser {maximum} mètres" in page and "au moins 0" in page
    # (An unknown e-mail now gets an invitation: see tests/test_relays_admin.py.)
    other = make_user(role="coordinator")
    response = submit(client, "/reseau/bienveilleurs/nouveau", relay_form(email=other.email))
    assert response.status_code == 422 and "pas un compte de bienveilleur" in text_of(response)
    response = submit(client, "/reseau/bienveilleurs/nouveau",
                      relay_form(day_We="y", from1_We="20:00", to1_We="18:00"))
    assert response.status_code == 422
    assert "Mercredi : indiquez une heure de début" in text_of(response)
    response = submit(client, "/reseau/bienveilleurs/nouveau",
                      relay_form(mode="raw", availability="tous les soirs"))
    assert response.status_code == 422 and "OpenStreetMap" in text_of(response)
    assert count(db, Relay) == before


def test_pause_and_resume_a_relay_from_the_list(client_as, db):
    relay = make_relay(display_name="Paul (test)")
    client = client_as("admin")
    response = submit(client, f"/reseau/bienveilleurs/{relay.id}/pause", {"back": "list"},
                      page="/reseau/bienveilleurs")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/reseau/bienveilleurs")
    db.expire_all()
    assert db.get(Relay, relay.id).status == "paused"
    assert "En pause" in text_of(client.get("/reseau/bienveilleurs",
                                            query_string={"statut": "paused"}))
    assert submit(client, f"/reseau/bienveilleurs/{relay.id}/reprise", {},
                  page=f"/reseau/bienveilleurs/{relay.id}").status_code == 303
    db.expire_all()
    assert db.get(Relay, relay.id).status == "active"


def test_edit_relay_changes_radius_and_unlinks_the_account(client_as, db):
    account = make_user(role="relay")
    relay = make_relay(user=account, radius_m=800, availability="Mo-Fr 18:00-20:00")
    client = client_as("coordinator")
    path = f"/reseau/bienveilleurs/{relay.id}"
    page = text_of(client.get(path))
    assert account.email in page and 'value="800"' in page
    response = submit(client, path, relay_form(display_name=relay.display_name, radius_m="1500",
                                               mode="raw", availability="Mo-Fr 18:00-20:00"))
    assert response.status_code == 303
    db.expire_all()
    changed = db.get(Relay, relay.id)
    assert changed.radius_m == 1500 and changed.user_id is None
    assert changed.availability == "Mo-Fr 18:00-20:00"


# --- a relay's own profile --------------------------------------------------------------------

def test_relay_edits_own_availability_and_radius(app, client_as, db):
    account = make_user(role="relay")
    relay = make_relay(user=account, radius_m=500, availability="We 14:00-18:00")
    other = make_relay(radius_m=700)
    client = client_as(account)
    page = text_of(client.get("/mes-disponibilites/"))
    assert "Mercredi, de 14 h à 18 h" in page and 'value="500"' in page
    response = submit(client, "/mes-disponibilites/", {
        "radius_m": "900", "mode": "weekly", "availability": "We 14:00-18:00",
        "day_Mo": "y", "from1_Mo": "18:00", "to1_Mo": "21:00", "day_Su": "y"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Relay, relay.id).radius_m == 900
    assert db.get(Relay, relay.id).availability == "Mo 18:00-21:00; Su 00:00-24:00"
    assert db.get(Relay, other.id).radius_m == 700
    assert "Vos disponibilités sont enregistrées." in text_of(client.get("/mes-disponibilites/"))

    maximum = app.config["RELAY_MAX_RADIUS_M"]
    response = submit(client, "/mes-disponibilites/", {"radius_m": str(maximum + 1), "mode": "raw",
                                                      "availability": "Mo 18:00-21:00"})
    assert response.status_code == 422 and f"{maximum} mètres" in text_of(response)
    response = submit(client, "/mes-disponibilites/", {"radius_m": "900", "mode": "raw",
                                                      "availability": "le lundi soir"})
    assert response.status_code == 422 and "OpenStreetMap" in text_of(response)
    db.expire_all()
    assert db.get(Relay, relay.id).availability == "Mo 18:00-21:00; Su 00:00-24:00"


def test_relay_without_a_record_is_told_so(client_as, db):
    page = text_of(client_as("relay").get("/mes-disponibilites/"))
    assert "pas encore rattaché" in page and "<form method=\"post\" class=\"stack" not in page


def test_pages_fit_a_phone_and_have_no_inline_script_or_style(client_as, db):
    relay_account = make_user(role="relay")
    make_relay(user=relay_account)
    pages = [client_as("coordinator").get(p) for p in PAGES] + \
        [client_as(relay_account).get("/mes-disponibilites/")]
    for response in pages:
        page = text_of(response)
        assert response.status_code == 200
        assert " style=" not in page
        inline_script = r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>"
        assert not re.search(inline_script, page), page[:500]
        assert '<meta name="viewport"' in page
