"""In headless Chromium: an admin draws a territory's outline on the map (issue 8)."""

import pytest
from sqlalchemy import func, select

from bienveilleurs.extensions import db as _db
from bienveilleurs.models import AuditEntry, Territory

from .conftest import browser_login
from .factories import make_territory, make_user

pytestmark = pytest.mark.browser


def test_admin_draws_a_triangle_by_clicking_three_points_and_saves(app, phone, committed):
    make_user(role="admin", email="admin@test.bienveilleurs.fr")
    territory = make_territory(name="Quartier dessiné")
    territory_id = territory.id
    committed.commit()
    page = phone
    page.set_viewport_size({"width": 1024, "height": 800})
    browser_login(page, "admin@test.bienveilleurs.fr")
    page.goto(f"/admin/territoires/{territory_id}")
    save = page.get_by_role("button", name="Enregistrer le contour dessiné")
    save.wait_for()
    assert save.is_disabled()
    box = page.locator("#territory-map [data-map]").bounding_box()
    clicks = [(0.3, 0.3), (0.7, 0.35), (0.5, 0.75)]
    for fx, fy in clicks + [(0.9, 0.9)]:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert "4 points" in page.locator("#draw-status").inner_text()
    page.get_by_role("button", name="Annuler le dernier point").click()
    assert "3 points" in page.locator("#draw-status").inner_text() and save.is_enabled()
    # The centre of the three clicks, in longitude/latitude, as the map itself converts pixels.
    cx = sum(fx for fx, _ in clicks) / 3 * box["width"]
    cy = sum(fy for _, fy in clicks) / 3 * box["height"]
    inside = page.evaluate("([x, y]) => {"
                           " var m = document.querySelector('#territory-map [data-map]').bvMap.map;"
                           " var p = m.containerPointToLatLng([x, y]); return [p.lng, p.lat]; }",
                           [cx, cy])
    page.screenshot(path="/tmp/territory-draw.png")
    save.click()
    page.wait_for_load_state()
    assert "Contour remplacé" in page.locator(".flashes").inner_text()
    assert page.console_errors == []
    with app.app_context():
        point = func.ST_SetSRID(func.ST_MakePoint(*inside), 4326)
        row = _db.session.execute(select(func.ST_Contains(Territory.area, point),
                                         func.ST_NPoints(Territory.area))
                                  .where(Territory.id == territory_id)).one()
        assert row == (True, 4)  # a triangle (closed ring of 4 positions) around the clicks' centre
        assert _db.session.scalar(select(AuditEntry.summary)
                                  .where(AuditEntry.target_id == str(territory_id)))
        _db.session.remove()
    # "Nouveau territoire" is drawn the same way.
    page.goto("/admin/territoires/nouveau")
    page.get_by_label("Nom").fill("Nouveau quartier")
    page.get_by_role("button", name="Effacer").wait_for()
    box = page.locator("#territory-map [data-map]").bounding_box()
    for fx, fy in [(0.1, 0.1), (0.25, 0.1), (0.2, 0.25)]:
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    assert "3 points" in page.locator("#draw-status").inner_text()
    page.screenshot(path="/tmp/territory-new.png")
    page.get_by_role("button", name="Créer le territoire").click()
    page.wait_for_load_state()
    assert "Territoire créé" in page.locator(".flashes").inner_text()
    with app.app_context():
        assert _db.session.scalar(select(func.ST_NPoints(Territory.area))
                                  .where(Territory.name == "Nouveau quartier")) == 4
        _db.session.remove()
    assert page.console_errors == []
