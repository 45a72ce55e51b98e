"""The person's own measure on the relay's phone without the network, in headless Chromium
(390x844): the three questions asked only when the person accepts, the answers kept in the
outbox with a client UUID while offline, sent once when the network returns."""

import pytest
from sqlalchemy import select

from bienveilleurs.extensions import db
from bienveilleurs.models import WellbeingMeasure

from .conftest import browser_login
from .test_browser_offline import (  # noqa: F401  (relay_world: the fixture)
    counter,
    relay_world,
    wait_offline_ready,
    wait_pending,
    wait_sent,
)

pytestmark = pytest.mark.browser


def measures():
    db.session.rollback()
    return db.session.scalars(select(WellbeingMeasure)).all()


def test_the_answers_given_offline_are_sent_once_when_the_network_returns(
        phone, relay_world):  # noqa: F811
    browser_login(phone, relay_world["relay"])
    phone.goto("/mes-personnes")
    wait_offline_ready(phone)
    phone.goto(f"/orientations/{relay_world['referral_id']}/mesure/baseline")
    phone.context.set_offline(True)

    questions = phone.locator("#lacks_company")
    phone.get_by_label("Ne souhaite pas répondre").check()
    assert not questions.is_visible()  # no question when the person declines
    phone.get_by_label("Oui").check()
    assert questions.is_visible()
    questions.get_by_label("Souvent").check()
    phone.locator("#left_out").get_by_label("Parfois").check()
    phone.locator("#isolated").get_by_label("Presque jamais").check()
    phone.get_by_label("Famille").check()
    phone.get_by_role("button", name="Enregistrer").click()
    wait_pending(phone, 1)
    assert "1 en attente d'envoi" in counter(phone).inner_text()
    assert measures() == []

    phone.context.set_offline(False)
    wait_sent(phone)
    [row] = measures()
    assert (row.moment, row.answered, row.lacks_company, row.left_out, row.isolated,
            row.networks) == ("baseline", True, 3, 2, 1, ["family"])
    assert phone.console_errors == [], phone.console_errors
