"""Issue 8: the outline drawn on the map (static/js/territory-draw.js) is posted as a GeoJSON
Polygon."""

import html
import json
import re

from sqlalchemy import func, select

from bienveilleurs.models import AuditEntry, Territory

from .factories import make_territory


def csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def contains(db, territory_id, lon, lat):
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    return db.scalar(select(func.ST_Contains(Territory.area, point))
                     .where(Territory.id == territory_id))


def test_a_drawn_polygon_replaces_the_outline_and_bad_drawings_are_refused(client_as, db):
    territory = make_territory(name="Sanvic")
    client = client_as("admin")
    url = f"/admin/territoires/{territory.id}"
    page = client.get(url).get_data(as_text=True)
    assert "territory-draw.js" in page and 'name="drawn"' in page
    token = csrf(page)
    triangle = {"type": "Polygon",
                "coordinates": [[[0.20, 49.50], [0.22, 49.50], [0.21, 49.52], [0.20, 49.50]]]}
    two_points = {"type": "Polygon", "coordinates": [[[0.20, 49.50], [0.22, 49.50], [0.20, 49.50]]]}
    for body in ({}, {"drawn": json.dumps(two_points)}, {"drawn": "pas du json"}):
        refused = client.post(url + "/contour", data={"csrf_token": token, **body})
        text = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 422 and "Le formulaire contient des erreurs" in text
        db.expire_all()
        assert contains(db, territory.id, 0.11, 49.495)  # the old outline is untouched
    assert "dessinez le contour sur la carte" in html.unescape(
        client.post(url + "/contour", data={"csrf_token": token}).get_data(as_text=True))
    saved = client.post(url + "/contour", data={"csrf_token": token, "drawn": json.dumps(triangle)})
    assert saved.status_code == 303
    db.expire_all()
    assert contains(db, territory.id, 0.21, 49.505) and not contains(db, territory.id, 0.11, 49.495)
    assert db.scalar(select(AuditEntry.summary).where(AuditEntry.target_id == str(territory.id))) \
        == "Contour du territoire « Sanvic » remplacé"


def test_a_new_territory_is_created_from_a_drawing(client_as, db):
    make_territory(name="Existant", code="EX")
    client = client_as("admin")
    url = "/admin/territoires/nouveau"
    page = client.get(url).get_data(as_text=True)
    assert "territory-draw.js" in page and "Créer le territoire" in page
    assert url in client.get("/admin/territoires").get_data(as_text=True)
    token = csrf(page)
    triangle = json.dumps({"type": "Polygon",
                           "coordinates": [[[0.30, 49.50], [0.32, 49.50], [0.31, 49.52],
                                            [0.30, 49.50]]]})
    cases = [({"name": "", "drawn": triangle}, 422, "Indiquez le nom du territoire"),
             ({"name": "Nouveau"}, 422, "Dessinez le contour sur la carte"),
             ({"name": "Nouveau", "drawn": '{"type": "Polygon", "coordinates": []}'}, 422,
              "erreurs"),
             ({"name": "Nouveau", "code": "EX", "drawn": triangle}, 409,
              "Le code EX est déjà pris")]
    for body, status, message in cases:
        response = client.post(url, data={"csrf_token": token, **body})
        assert response.status_code == status
        assert message in html.unescape(response.get_data(as_text=True))
    assert db.scalar(select(func.count()).select_from(Territory)) == 1  # nothing written
    created = client.post(url, data={"csrf_token": token, "name": " Caucriauville ", "code": "CAU",
                                     "drawn": triangle})
    assert created.status_code == 303
    db.expire_all()
    row = db.scalar(select(Territory).where(Territory.code == "CAU"))
    assert row.name == "Caucriauville"
    assert created.headers["Location"].endswith(f"/admin/territoires/{row.id}")
    assert contains(db, row.id, 0.31, 49.505) and not contains(db, row.id, 0.35, 49.505)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "territory.created"))
    assert entry.target_id == str(row.id) and entry.actor_id == client.user.id
