"""One referral from report to closure in headless Chromium, on a phone (390x844).

A relay reports a person (typed coordinates), the coordinator assigns them, the relay logs
a contact and orients the person to a proposed resource, the social worker accepts and
closes. No console error and no Content-Security-Policy violation on the way.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bienveilleurs.extensions import db
from bienveilleurs.models import Referral

from .conftest import browser_login, open_menu
from .factories import make_relay, make_resource, make_structure, make_user

pytestmark = pytest.mark.browser

LAT, LON = 49.4944, 0.1079
CATEGORY = "sante--sante-mentale"


@pytest.fixture
def people(committed):
    coordinator = make_user(role="coordinator", display_name="Claire Coordination")
    relay_user = make_user(role="relay", display_name="Rémi Relais")
    make_relay(user=relay_user, display_name="Rémi Relais", lat=LAT + 0.001, radius_m=2000,
               capacity=3, languages=["fr"])
    structure = make_structure(name="CMP du centre")
    make_resource(structure=structure, name="Écoute et soutien", categories=(CATEGORY,),
                  lat=LAT + 0.002, address="1 rue de Paris, Le Havre")
    make_resource(name="Atelier numérique", categories=("numerique",), lat=LAT + 0.001)
    social = make_user(role="social_worker", display_name="Sophie Social")
    structure.members.append(social)
    db.session.commit()
    return {"coordinator": coordinator.email, "relay": relay_user.email, "social": social.email}


def sign_out(page):
    open_menu(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def flash(page):
    return page.locator(".flashes").inner_text()


def test_a_referral_from_report_to_closure_on_a_phone(phone, people):
    phone.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")

    # The relay reports a person, typing the coordinates.
    browser_login(phone, people["relay"])
    open_menu(phone)
    phone.get_by_role("link", name="Signaler une personne").first.click()
    phone.get_by_label("Prénom", exact=True).fill("Mireille")
    phone.get_by_label("Besoin principal").select_option(CATEGORY)
    phone.get_by_role("textbox", name="Latitude").fill(str(LAT))
    phone.get_by_role("textbox", name="Longitude").fill(str(LON))
    phone.get_by_label("Ce que vous avez remarqué").fill("Ne sort plus depuis l'hiver.")
    assert fits_the_phone(phone)
    phone.get_by_role("button", name="Enregistrer le signalement").click()
    # Without the consent box, the service refuses and says why, next to the box.
    assert "informée et ne pas s'être opposée" in phone.get_by_role("alert").inner_text()
    phone.get_by_label("La personne a été informée").check()
    phone.get_by_role("button", name="Enregistrer le signalement").click()
    phone.wait_for_url("**/mes-personnes")
    assert "Signalement enregistré" in flash(phone)
    assert "Signalée" in phone.locator("main").inner_text()
    sign_out(phone)

    # The coordinator sees the person in the inbox, with the relay proposed, and assigns.
    browser_login(phone, people["coordinator"])
    open_menu(phone)
    phone.get_by_role("link", name="À attribuer").first.click()
    card = phone.locator(".person-card", has_text="Mireille")
    assert "Rémi Relais" in card.inner_text()
    assert fits_the_phone(phone)
    # « Attribuer » asks first; « Annuler » (by keyboard) changes nothing and goes back.
    assign = card.locator("details.confirm > summary", has_text="Attribuer")
    assign.focus()
    phone.keyboard.press("Enter")
    assert "Confier Mireille à Rémi Relais ?" in card.locator(".confirm-box").inner_text()
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Annuler"
    phone.keyboard.press("Enter")
    assert not card.locator(".confirm-box").is_visible()
    assert phone.evaluate("document.activeElement.matches('details.confirm > summary')")
    assert db.session.scalars(select(Referral.status)).one() == "reported"
    phone.keyboard.press("Enter")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Oui, confier à Rémi Relais"
    phone.keyboard.press("Enter")
    expect(phone.locator(".flashes")).to_contain_text("attribué·e à Rémi Relais")
    sign_out(phone)

    # The relay logs a contact, then orients the person to a proposed resource.
    browser_login(phone, people["relay"])
    open_menu(phone)
    phone.get_by_role("link", name="Mes personnes").first.click()
    phone.get_by_role("link", name="Noter un contact avec Mireille").click()
    phone.get_by_label("Visite").check()
    phone.get_by_label("Oui").check()
    phone.get_by_label("Note courte").fill("Café partagé, accepte d'être aidée.")
    assert fits_the_phone(phone)
    phone.get_by_role("button", name="Enregistrer le contact").click()
    # The page sends the contact through the API (outbox.js), then opens the referral.
    phone.wait_for_url(re.compile(r".*/orientations/[0-9a-f-]{36}$"))
    assert "Prochaine étape : orienter" in flash(phone)
    assert "Café partagé" in phone.locator("main").inner_text()
    phone.get_by_role("link", name="Orienter vers une ressource").click()
    choices = phone.locator(".resource-choices li")
    assert choices.count() == 1 and "Écoute et soutien" in choices.first.inner_text()
    assert "Atelier numérique" not in phone.locator("main").inner_text()
    if phone.locator(".leaflet-container").count():  # the map beside the list, markers drawn
        assert phone.locator(".leaflet-marker-icon").count() == 2
    assert fits_the_phone(phone)
    phone.get_by_label("Écoute et soutien").check()
    phone.get_by_role("button", name="Orienter vers la ressource choisie").click()
    assert "Orientation envoyée à « Écoute et soutien »" in flash(phone)
    sign_out(phone)

    # The social worker accepts, then closes with an outcome.
    browser_login(phone, people["social"])
    open_menu(phone)
    phone.get_by_role("link", name="Orientations reçues").first.click()
    phone.get_by_role("link", name="Mireille").click()
    assert "Rémi Relais" in phone.locator("main").inner_text()
    # The relay's contacts log stays theirs.
    assert "Café partagé" not in phone.locator("main").inner_text()
    phone.get_by_role("button", name="Confirmer la prise en charge").click()
    assert "Prise en charge confirmée" in flash(phone)
    phone.get_by_label("Issue").select_option("helped")
    assert fits_the_phone(phone)
    phone.locator("details.confirm > summary", has_text="Clôturer").click()
    phone.get_by_role("button", name="Oui, clôturer").click()
    assert "Orientation clôturée" in flash(phone)
    assert "Clôturée" in phone.locator(".referral-summary").inner_text()

    db.session.expire_all()
    referral = db.session.scalars(select(Referral)).one()
    assert (referral.status, referral.outcome) == ("closed", "helped")
    # The only console line: Chromium reporting the 422 of the refused report (no consent).
    assert phone.console_errors == [
        "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"]
