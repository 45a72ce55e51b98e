"""Issue 8: a structure's members (social workers, by invitation) and its contact e-mail."""

import html
import re

from sqlalchemy import select

from bienveilleurs.models import AuditEntry, Notification, User, structure_members
from bienveilleurs.services import invitations, referrals

from .factories import make_structure, make_user
from .referral_helpers import bring_to, make_world, new_referral

PASSWORD = "une phrase de passe du travailleur social"


def csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def post(client, url, data, page_url):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf(page), **data})


def test_an_invited_social_worker_sees_the_referrals_sent_to_their_structure(client_as, db):
    world = make_world()
    referral = bring_to(world, new_referral(world), "referred")  # sent to world.structure
    admin = client_as("admin")
    url = f"/gestion/structures/{world.structure.id}/membres"
    response = post(admin, url, {"email": "nouvelle.as@test.bienveilleurs.fr",
                                 "display_name": "Inès"}, url)
    assert response.status_code == 303
    db.expire_all()
    user = db.scalar(select(User).where(User.email == "nouvelle.as@test.bienveilleurs.fr"))
    assert user.role == "social_worker" and [s.id for s in user.structures] == [world.structure.id]
    row = db.scalar(select(Notification).where(Notification.recipient_user_id == user.id))
    secret = re.search(r"/invitation/(\S+)", row.body_text).group(1)
    user = invitations.accept_invitation(secret, PASSWORD)
    visible = db.scalars(referrals.scoped_referrals(user)).all()
    assert [r.id for r in visible] == [referral.id]
    assert "nouvelle.as@test.bienveilleurs.fr" in admin.get(url).get_data(as_text=True)
    assert db.scalar(select(AuditEntry.action)
                     .where(AuditEntry.action == "structure.member_invited"))


def test_existing_accounts_are_attached_once_and_other_roles_refused(client_as, db):
    structure = make_structure(name="Centre social")
    worker = make_user(role="social_worker", email="as@test.bienveilleurs.fr")
    relay = make_user(role="relay", email="relais@test.bienveilleurs.fr")
    client = client_as("coordinator")
    url = f"/gestion/structures/{structure.id}/membres"
    assert post(client, url, {"email": worker.email}, url).status_code == 303
    again = post(client, url, {"email": worker.email}, url)
    assert again.status_code == 409 and "Déjà membre" in html.unescape(again.get_data(as_text=True))
    refused = post(client, url, {"email": relay.email}, url)
    assert refused.status_code == 422 and "pas un compte de travailleur social" in html.unescape(
        refused.get_data(as_text=True))
    rows = db.execute(select(structure_members.c.user_id).where(
        structure_members.c.structure_id == structure.id)).scalars().all()
    assert rows == [worker.id]
    assert db.scalar(select(Notification.id)) is None  # nobody was invited

    response = post(client, f"/gestion/structures/{structure.id}/membres/{worker.id}/retirer",
                    {}, url)
    assert response.status_code == 303
    assert db.execute(select(structure_members.c.user_id).where(
        structure_members.c.structure_id == structure.id)).first() is None


def test_the_contact_email_receives_referrals_while_the_structure_has_no_member(client_as, db):
    world = make_world()
    db.execute(structure_members.delete()
               .where(structure_members.c.structure_id == world.structure.id))
    client = client_as(world.coordinator)
    url = f"/gestion/structures/{world.structure.id}/membres"
    bad = post(client, f"/gestion/structures/{world.structure.id}/contact",
               {"contact_email": "pas-une-adresse"}, url)
    assert bad.status_code == 422
    ok = post(client, f"/gestion/structures/{world.structure.id}/contact",
              {"contact_email": "Accueil@Centre.test"}, url)
    assert ok.status_code == 303
    db.expire_all()
    bring_to(world, new_referral(world), "referred")
    # Without a member account, the contact address gets the structure's one-time link.
    assert db.scalar(select(Notification).where(Notification.kind == "referral_referred")) is None
    row = db.scalar(select(Notification).where(Notification.kind == "structure_link"))
    assert row.recipient_email == "accueil@centre.test"
    assert "/lien-structure/bvl_" in row.body_text


def test_members_pages_are_for_admins_and_coordinators(client_as, db):
    structure = make_structure()
    url = f"/gestion/structures/{structure.id}/membres"
    for role, status in (("relay", 403), ("social_worker", 403), ("coordinator", 200),
                         ("admin", 200)):
        assert client_as(role).get(url).status_code == status
    assert client_as("admin").get(
        "/gestion/structures/00000000-0000-0000-0000-000000000000/membres").status_code == 404
