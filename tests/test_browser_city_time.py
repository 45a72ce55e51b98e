"""A contact logged from a phone whose clock is set to another time zone (UTC, Tokyo): the
time typed and shown is the city's, sent with the city's offset, and stored as the moment
it is; nothing falls back to posting the form behind the relay's back."""

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Contact
from bienveilleurs.services import referrals as service

from .conftest import PHONE, browser_login
from .factories import make_relay, make_user

pytestmark = pytest.mark.browser

LAT, LON = 49.4944, 0.1079


@pytest.fixture
def assigned(committed):
    coordinator = make_user(role="coordinator")
    relay_user = make_user(role="relay")
    relay = make_relay(user=relay_user, lat=LAT, radius_m=2000, capacity=5)
    db.session.commit()
    referral, _ = service.report(coordinator, {
        "resident": {"first_name": "Mireille", "lat": LAT, "lon": LON},
        "category": "sante--sante-mentale", "consent": True})
    service.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    return relay_user.email, referral.id


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_a_phone_in_another_zone_logs_the_contact_at_the_citys_time(browser, live_server,
                                                                    assigned, zone):
    email, referral_id = assigned
    context = browser.new_context(base_url=live_server.url, **{**PHONE, "timezone_id": zone})
    page = context.new_page()
    try:
        browser_login(page, email)
        page.goto(f"/orientations/{referral_id}/contact")
        # The field shows the city's time now, whatever the phone's zone.
        shown = page.input_value("#at")
        city_now = clock.local(clock.now())
        assert abs(city_now.replace(tzinfo=None) - datetime.fromisoformat(shown)) \
            < timedelta(minutes=2)
        # A contact yesterday at 18:30, city time.
        yesterday = (city_now - timedelta(days=1)).strftime("%Y-%m-%dT18:30")
        page.fill("#at", yesterday)
        page.get_by_label("Visite").check()
        page.get_by_label("Oui").check()
        posted = []
        page.on("request", lambda r: r.method == "POST" and posted.append((r.url, r.post_data)))
        page.get_by_role("button", name="Enregistrer le contact").click()
        expect(page.locator(".flashes")).to_contain_text("Contact noté")
    finally:
        context.close()
    offset = city_now.strftime("%z")
    api = [body for url, body in posted if url.endswith("/contacts")]
    assert len(api) == 1 and f'"at":"{yesterday}:00{offset[:3]}:{offset[3:]}"' in api[0]
    assert not [url for url, _ in posted if url.endswith("/contact")]  # no form fallback
    db.session.expire_all()
    stored = db.session.scalars(select(Contact.at)).one()
    assert clock.local(stored).strftime("%Y-%m-%dT%H:%M") == yesterday
