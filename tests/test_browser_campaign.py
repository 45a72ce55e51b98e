"""A heatwave campaign on the relay's phone (headless Chromium, 390x844), network or not.

The relay opens « Mes personnes »: the campaign's block is at the top, one card per person
with a tap-to-call link and the three big buttons. The network goes; the relay records three
calls; they wait in the outbox (the counter says so); the network comes back; the three
calls reach the server once each, and the coordinator's board shows them.
"""

import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import CampaignCall, CampaignCheck
from bienveilleurs.services import campaigns, paging
from bienveilleurs.services import referrals as referrals_service

from .campaign_helpers import launch_body
from .conftest import browser_login
from .factories import make_relay, make_territory, make_user

pytestmark = pytest.mark.browser

WAIT_MS = 20000
LON, LAT = 0.1079, 49.4944
NAMES = ("Agathe", "Basile", "Capucine")


def _heatwave(names, *, step):
    """A territory, its coordinator, a relay, the people of `names` registered `step`
    degrees apart, and the campaign launched: (coordinator, relay's account, campaign id)."""
    territory = make_territory(name="Centre", code="CENTRE",
                               polygon=[(0.10, 49.49), (0.12, 49.49), (0.12, 49.50),
                                        (0.10, 49.50)])
    coordinator = make_user(role="coordinator", territories=[territory])
    relay_user = make_user(role="relay", display_name="Rémi Relais")
    make_relay(user=relay_user, lon=LON, lat=LAT, radius_m=2000)
    db.session.commit()
    for n, name in enumerate(names):
        referral, _ = referrals_service.report(coordinator, {
            "resident": {"first_name": name, "lon": LON + step * n, "lat": LAT,
                         "phone": f"06 00 00 00 {n:02d}"},
            "category": "sante--sante-mentale", "consent": True})
        campaigns.add_to_register(coordinator, referral.resident_id, {"consent": True})
    return coordinator, relay_user, campaigns.launch(coordinator, launch_body()).campaign.id


@pytest.fixture
def heatwave(committed):
    coordinator, relay_user, campaign_id = _heatwave(NAMES, step=0.001)
    return {"relay": relay_user.email, "coordinator": coordinator.email,
            "campaign_id": campaign_id}


def test_a_relay_records_three_calls_offline_and_the_board_shows_them(phone, heatwave):
    page = phone
    browser_login(page, heatwave["relay"])
    page.goto("/mes-personnes")
    block = page.locator(".campaign-block")
    expect(block.get_by_role("heading", level=2)).to_contain_text(
        "Veille canicule : 3 personnes à joindre avant")
    cards = block.locator(".check-card")
    expect(cards).to_have_count(3)
    expect(cards.first.get_by_role("link", name="Appeler")).to_have_attribute(
        "href", "tel:0600000000")
    big = cards.first.get_by_role("button", name="Joint, va bien")
    assert big.bounding_box()["height"] >= 48  # a big button, easy to hit
    page.wait_for_function("() => !!window.BvOutboxRun && !!window.bvCampaignStarted", timeout=5000)

    page.context.set_offline(True)
    for name, outcome in zip(NAMES, ("Joint, va bien", "A besoin d'aide", "Pas de réponse"),
                             strict=True):
        card = cards.filter(has_text=name)
        card.get_by_role("button", name=outcome).click()
        expect(card.locator("[data-call-state]")).to_contain_text("gardé sur le téléphone")
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-outbox-status]');"
        " return s && s.dataset.pending === '3'; }", timeout=WAIT_MS)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CampaignCall)) == 0

    page.context.set_offline(False)
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-outbox-status]');"
        " return s && s.dataset.pending === '0'; }", timeout=WAIT_MS)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CampaignCall)) == 3
    statuses = {c.resident.name: c.status for c in db.session.scalars(select(CampaignCheck))}
    assert statuses == {"Agathe": "ok", "Basile": "needs_help", "Capucine": "not_reached"}
    # The cards say the calls were sent; two people settled, one still to reach.
    for name in NAMES:
        expect(cards.filter(has_text=name).locator("[data-call-state]")).to_contain_text("envoyé.")
    expect(block.get_by_role("heading", level=2)).to_contain_text("1 personne à joindre avant")
    assert page.console_errors == []

    # The coordinator's board, on another phone: needing help first, then the counts.
    board = page.context.browser.new_context(base_url=page.url.split("/mes-personnes")[0],
                                             viewport={"width": 390, "height": 844})
    coordinator = board.new_page()
    browser_login(coordinator, heatwave["coordinator"])
    coordinator.goto(f"/coordination/veilles/{heatwave['campaign_id']}")
    rows = coordinator.locator("li.check")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Basile")
    expect(rows.first).to_contain_text("A besoin d'aide")
    total = coordinator.locator("tr.total")
    expect(total.locator("[data-status=ok]")).to_have_text("1")
    expect(total.locator("[data-status=needs_help]")).to_have_text("1")
    expect(total.locator("[data-status=not_reached]")).to_have_text("1")
    expect(rows.first.get_by_role("button", name="Ouvrir une orientation")).to_be_visible()
    board.close()


@pytest.fixture
def crowded_heatwave(committed):
    """More people than a page of the board."""
    names = [f"Personne {n:02d}" for n in range(paging.PAGE_SIZE + 3)]
    coordinator, _, campaign_id = _heatwave(names, step=0.0001)
    return coordinator, campaign_id


def test_the_board_of_a_city_goes_page_by_page_on_a_phone(phone, crowded_heatwave):
    coordinator, campaign_id = crowded_heatwave
    first_check = db.session.scalars(select(CampaignCheck.id).where(
        CampaignCheck.campaign_id == campaign_id).order_by(CampaignCheck.id)).first()
    campaigns.record_call(coordinator, campaign_id, first_check, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
        "outcome": "needs_help"})
    browser_login(phone, coordinator.email)
    phone.goto(f"/coordination/veilles/{campaign_id}")
    rows = phone.locator("li.check")
    expect(rows).to_have_count(paging.PAGE_SIZE)
    expect(rows.first).to_have_attribute("data-check-status", "needs_help")
    total = phone.locator("tr.total")
    expect(total.locator("td").last).to_have_text(str(paging.PAGE_SIZE + 3))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("link", name="Personnes suivantes").click()
    phone.wait_for_url("**/veilles/*?statut=*")
    expect(rows).to_have_count(3)
    expect(total.locator("td").last).to_have_text(str(paging.PAGE_SIZE + 3))
    assert phone.get_by_role("link", name="Personnes suivantes").count() == 0
    phone.get_by_role("link", name="Revenir au début").click()
    expect(rows).to_have_count(paging.PAGE_SIZE)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
