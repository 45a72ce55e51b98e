"""Issue 8: the outline drawn on the map (static/js/territory-draw.js) is posted as a GeoJSON Polygon."""

import html
import json
import re

from sqlalchemy import func, select

from bienveilleurs.models import AuditEntry, Territory

from .factories import make_territory


def csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def contains(db, territory_id, lon, lat):
    return db.scalar(select(func.ST_Contains(Territory.area, func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)))
                     .where(Territory.id == territory_id))


def test_a_drawn_polygon_replaces_the_outline_and_bad_drawings_are_refused(client_as, db):
    territory = make_territory(name="Sanvic")
    client = client_as("admin")
    url = f"/admin/territoires/{territory.id}"
    page = client.get(url).get_data(as_text=True)
    assert "territory-draw.js" in page and 'name="drawn"' in page
    token = csrf(page)
    triangle = {"type": "Polygon", "coordinates": [[[0.20, 49.50], [0.22, 49.50], [0.21, 49.52], [0.20, 49.50]]]}
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
