"""A referral refused by the structure, in each one's words: the social worker is offered only
the structure's own reason and told what follows; the relay and the coordination record what
the structure said (or that it did not answer); the relay's list says who refused, and that
the person is to be oriented again."""

import re

import pytest

from .referral_helpers import bring_to, make_world, new_referral
from .test_referral_pages import move, row, text


@pytest.fixture
def world(db):
    return make_world()


def reasons_offered(page):
    select = re.search(r'<select[^>]*name="contacted-reason".*?</select>', page, re.S)
    return re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select.group(0)) \
        if select else []


def test_the_structure_refuses_in_its_own_words_and_is_told_what_follows(world, client_as):
    referral = bring_to(world, new_referral(world), "referred")
    social = client_as(world.social)
    page = text(social.get(f"/structure/orientations/{referral.id}"))
    assert "Refuser cette orientation" in page
    assert reasons_offered(page) == []  # one reason, theirs: no question asked
    assert "Pas de réponse de la structure" not in page and "ne répond pas" not in page
    response = move(social, "structure", referral.id, "contacted", reason="declined",
                    version=row(referral.id).version)
    assert response.status_code == 303
    assert (row(referral.id).status, row(referral.id).events[-1].reason) == ("contacted",
                                                                           "declined")
    after = text(social.get(response.headers["Location"]))
    assert ("Vous avez refusé cette orientation ; la coordination proposera une autre "
            "ressource.") in after
    assert "Contact établi" not in after


@pytest.mark.parametrize("who, blueprint", [("relay_user", "relay"),
                                            ("coordinator", "coordination")])
def test_the_relay_and_the_coordination_record_a_refusal_or_no_answer(world, client_as, who,
                                                                      blueprint):
    referral = bring_to(world, new_referral(world), "referred")
    client = client_as(getattr(world, who))
    prefix = {"relay": "", "coordination": "/coordination"}[blueprint]
    page = text(client.get(f"{prefix}/orientations/{referral.id}"))
    assert reasons_offered(page) == [("declined", "La structure a refusé"),
                                     ("no_answer", "La structure ne répond pas")]
    response = move(client, blueprint, referral.id, "contacted", reason="no_answer",
                    version=row(referral.id).version)
    assert response.status_code == 303
    after = text(client.get(response.headers["Location"]))
    assert "Absence de réponse de la structure notée : proposez une autre ressource" in after


def test_the_relay_list_says_who_refused_and_that_the_person_waits_for_another(world,
                                                                                client_as):
    referral = bring_to(world, new_referral(world), "referred")
    relay = client_as(world.relay_user)
    assert "à réorienter" not in text(relay.get("/mes-personnes"))
    move(client_as(world.social), "structure", referral.id, "contacted", reason="declined",
         version=row(referral.id).version)
    page = text(relay.get("/mes-personnes"))
    card = page.split("Mireille", 1)[1].split("</li>", 1)[0]
    assert f"Refusée par {world.structure.name}</span> — à réorienter" in card
    assert "proposer une autre ressource" in card
