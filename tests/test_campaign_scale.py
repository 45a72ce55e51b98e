"""Campaigns at a city's size: what a call from a phone costs in statements, and the board
a page at a time."""

from sqlalchemy import func, select

from bienveilleurs.extensions import db
from bienveilleurs.models import CampaignCall, CampaignCheck
from bienveilleurs.services import accounts, campaigns

from .campaign_helpers import build_town, call_body, launch_body
from .conftest import api_headers
from .test_paged_lists import expire_on_commit, statements


def _check_of(campaign_id, resident_id):
    return db.session.scalar(select(CampaignCheck.id).where(
        CampaignCheck.campaign_id == campaign_id, CampaignCheck.resident_id == resident_id))


def _phone(app, user):
    """A phone: the API with the relay's token, as the outbox sends it."""
    client = app.test_client()
    client.headers = api_headers(accounts.issue_token(user.email))
    return client


def _post(phone, path, body):
    """Post a call; (response, the first word of each statement it sent)."""
    with statements() as captured:
        response = phone.post(path, json=body, headers=phone.headers)
    return response, [query.split()[0] for query, _ in captured]


def test_a_call_from_a_phone_is_one_statement_under_the_checks_lock(db, app, monkeypatch):
    town = build_town()
    launched = campaigns.launch(town.coordinator, launch_body())
    noe = _check_of(launched.campaign.id, town.people["Noé"])
    path = f"/api/v1/campaigns/{launched.campaign.id}/checks/{noe}/calls"
    phone = _phone(app, town.near_relay_user)
    expire_on_commit(monkeypatch)  # as the app's sessions: nothing reloaded after the commit
    body = call_body("not_reached")
    created, sent = _post(phone, path, body)
    assert created.status_code == 201
    # The transaction (a savepoint here), the token's account, the check locked with its
    # person, campaign and scope, then the call and the check's new state together.
    assert sent == ["SAVEPOINT", "SELECT", "SELECT", "WITH", "RELEASE"]
    # The same call again (an answer lost on the way): read back, nothing written.
    again, sent = _post(phone, path, body)
    assert again.status_code == 200 and again.get_json() == created.get_json()
    assert sent == ["SAVEPOINT", "SELECT", "SELECT", "WITH", "SELECT", "RELEASE"]
    assert created.get_json()["check"] == {"id": str(noe), "status": "not_reached",
                                           "attempts": 1}


def test_a_call_id_used_again_for_something_else_is_refused_and_changes_nothing(db, app):
    town = build_town()
    launched = campaigns.launch(town.coordinator, launch_body())
    noe = _check_of(launched.campaign.id, town.people["Noé"])
    base = f"/api/v1/campaigns/{launched.campaign.id}/checks"
    phone = _phone(app, town.near_relay_user)
    body = call_body("not_reached")
    assert phone.post(f"{base}/{noe}/calls", json=body, headers=phone.headers).status_code == 201
    refusals = [
        (phone, noe, {**body, "outcome": "ok"}),                # other content
        (_phone(app, town.coordinator), noe, body),             # another author
        (_phone(app, town.coordinator),                         # another person
         _check_of(launched.campaign.id, town.people["Fanny"]), body),
    ]
    for client, check_id, sent in refusals:
        answer = client.post(f"{base}/{check_id}/calls", json=sent, headers=client.headers)
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["error"]["code"] == "idempotency_mismatch"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(CampaignCall)) == 1
    check = db.get(CampaignCheck, noe)
    assert (check.status, check.attempts) == ("not_reached", 1)
