"""The signed-in header on a phone: brand and one « Menu » button; on a wide screen, everything."""

import pytest

from .conftest import PHONE, browser_login
from .factories import make_relay, make_user

pytestmark = pytest.mark.browser

NAV_LINKS = ("Accueil", "Mes personnes", "Signaler une personne")


@pytest.fixture
def relay_email(app, committed):
    with app.app_context():
        account = make_user(role="relay", email="menu@test.bienveilleurs.fr")
        make_relay(user=account)
        committed.commit()
    return "menu@test.bienveilleurs.fr"


def header_height(page):
    return page.locator(".site-header").bounding_box()["height"]


def menu_is_open(page):
    return page.locator("[data-site-menu]").get_attribute("open") is not None


def focused_is_toggle(page):
    return page.evaluate("document.activeElement.matches('[data-site-menu] > summary')")


def test_phone_header_is_compact_and_the_menu_opens_and_closes(phone, relay_email):
    phone.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    browser_login(phone, relay_email)
    nav = phone.get_by_role("navigation", name="Navigation principale")
    toggle = phone.locator("[data-site-menu] > summary")
    logout = phone.get_by_role("button", name="Se déconnecter")

    # Closed: brand and « Menu » only, the page's content right below.
    toggle.wait_for(state="visible")
    assert toggle.inner_text().strip() == "Menu"
    assert header_height(phone) < 80
    assert not menu_is_open(phone)
    assert not nav.is_visible()
    assert not logout.is_visible()

    # Pressed: the navigation and the account block open below, current page still marked.
    toggle.click()
    assert menu_is_open(phone)
    for name in NAV_LINKS:
        assert nav.get_by_role("link", name=name, exact=True).is_visible()
    home = nav.get_by_role("link", name="Accueil", exact=True)
    assert home.get_attribute("aria-current") == "page"
    assert logout.is_visible()
    assert phone.get_by_role("link", name="Mot de passe", exact=True).is_visible()
    assert header_height(phone) > 150
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # « Menu » again closes it; focus stays on it.
    toggle.click()
    assert not menu_is_open(phone)
    assert not nav.is_visible()
    assert focused_is_toggle(phone)

    # With the keyboard: Enter opens, Tab into the menu, Escape closes and returns to « Menu ».
    toggle.focus()
    phone.keyboard.press("Enter")
    assert menu_is_open(phone)
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent.trim()") == "Accueil"
    phone.keyboard.press("Escape")
    assert not menu_is_open(phone)
    assert not nav.is_visible()
    assert focused_is_toggle(phone)
    assert header_height(phone) < 80

    # A wide screen shows everything and no « Menu ».
    phone.set_viewport_size({"width": 1280, "height": 800})
    assert not toggle.is_visible()
    assert nav.get_by_role("link", name="Mes personnes", exact=True).is_visible()
    assert logout.is_visible()
    assert phone.console_errors == []


def test_without_javascript_the_phone_menu_works_and_nothing_moves(browser, live_server,
                                                                     relay_email):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    try:
        page = context.new_page()
        browser_login(page, relay_email)
        assert page.get_by_role("heading", level=1).is_visible()
        nav = page.get_by_role("navigation", name="Navigation principale")
        assert header_height(page) < 80
        assert not nav.is_visible()
        page.locator("[data-site-menu] > summary").click()
        assert nav.get_by_role("link", name="Mes personnes", exact=True).is_visible()
        assert page.get_by_role("button", name="Se déconnecter").is_visible()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.reload()
        assert nav.get_by_role("link", name="Mes personnes", exact=True).is_visible()
        assert not page.locator("[data-site-menu] > summary").is_visible()
    finally:
        context.close()
