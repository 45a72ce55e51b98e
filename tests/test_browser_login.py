"""Each demo account logs in and out in headless Chromium on a phone viewport."""

import pytest

from bienveilleurs.services import demo

from .conftest import browser_login, open_menu

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_data(app, committed):
    with app.app_context():
        demo.load()


@pytest.mark.parametrize("email,role,password,totp_secret", demo.present_accounts())
def test_demo_account_logs_in_and_out(phone, demo_data, email, role, password, totp_secret):
    # Admins and coordinators give the code of their second factor (printed by
    # `flask demo accounts`).
    browser_login(phone, email, password, totp_secret=totp_secret)
    assert phone.get_by_role("heading", level=1).inner_text().startswith("Bonjour")
    open_menu(phone)
    assert phone.get_by_role("navigation", name="Navigation principale").is_visible()
    # Usable at phone width: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_url("**/connexion")
    assert "déconnecté" in phone.locator(".flashes").inner_text()
    assert phone.console_errors == []


def test_wrong_password_in_the_browser(phone, demo_data):
    browser_login(phone, "relais@demo.bienveilleurs.fr", "pas le bon mot de passe")
    alert = phone.get_by_role("alert")
    assert "incorrect" in alert.inner_text()
    assert phone.url.endswith("/connexion")
