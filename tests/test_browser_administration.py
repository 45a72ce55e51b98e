"""In headless Chromium on a phone: invitations end to end (issue 8)."""

import re

import pytest
from sqlalchemy import select

from bienveilleurs.extensions import db as _db
from bienveilleurs.models import Notification, User

from .conftest import browser_enrol, browser_login, open_menu
from .factories import TEST_PASSWORD, make_territory, make_user

pytestmark = pytest.mark.browser

COORDINATOR_PASSWORD = "la coordination du quartier nord"
RELAY_PASSWORD = "mon jardin est au bout de la rue"


def invitation_path(app, email):
    """Read the link as the person would in their e-mail: from the outbox row."""
    with app.app_context():
        body = _db.session.scalar(
            select(Notification.body_text).join(User, User.id == Notification.recipient_user_id)
            .where(User.email == email, Notification.kind == "invitation"))
        _db.session.remove()
    return re.search(r"/invitation/\S+", body).group(0)


def set_password(page, path, password):
    page.goto(path)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le mot de passe").fill(password)
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url("**/connexion")
    assert "Votre mot de passe est enregistré" in page.locator(".flashes").inner_text()


def test_admin_invites_a_coordinator_who_registers_a_relay_who_logs_in_on_a_phone(
        app, phone, committed):
    admin = make_user(role="admin", email="admin@test.bienveilleurs.fr")
    make_territory(name="Quartier Nord")
    committed.commit()

    # The admin invites a coordinator.
    browser_login(phone, admin.email)
    phone.goto("/admin/comptes/inviter")
    phone.get_by_label("Adresse e-mail").fill("nadia@test.bienveilleurs.fr")
    phone.get_by_label("Nom affiché").fill("Nadia")
    phone.get_by_label("Rôle").select_option("coordinator")
    phone.get_by_label("Quartier Nord").check()
    phone.get_by_role("button", name="Envoyer l'invitation").click()
    phone.wait_for_load_state()
    flashes = phone.locator(".flashes").inner_text()
    assert "Invitation envoyée à nadia@test.bienveilleurs.fr" in flashes
    open_menu(phone)
    phone.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_url("**/connexion")

    # She follows the link, sets her password, logs in and, a coordinator, enrols her second
    # factor before anything else.
    set_password(phone, invitation_path(app, "nadia@test.bienveilleurs.fr"), COORDINATOR_PASSWORD)
    browser_login(phone, "nadia@test.bienveilleurs.fr", COORDINATOR_PASSWORD)
    browser_enrol(phone, "nadia@test.bienveilleurs.fr")
    assert phone.get_by_role("heading", level=1).inner_text() == "Bonjour Nadia"

    # She registers a relay, whose account is created by invitation.
    phone.goto("/reseau/bienveilleurs/nouveau")
    phone.get_by_label("Nom affiché").fill("Awa")
    phone.locator("#email").fill("awa@test.bienveilleurs.fr")
    phone.locator("#lat").fill("49.5")
    phone.locator("#lon").fill("0.12")
    phone.locator("#radius_m").fill("800")
    phone.get_by_role("button", name="Enregistrer", exact=True).click()
    phone.wait_for_load_state()
    assert "Invitation envoyée à" in phone.locator(".flashes").inner_text()
    open_menu(phone)
    phone.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_url("**/connexion")

    # The relay activates the account and logs in on the phone.
    set_password(phone, invitation_path(app, "awa@test.bienveilleurs.fr"), RELAY_PASSWORD)
    browser_login(phone, "awa@test.bienveilleurs.fr", RELAY_PASSWORD)
    assert phone.get_by_role("heading", level=1).inner_text() == "Bonjour Awa"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
    # The link cannot be used twice (the page itself is a 404).
    response = phone.goto(invitation_path(app, "awa@test.bienveilleurs.fr"))
    assert response.status == 404 and "déjà servi" in phone.get_by_role("alert").inner_text()


def test_forgotten_password_in_the_browser_gives_the_same_answer(phone, committed):
    make_user(role="relay", email="connu@test.bienveilleurs.fr")
    committed.commit()
    answers = []
    for email in ("connu@test.bienveilleurs.fr", "personne@test.bienveilleurs.fr"):
        phone.goto("/connexion")
        phone.get_by_role("link", name="Mot de passe oublié ?").click()
        phone.get_by_label("Adresse e-mail").fill(email)
        phone.get_by_role("button", name="Recevoir un lien").click()
        phone.wait_for_load_state()
        answers.append(phone.get_by_role("status").last.inner_text())
    assert answers[0] == answers[1] and "Si un compte actif correspond" in answers[0]
    assert TEST_PASSWORD  # the known account's password is untouched until the link is used


def test_admin_creates_a_structure_invites_a_social_worker_who_sees_its_referrals(
        app, phone, committed):
    from bienveilleurs.models import Structure
    from bienveilleurs.services import referrals

    from .factories import make_relay, make_resource

    admin = make_user(role="admin", email="admin2@test.bienveilleurs.fr")
    committed.commit()
    browser_login(phone, admin.email)
    phone.goto("/gestion/structures/nouvelle")
    phone.get_by_label("Nom de la structure").fill("Centre social des Quais")
    phone.get_by_role("button", name="Enregistrer", exact=True).click()
    phone.wait_for_load_state()

    # A referral reaches one of its services (set up through the referral service).
    committed.expire_all()
    structure = committed.scalar(select(Structure)
                                 .where(Structure.name == "Centre social des Quais"))
    resource = make_resource(structure=structure, name="Accueil de jour")
    coordinator = make_user(role="coordinator")
    relay = make_relay(user=make_user(role="relay"))
    committed.commit()
    referral, _ = referrals.report(coordinator, {
        "resident": {"first_name": "Gaston", "lat": 49.4944, "lon": 0.1079},
        "category": "sante--sante-mentale", "consent": True})
    referrals.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    referrals.transition(coordinator, referral.id, "contacted")
    referrals.transition(coordinator, referral.id, "referred", resource_id=resource.id)

    # The admin invites a social worker from the structure's page.
    phone.get_by_role("link", name="Centre social des Quais").click()
    phone.get_by_role("link", name="Membres (travailleurs sociaux) et adresse de contact").click()
    phone.get_by_label("Adresse e-mail du travailleur social").fill("ines@test.bienveilleurs.fr")
    phone.get_by_label("Nom affiché").fill("Inès")
    phone.get_by_role("button", name="Ajouter").click()
    phone.wait_for_load_state()
    flashes = phone.locator(".flashes").inner_text()
    assert "Invitation envoyée à ines@test.bienveilleurs.fr" in flashes
    open_menu(phone)
    phone.get_by_role("button", name="Se déconnecter").click()
    phone.wait_for_url("**/connexion")

    set_password(phone, invitation_path(app, "ines@test.bienveilleurs.fr"),
                 "les quais au petit matin")
    browser_login(phone, "ines@test.bienveilleurs.fr", "les quais au petit matin")
    open_menu(phone)
    phone.get_by_role("link", name="Orientations reçues").first.click()
    phone.wait_for_load_state()
    assert "Gaston" in phone.locator("main").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []
