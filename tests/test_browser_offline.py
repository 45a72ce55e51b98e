"""The relay's phone without the network, in headless Chromium (390x844).

A relay with one assigned person goes offline, logs three contacts and reports a new person:
everything waits in the outbox (IndexedDB) with a client UUID, survives a reload (the pages
come from the service worker), and is sent once the network is back: exactly three contacts
and one new referral on the server, the counter at zero ("Envoyé"). Variants: the first
replay gets a 500 (retried later, still one row each); the session expired while offline
(the outbox asks to log in, then sends). And the weight of the relay pages.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Contact, Referral, User
from bienveilleurs.services import referrals as service

from .conftest import browser_login, open_menu
from .factories import TEST_PASSWORD, make_relay, make_user

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


def wait_sent(page):
    """Wait until the counter says everything went ("Envoyé", nothing pending)."""
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-outbox-status]');"
        " return s && s.dataset.pending === '0' && s.textContent === 'Envoyé'; }", timeout=WAIT_MS)


def wait_offline_ready(page):
    """Wait until the service worker controls the page and holds the offline copies."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        # Installed while this page was loading: the next page opened is controlled.
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=WAIT_MS)
    page.wait_for_function("async () => !!(await BvOutbox.getMeta('people'))", timeout=WAIT_MS,
                           polling=200)


def log_contact_offline(page, note):
    page.get_by_label("Visite").check()
    page.get_by_label("Oui").check()
    page.get_by_label("Note courte").fill(note)
    page.get_by_role("button", name="Enregistrer le contact").click()
    page.wait_for_function(
        "() => !document.querySelector('[data-outbox=contact] [name=note]').value",
                           timeout=WAIT_MS)


def report_offline(page, name):
    page.get_by_label("Prénom", exact=True).fill(name)
    page.get_by_label("Besoin principal").select_option(CATEGORY)
    page.get_by_role("textbox", name="Latitude").fill(str(LAT + 0.002))
    page.get_by_role("textbox", name="Longitude").fill(str(LON))
    page.get_by_label("La personne a été informée").check()
    page.get_by_role("button", name="Enregistrer le signalement").click()


def log_in_then_go_offline(page, world):
    """Log the relay in, let the phone keep its offline copy, then cut the network."""
    browser_login(page, world["relay"])
    page.goto("/mes-personnes")
    wait_offline_ready(page)
    page.context.set_offline(True)


def go_offline_and_write(page, world):
    """Offline: three contacts about Mireille and one new person, kept across a reload."""
    log_in_then_go_offline(page, world)

    page.get_by_role("link", name="Noter un contact avec Mireille").click()
    expect(page.locator("h1")).to_contain_text("avec Mireille")
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


def record_api_posts(page):
    """Return the list of API POST URLs sent from now on, by the pages or the service worker."""
    posts = []

    def record(route):
        if route.request.method == "POST":
            posts.append(route.request.url)
        route.continue_()

    page.context.route("**/api/v1/**", record)
    return posts


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
    wait_sent(phone)
    contacts, reported, notes = server_rows(relay_world)
    assert contacts == 3
    assert notes == ["Passage numéro 1", "Passage numéro 2", "Passage numéro 3"]
    assert len(reported) == 1 and reported[0].resident.first_name == "Gaston"
    assert phone.console_errors == [], phone.console_errors


def test_a_lost_answer_is_retried_and_still_makes_one_row_each(phone, relay_world):
    go_offline_and_write(phone, relay_world)
    calls = []

    def first_answer_lost(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            # The server records the first contact, but the phone sees a 500.
            recorded = route.fetch()
            assert recorded.status == 201
            route.fulfill(status=500,
                          json={"error": {"code": "server_error", "message": "Erreur."}})
        else:
            route.continue_()

    phone.context.route(re.compile(r".*/api/v1/referrals(/[0-9a-f-]+/contacts)?$"),
                        first_answer_lost)
    phone.context.set_offline(False)
    wait_sent(phone)
    # The first contact went twice (the replay got 200), the others once, in creation order.
    assert len(calls) == 5 and calls[0] == calls[1] and calls[-1].endswith("/api/v1/referrals")
    contacts, reported, notes = server_rows(relay_world)
    assert contacts == 3 and len(notes) == 3 and len(reported) == 1
    assert all("status of 500" in error for error in phone.console_errors), phone.console_errors


def test_a_session_expired_offline_asks_to_log_in_then_sends(phone, relay_world):
    go_offline_and_write(phone, relay_world)
    # Meanwhile the session ended (as after a logout elsewhere or a password change).
    db.session.execute(update(User).where(User.id == relay_world["relay_user_id"])
                       .values(session_version=User.session_version + 1))
    db.session.commit()

    phone.context.set_offline(False)
    login_link = phone.get_by_role("link", name="Reconnectez-vous")
    login_link.wait_for(timeout=WAIT_MS)
    assert "4 en attente d'envoi" in counter(phone).inner_text()
    assert server_rows(relay_world)[:2] == (0, [])

    login_link.click()
    phone.wait_for_url("**/connexion?next=*")
    phone.get_by_label("Adresse e-mail").fill(relay_world["relay"])
    phone.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    phone.get_by_role("button", name="Se connecter").click()
    phone.wait_for_url("**/signaler")
    wait_sent(phone)
    contacts, reported, notes = server_rows(relay_world)
    assert contacts == 3 and len(notes) == 3 and len(reported) == 1


def test_a_person_reported_offline_gets_the_contact_after_the_report(phone, relay_world):
    log_in_then_go_offline(phone, relay_world)
    phone.goto("/signaler")
    report_offline(phone, "Gaston")
    wait_pending(phone, 1)

    # "Mes personnes" without the network: the minimal copy, and the person just reported.
    phone.goto("/mes-personnes")
    expect(phone.locator("[data-offline-people]")).to_contain_text("Mireille")
    phone.get_by_role("link", name="Noter un contact avec Gaston").click()
    expect(phone.locator("h1")).to_contain_text("avec Gaston")
    assert phone.locator("[data-offline-assign]").is_visible()
    log_contact_offline(phone, "Premier café avec Gaston")
    wait_pending(phone, 3)  # the report, taking the person on, the contact

    phone.context.set_offline(False)
    wait_sent(phone)
    db.session.rollback()
    gaston = db.session.scalars(select(Referral).where(
        Referral.reporter_id == relay_world["relay_user_id"])).one()
    assert gaston.status == "contacted" and gaston.relay.user_id == relay_world["relay_user_id"]
    assert [c.note for c in gaston.contacts] == ["Premier café avec Gaston"]


def test_logging_out_warns_about_unsent_items_then_forgets_everything(phone, relay_world):
    log_in_then_go_offline(phone, relay_world)
    phone.goto("/signaler")
    report_offline(phone, "Gaston")
    wait_pending(phone, 1)
    # Back online, but the server does not answer yet: the report stays on the phone.
    phone.context.route("**/api/v1/**", lambda route: route.abort())
    phone.context.set_offline(False)
    phone.reload()
    wait_pending(phone, 1)

    dialogs = []
    phone.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_menu(phone)
    phone.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_timeout(300)
    assert "1 envoi(s) n'ont pas encore été faits" in dialogs[0]
    assert "/signaler" in phone.url  # still signed in, nothing lost
    wait_pending(phone, 1)

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_url("**/connexion")
    kept = phone.evaluate("""async () => ({
        caches: await caches.keys(),
        databases: (await indexedDB.databases()).map(d => d.name),
        workers: (await navigator.serviceWorker.getRegistrations()).length})""")
    assert kept == {"caches": [], "databases": [], "workers": 0}
    db.session.rollback()
    assert db.session.scalars(select(Referral).where(
        Referral.reporter_id == relay_world["relay_user_id"])).all() == []


# --- weight -------------------------------------------------------------------------------

WEIGHT_LIMIT = 150 * 1024


def test_relay_pages_weigh_under_150_kb_of_javascript_and_css(browser, live_server, relay_world):
    """Sum the script and stylesheet responses each relay page loads (Leaflet excluded)."""
    from .conftest import PHONE
    from .factories import make_resource
    make_resource(categories=(CATEGORY,), lat=LAT + 0.002)  # the orient page shows its map
    db.session.commit()
    referral = relay_world["referral_id"]
    service.log_contact(db.session.get(User, relay_world["relay_user_id"]), referral, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
        "reached": True})
    context = browser.new_context(base_url=live_server.url, service_workers="block", **PHONE)
    context.route("**/*", lambda route: route.continue_())  # routing turns the HTTP cache off
    page = context.new_page()
    try:
        browser_login(page, relay_world["relay"])
        pages = ["/", "/mes-personnes", "/signaler", f"/orientations/{referral}",
                 f"/orientations/{referral}/contact", f"/orientations/{referral}/orienter",
                 "/hors-ligne", "/hors-ligne/mes-personnes", "/hors-ligne/contact",
                 "/hors-ligne/signaler"]
        weights = {}
        for path in pages:
            loaded = []

            def collect(response, loaded=loaded):
                loaded.append(response)
            page.on("response", collect)
            page.goto(path)
            page.wait_for_load_state("networkidle")
            page.remove_listener("response", collect)
            assert page.url.endswith(path), page.url
            assets = [r for r in loaded if r.request.resource_type in ("script", "stylesheet")
                      and "/vendor/leaflet/" not in r.url]
            assert all(r.status == 200 for r in assets), [(r.url, r.status) for r in assets]
            assert any("/outbox.js" in r.url for r in assets), path  # with its ?v=
            weights[path] = sum(len(r.body()) for r in assets)
        print("relay pages, JavaScript + CSS in bytes (Leaflet excluded):", weights)
        assert max(weights.values()) < WEIGHT_LIMIT, weights
        assert min(weights.values()) > 10 * 1024  # the measure itself works
    finally:
        context.close()


