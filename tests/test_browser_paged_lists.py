"""« À attribuer » page by page in headless Chromium, on a phone (390x844): « suivantes »,
then a one-click assignment on the second page that comes back to that same page."""

import pytest

from bienveilleurs.extensions import db
from bienveilleurs.services import paging
from bienveilleurs.services import referrals as service

from .conftest import browser_login
from .factories import make_relay, make_user
from .referral_helpers import CATEGORY, LAT, LON

pytestmark = pytest.mark.browser


@pytest.fixture
def backlog(committed):
    coordinator = make_user(role="coordinator", display_name="Claire Coordination")
    make_relay(user=make_user(role="relay"), display_name="Rémi Relais", lat=LAT + 0.001,
               radius_m=3000, capacity=50)
    db.session.commit()
    for n in range(paging.PAGE_SIZE + 2):
        service.report(coordinator, {
            "resident": {"first_name": f"Personne {n:02d}", "lat": LAT, "lon": LON},
            "category": CATEGORY, "consent": True})
    return coordinator.email


def test_the_inbox_goes_page_by_page_and_an_assignment_stays_on_its_page(phone, backlog):
    browser_login(phone, backlog)
    phone.goto("/coordination/a-attribuer")
    cards = phone.locator("li.person-card")
    assert cards.count() == paging.PAGE_SIZE
    phone.get_by_role("link", name="Orientations suivantes").click()
    phone.wait_for_url("**/a-attribuer?depuis=*")
    second_page = phone.url
    assert cards.count() == 2
    assert phone.get_by_role("link", name="Revenir au début").is_visible()
    first_name = cards.first.locator("h3").inner_text()
    card = cards.first
    card.locator("details.confirm > summary", has_text="Attribuer").click()
    card.get_by_role("button", name="Oui, confier à Rémi Relais").click()
    phone.wait_for_load_state()
    assert phone.url == second_page
    assert "est attribué·e à Rémi Relais" in phone.locator(".flashes").inner_text()
    assert cards.count() == 1 and first_name not in phone.locator("ul.inbox").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
