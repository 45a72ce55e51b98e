"""Campaigns at a city's size: what a call from a phone costs in statements, and the board
a page at a time."""

import re
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import AccessLog, CampaignCall, CampaignCheck, Resident, WatchEntry
from bienveilleurs.services import accounts, campaigns, paging
from bienveilleurs.web.coordination import campaigns as coordination_campaigns
from geo.points import stored_point

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


# --- the board, a page at a time ----------------------------------------------------------

def _register(coordinator, n, *, at=(0.110, 49.495)):
    """n more people on the register, in the west (a few metres apart)."""
    now = clock.now()
    for i in range(n):
        resident = Resident(first_name=f"Inscrite {i:02d}", phone="02 35 00 00 00",
                            point=stored_point(at[0] + 0.0001 * (i % 30), at[1]),
                            approx_point=stored_point(at[0], at[1]), consent_at=now)
        db.session.add(resident)
        db.session.flush()
        db.session.add(WatchEntry(resident_id=resident.id, reasons=["lives_alone"],
                                  consent_at=now, consent_by_id=coordinator.id,
                                  confirmed_at=now))
    db.session.flush()


def _rows(page):
    """(check id, status) of each row of a board page, in order."""
    return re.findall(r'<li id="check-([0-9a-f-]{36})" class="[^"]*" '
                      r'data-check-status="([a-z_]+)"', page)


def _next(page):
    found = re.search(r'rel="next" href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def _board_statements(client, path):
    client.get(path)
    with statements() as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.get_data(as_text=True)


def test_the_board_goes_page_by_page_with_who_needs_help_first(db, client_as, monkeypatch):
    monkeypatch.setattr(coordination_campaigns, "SUGGESTED", 0)  # a search per row: bounded
    town = build_town()
    launched = campaigns.launch(town.coordinator, launch_body())
    cid = launched.campaign.id
    board = f"/coordination/veilles/{cid}"
    coordinator = client_as(town.coordinator)
    expire_on_commit(monkeypatch)
    few, page = _board_statements(coordinator, board)
    assert len(_rows(page)) == 3 and _next(page) is None and "Revenir au début" not in page

    _register(town.coordinator, paging.PAGE_SIZE + 7)
    campaigns.add_registered(town.coordinator, cid)
    total = paging.PAGE_SIZE + 10
    checks = db.scalars(select(CampaignCheck).where(CampaignCheck.campaign_id == cid)
                        .order_by(CampaignCheck.id)).all()
    moves = {checks[0]: "needs_help", checks[1]: "ok", checks[2]: "not_reached",
             checks[3]: "not_reached", checks[4]: "ok"}
    for check, outcome in moves.items():
        campaigns.record_call(town.coordinator, cid, check.id, call_body(outcome))
    many, first = _board_statements(coordinator, board)
    assert many == few  # the same statements for 3 rows and for a full page

    second = coordinator.get(_next(first)).get_data(as_text=True)
    shown = _rows(first) + _rows(second)
    assert len(_rows(first)) == paging.PAGE_SIZE and _next(second) is None
    assert "Revenir au début" in second and "Revenir au début" not in first
    assert len({check_id for check_id, _ in shown}) == total  # each once, none left out
    ranks = [campaigns.BOARD_ORDER[status] for _, status in shown]
    assert ranks == sorted(ranks) and shown[0][1] == "needs_help" and shown[-1][1] == "ok"
    # The counts are the whole campaign's, whatever the page.
    for page in (first, second):
        assert re.search(rf"<td>{total}</td></tr>\s*</tbody>", page)


def test_the_board_logs_the_people_of_its_page_and_an_assignment_returns_to_it(
        db, client_as):
    town = build_town()
    _register(town.coordinator, paging.PAGE_SIZE + 2)
    launched = campaigns.launch(town.coordinator, launch_body())
    cid = launched.campaign.id
    coordinator = client_as(town.coordinator)
    first = coordinator.get(f"/coordination/veilles/{cid}").get_data(as_text=True)
    logged = db.scalar(select(func.count()).select_from(AccessLog).where(
        AccessLog.action == "campaign.checks"))
    assert logged == paging.PAGE_SIZE
    following = _next(first)
    second = coordinator.get(following).get_data(as_text=True)
    check_id = next(c for c, _ in _rows(second) if f"appels/{c}/attribuer" in second)
    action = f"/coordination/veilles/{cid}/appels/{check_id}/attribuer"
    form = second[second.index(action):]
    hidden = dict(re.findall(r'name="(statut|depuis|apres|csrf_token)"(?: type="hidden")? '
                             r'value="([^"]+)"', form[:form.index("</form>")]))
    query = dict(parse_qsl(urlsplit(following).query))
    assert {k: v for k, v in hidden.items() if k != "csrf_token"} == query
    answer = coordinator.post(action, data={"relay_id": str(town.own_relay.id), **hidden})
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert dict(parse_qsl(location.query)) == query and location.fragment == f"check-{check_id}"
    # A key that is not one: refused in French, as on the other lists.
    wrong = coordinator.get(f"/coordination/veilles/{cid}?statut=perdu&depuis=x&apres=y")
    assert wrong.status_code in (400, 422) and "Le statut de la page" in wrong.get_data(
        as_text=True)
    alone = coordinator.get(f"/coordination/veilles/{cid}?apres={check_id}")
    assert alone.status_code == 422 and "ensemble" in alone.get_data(as_text=True)


def test_a_territorial_coordinator_pages_through_their_people_only(db, client_as):
    town = build_town()
    _register(town.coordinator, paging.PAGE_SIZE + 2)  # all in the west
    launched = campaigns.launch(town.coordinator, launch_body())
    east = client_as(town.east_coordinator)
    page = east.get(f"/coordination/veilles/{launched.campaign.id}").get_data(as_text=True)
    shown = {check_id for check_id, _ in _rows(page)}
    expected = {str(_check_of(launched.campaign.id, town.people[name]))
                for name in ("Noé", "Fanny")}
    assert shown == expected and _next(page) is None
