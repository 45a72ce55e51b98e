"""The relay's phone without the network, in headless Chromium (390x844).

A relay with one assigned person goes offline, logs three contacts and reports a new person:
everything waits in the outbox (IndexedDB) with a client UUID, survives a reload (the pages
come from the service worker), and is sent once the network is back: exactly three contacts
and one new referral on the server, the counter at zero ("Envoyé"). Variants: the first
replay gets a 500 (retried later, still one row each); the session expired while offline
(the outbox asks to log in, then sends). And the weight of the relay pages.
"""

import re

import pytest
from sqlalchemy import func, select, update

from bienveilleurs.extensions import db
from bienveilleurs.models import Contact, Referral, User
from bienveilleurs.services import referrals as service

from .conftest import browser_login
from .factories import make_relay, make_user

pytestmark = pytest.mark.browser

LAT, LON = 49.4944, 0.1079
CATEGORY = "sante--sante-mentale"
WAIT_MS = 20000


@pytest.fixture
def relay_world(committed):
    coordinator = make_user(role="coordinator")
    relay_user = make_user(role="relay", display_name="Rémi Relais")
    relay = make_relay(user=relay_user, lat=LAT + 0.001, radius_m=2000, capacity=5)
    db.session.commit()
    referral, _ = service.report(coordinator, {
        "resident": {"first_name": "Mireille", "lat": LAT, "lon": LON}, "category": CATEGORY,
        "note": "Vit seule.", "consent": True})
    service.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    return {"relay": relay_user.email, "relay_user_id": relay_user.id, "referral_id": referral.id}


def counter(page):
    return page.locator("[data-outbox-status]")


def wait_pending(page, n):
    page.wait_for_function(
        "n => { const s = document.querySelector('[data-outbox-status]');"
        " return s && s.dataset.pending === String(n); }", arg=n, timeout=WAIT_MS)


def wait_offline_ready(page):
    """Wait until the service worker controls the page and holds the offline copies."""
    page.wait_for_function("() => !!navigator.serviceWorker && navigator.serviceWorker.controller !== null",
                           timeout=WAIT_MS)
    page.wait_for_function("""async () => {
        const pages = await caches.open('bienveilleurs-pages');
        return !!(await pages.match('/signaler')) && !!(await BvOutbox.getMeta('people'));
    }""", timeout=WAIT_MS, polling=200)


def log_contact_offline(page, note):
    page.get_by_label("Visite").check()
    page.get_by_label("Oui").check()
    page.get_by_label("Note courte").fill(note)
    page.get_by_role("button", name="Enregistrer le contact").click()
    page.wait_for_function("() => !document.querySelector('[data-outbox=contact] [name=note]').value",
                           timeout=WAIT_MS)


def report_offline(page, name):
    page.get_by_label("Prénom", exact=True).fill(name)
    page.get_by_label("Besoin principal").select_option(CATEGORY)
    page.get_by_role("textbox", name="Latitude").fill(str(LAT + 0.002))
    page.get_by_role("textbox", name="Longitude").fill(str(LON))
    page.get_by_label("La personne a été informée").check()
    page.get_by_role("button", name="Enregistrer le signalement").click()


def go_offline_and_write(page, world):
    """Offline: three contacts about Mireille and one new person; returns nothing, checks the counter."""
    browser_login(page, world["relay"])
    page.goto("/mes-personnes")
    wait_offline_ready(page)
    page.context.set_offline(True)

    page.get_by_role("link", name="Noter un contact avec Mireille").click()
    page.wait_for_load_state()
    assert "Mireille" in page.locator("h1").inner_text()
    for n in range(3):
        log_contact_offline(page, f"Passage numéro {n + 1}")
        wait_pending(page, n + 1)
    assert counter(page).inner_text() == "3 en attente d'envoi"

    page.goto("/signaler")
    report_offline(page, "Gaston")
    wait_pending(page, 4)
    assert "4 en attente d'envoi" in counter(page).inner_text()

    page.reload()
    wait_pending(page, 4)
    assert "4 en attente d'envoi" in counter(page).inner_text()


def server_rows(world):
    db.session.rollback()
    contacts = db.session.scalar(select(func.count()).select_from(Contact)
                                 .where(Contact.referral_id == world["referral_id"]))
    reported = db.session.scalars(select(Referral).where(
        Referral.reporter_id == world["relay_user_id"])).all()
    notes = sorted(db.session.scalars(select(Contact.note)
                                      .where(Contact.referral_id == world["referral_id"])))
    return contacts, reported, notes


def test_offline_contacts_and_report_are_sent_once_when_the_network_returns(phone, relay_world):
    go_offline_and_write(phone, relay_world)
    assert server_rows(relay_world)[:2] == (0, [])

    phone.context.set_offline(False)
    wait_pending(phone, 0)
    assert counter(phone).inner_text() == "Envoyé"
    contacts, reported, notes = server_rows(relay_world)
    assert contacts == 3 and notes == ["Passage numéro 1", "Passage numéro 2", "Passage numéro 3"]
    assert len(reported) == 1 and reported[0].resident.first_name == "Gaston"
    assert phone.console_errors == [], phone.console_errors
