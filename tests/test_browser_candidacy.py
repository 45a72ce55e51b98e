"""Becoming a relay in headless Chromium on a phone (390×844): the public form filled with the
keyboard only and checked by axe, then the whole journey through the pages — the form, the
confirmation link, the meeting, the charter, the training attendance, the activation — until
the new relay signs in and sees « Mes personnes »."""

import pytest
from sqlalchemy import select

from bienveilleurs.extensions import db
from bienveilleurs.models import Candidacy, Notification, User
from bienveilleurs.services.candidacies import charter

from .candidacy_helpers import IN_NORTH, NORTH
from .conftest import PHONE, browser_login
from .factories import make_territory, make_user

pytestmark = pytest.mark.browser

PASSWORD = "une phrase de passe pour Nadia"


@pytest.fixture
def network(committed):
    north = make_territory(name="Nord", code="NORD", polygon=NORTH)
    coordinator = make_user(role="coordinator", territories=[north],
                            display_name="Claire Coordination")
    admin = make_user(role="admin")
    charter.publish(admin, {"text_md": "# Charte\n\nJe respecte **chaque personne**."})
    return {"coordinator": coordinator.email}


def tab_to(page, selector, limit=80):
    """Press Tab until the element matching `selector` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus with Tab")


def test_the_public_form_is_filled_with_the_keyboard_only_and_axe_finds_nothing(phone,
                                                                                 network):
    from axe_playwright_python.sync_playwright import Axe
    phone.goto("/devenir-bienveilleur")
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
    keyboard = phone.keyboard
    for selector, text in (("#first_name", "Nadia"), ("#email", "nadia@exemple.fr"),
                           ("#phone", "06 12 34 56 78")):
        tab_to(phone, selector)
        keyboard.type(text)
    tab_to(phone, "#profile-0")
    keyboard.press("ArrowDown")  # « Commerçant·e »
    tab_to(phone, "#language-fr")
    keyboard.press("Space")
    tab_to(phone, "#language-ar")
    keyboard.press("Space")
    tab_to(phone, "#availability")
    keyboard.type("Le mercredi après-midi")
    tab_to(phone, "#lat")
    keyboard.type(str(IN_NORTH[1]))
    tab_to(phone, "#lon")
    keyboard.type(str(IN_NORTH[0]))
    tab_to(phone, "#consent")
    keyboard.press("Space")
    assert not phone.evaluate("document.activeElement.name === 'website'")
    tab_to(phone, "button[type=submit].button-primary")
    keyboard.press("Enter")
    phone.wait_for_url("**/devenir-bienveilleur/merci")
    assert "un e-mail avec un lien" in phone.locator("main").inner_text()
    db.session.expire_all()
    candidacy = db.session.scalar(select(Candidacy))
    assert (candidacy.first_name, candidacy.profile, candidacy.languages) == (
        "Nadia", "shopkeeper", ["fr", "ar"])
    assert phone.console_errors == []


def _link(kind, **where):
    db.session.expire_all()
    query = select(Notification.link_path).where(Notification.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalars(query.order_by(Notification.id.desc())).first()


def _phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, **PHONE)
    return context, context.new_page()


def test_the_whole_journey_from_the_public_form_to_my_people(browser, live_server, phone,
                                                             network):
    # 1. The public form.
    phone.goto("/devenir-bienveilleur")
    phone.get_by_label("Prénom").fill("Nadia")
    phone.get_by_label("Adresse e-mail").fill("nadia@exemple.fr")
    phone.get_by_label("Commerçant·e").check()
    phone.get_by_label("Arabe").check()
    phone.get_by_label("Latitude", exact=True).fill(str(IN_NORTH[1]))
    phone.get_by_label("Longitude", exact=True).fill(str(IN_NORTH[0]))
    phone.locator("#consent").check()
    phone.get_by_role("button", name="Envoyer ma proposition").click()
    phone.wait_for_url("**/merci")
    # 2. The confirmation link from the e-mail, then the button.
    phone.goto(_link("candidacy_confirm", recipient_email="nadia@exemple.fr"))
    phone.get_by_role("button", name="Confirmer ma candidature").click()
    assert "adresse est confirmée" in phone.locator(".flashes").inner_text()

    # 3. The coordinator meets her, she signs the charter on the coordinator's screen.
    context, page = _phone(browser, live_server)
    browser_login(page, network["coordinator"])
    page.goto("/reseau/candidatures/")
    page.get_by_role("link", name="Nadia").click()
    meet = page.locator("form.move", has=page.get_by_role("button", name="Rencontre faite"))
    meet.get_by_label("Note (visible de la coordination seulement)").fill("Rencontre au café.")
    meet.get_by_role("button", name="Rencontre faite").click()
    page.get_by_text("Lire la charte avec la personne").click()
    assert page.locator(".charter-text strong").inner_text() == "chaque personne"
    page.get_by_role("button", name="Signée pendant la rencontre, sur cet écran").click()
    assert "Charte signée par Nadia" in page.locator(".flashes").inner_text()
    candidacy_url = page.url

    # 4. A training session, the invitation, the attendance.
    page.goto("/reseau/formations/")
    page.get_by_label("Thème").fill("Repérer l'isolement")
    page.get_by_label("Date et heure").fill("2026-12-20T18:00")
    page.get_by_label("Lieu (nom et adresse)").fill("Maison de quartier")
    page.get_by_label("Latitude", exact=True).fill(str(IN_NORTH[1]))
    page.get_by_label("Longitude", exact=True).fill(str(IN_NORTH[0]))
    page.get_by_role("button", name="Créer la session").click()
    page.get_by_label("Nadia (Charte signée)").check()
    page.get_by_role("button", name="Inviter (un e-mail leur est envoyé)").click()
    page.get_by_role("button", name="Présent·e").click()
    assert "Présence enregistrée" in page.locator(".flashes").inner_text()

    # 5. Activation: the relay profile and the account invitation.
    page.goto(candidacy_url)
    assert "Formée" in page.locator(".badge").first.inner_text()
    page.get_by_role("link", name="Activer comme bienveilleur").click()
    assert page.get_by_label("Compétences (séparées par des virgules)").input_value() == (
        "Repérer l'isolement")
    page.get_by_role("button", name="Activer et envoyer l'invitation").click()
    assert "une invitation a été envoyée" in page.locator(".flashes").inner_text()
    assert "Charte et formations" in page.content()
    context.close()

    # 6. The new relay sets a password through the invitation, signs in, sees her people.
    user_id = db.session.scalar(select(User.id).where(User.email == "nadia@exemple.fr"))
    phone.goto(_link("invitation", recipient_user_id=user_id))
    phone.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    phone.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    phone.get_by_role("button", name="Activer mon compte").click()
    browser_login(phone, "nadia@exemple.fr", password=PASSWORD)
    phone.goto("/mes-personnes")
    assert phone.get_by_role("heading", level=1).inner_text() == "Mes personnes"
    db.session.expire_all()
    assert db.session.scalar(select(Candidacy.stage)) == "active"
    assert phone.console_errors == []