def test_what_retrying_cannot_fix_is_shown_to_correct_and_not_retried(phone, relay_world):
    log_in_then_go_offline(phone, relay_world)
    phone.get_by_role("link", name="Noter un contact avec Mireille").click()
    log_contact_offline(phone, "Passage du soir")
    phone.goto("/signaler")
    report_offline(phone, "Gaston")
    wait_pending(phone, 2)

    # Meanwhile Mireille opposed: her data is erased, a late contact gets 410.
    from bienveilleurs.services import privacy
    coordinator = db.session.scalars(select(User).where(User.role == "coordinator")).one()
    resident_id = db.session.get(Referral, relay_world["referral_id"]).resident_id
    privacy.oppose(coordinator, resident_id)
    posts = record_api_posts(phone)
    phone.context.set_offline(False)
    wait_pending(phone, 0)
    item = phone.locator(".outbox-error")
    expect(item).to_contain_text("À corriger")
    expect(item).to_contain_text("effacées à sa demande")
    assert "1 à corriger" in counter(phone).inner_text()
    phone.wait_for_timeout(3000)  # longer than the first retry delay: nothing is sent again
    assert sum("/contacts" in url for url in posts) == 1
    contacts, reported, _ = server_rows(relay_world)
    assert contacts == 0 and len(reported) == 1  # the report behind it went anyway

    phone.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Supprimer").click()
    expect(phone.locator(".outbox-error")).to_have_count(0)


def test_a_shared_phone_never_sends_one_accounts_items_as_another(phone, relay_world):
    other = make_user(role="relay", display_name="Béa Bienveilleuse")
    make_relay(user=other, lat=LAT - 0.001, radius_m=2000)
    db.session.commit()
    log_in_then_go_offline(phone, relay_world)
    phone.get_by_role("link", name="Noter un contact avec Mireille").click()
    log_contact_offline(phone, "Note de Rémi")
    wait_pending(phone, 1)
    # Rémi's session ends; Béa signs in on the same phone.
    db.session.execute(update(User).where(User.id == relay_world["relay_user_id"])
                       .values(session_version=User.session_version + 1))
    db.session.commit()
    phone.context.set_offline(False)
    posts = record_api_posts(phone)
    browser_login(phone, other.email)
    phone.goto("/mes-personnes")
    expect(counter(phone)).to_have_text("1 d'un autre compte")
    phone.get_by_role("link", name="Signaler une personne").first.click()
    phone.wait_for_timeout(1500)
    assert posts == [] and server_rows(relay_world)[0] == 0
