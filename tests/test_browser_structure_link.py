"""A structure without an account answers from its e-mail, on a phone (390x844, Chromium).

The link is read from the e-mail's text in the outbox, opened on the live server, and the
orientation accepted: no account, no console error, no CSP violation, nothing wider than
the phone, the secret gone from the address bar.
"""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bienveilleurs.extensions import db
from bienveilleurs.models import Notification, Referral, ReferralEvent
from bienveilleurs.services import referrals as service

from .factories import make_resource, make_structure
from .referral_helpers import CATEGORY, LAT, bring_to, make_world, new_referral

pytestmark = pytest.mark.browser


@pytest.fixture
def referred(committed):
    world = make_world()
    structure = make_structure(name="Épicerie solidaire du Rond-Point",
                               contact_email="accueil@epicerie.test")
    resource = make_resource(structure=structure, name="Accueil de l'épicerie",
                             categories=(CATEGORY,), lat=LAT + 0.0015)
    db.session.commit()
    referral = bring_to(world, new_referral(world), "contacted")
    service.transition(world.relay_user, referral.id, "referred", resource_id=resource.id,
                       note="Passer le matin, elle est là après 9 h.")
    body = db.session.scalar(select(Notification.body_text).where(
        Notification.kind == "structure_link", Notification.referral_id == referral.id))
    return referral.id, body


def test_a_structure_opens_its_link_from_the_email_and_accepts_on_a_phone(phone, referred):
    referral_id, body = referred
    phone.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")
    url = re.search(r"https?://\S+/lien-structure/\S+", body).group(0)
    phone.goto(urlsplit(url).path)  # the e-mail's link, on the live server
    assert "bvl_" not in phone.url and phone.url.endswith(f"/orientations/{referral_id}")

    main = phone.locator("main")
    assert phone.get_by_role("heading", level=1).inner_text() == "Mireille"
    assert "Passer le matin, elle est là après 9 h." in main.inner_text()
    assert "Rémi Relais" in main.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")

    phone.get_by_role("button", name="Confirmer la prise en charge").click()
    phone.wait_for_load_state()
    assert "Prise en charge confirmée." in phone.locator(".flashes").inner_text()
    assert "Prise en charge" in phone.locator(".referral-summary .badge").inner_text()
    assert phone.locator("details.confirm > summary", has_text="Clôturer").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.console_errors == []

    db.session.expire_all()
    assert db.session.get(Referral, referral_id).status == "accepted"
    last = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
                              .order_by(ReferralEvent.id.desc())).first()
    assert (last.actor_role, last.actor_id, last.to_status) == ("structure_link", None,
                                                                "accepted")
