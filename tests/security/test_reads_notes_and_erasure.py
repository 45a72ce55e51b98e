"""Issue 14, the other scope holes: list pages log the people they show, social workers read
the orientation's note and not the report's, an erased id is a 410 only to those who could
see it, and `users create --territory` takes a code or an id."""

import contextvars
import html
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from bienveilleurs import clock
from bienveilleurs.extensions import db as _db
from bienveilleurs.models import AccessLog, Referral, User
from bienveilleurs.services import privacy
from bienveilleurs.services import referrals as service

from ..conftest import api_headers, sign_in
from .town import IN_NORTH, IN_SOUTH, make_town, report

REPORT_NOTE = "Zqx diabète, vit seule depuis l'hiver"
ORIENTATION_NOTE = "Zqx a besoin d'un rendez-vous le matin"


def walk(town, referral, *path, by=None):
    """Move the referral along `path` ((to, values) pairs), as the northern coordinator."""
    for to, values in path:
        service.transition(by or town.coordinator_north, referral.id, to, **values)


def followed(town, **report_kwargs):
    """A northern person reported, assigned to the northern relay, contacted."""
    referral = report(town.coordinator_north, **report_kwargs)
    walk(town, referral, ("assigned", {"relay_id": town.relay_north.id}), ("contacted", {}))
    return referral


# --- 7. list pages log each person they show ------------------------------------------------

def logged(db, action):
    return sorted((row.user_id, row.object_type, row.object_id) for row in db.scalars(
        select(AccessLog).where(AccessLog.action == action)))


LIST_PAGES = [
    ("coordinator_north", "/coordination/carte", "referral.map"),
    ("coordinator_north", "/coordination/a-attribuer", "referral.inbox"),
    ("coordinator_north", "/coordination/en-attente", "referral.stale"),
    ("social_north", "/structure/orientations", "referral.structure_list"),
    ("relay_north_user", "/mes-personnes", "referral.my_people"),
    ("relay_north_user", "/api/v1/me/offline", "referral.offline_copy"),
]


@pytest.mark.parametrize("reader, path, action", LIST_PAGES, ids=[p[2] for p in LIST_PAGES])
def test_each_list_page_logs_the_people_it_showed(db, client_as, reader, path, action):
    town = make_town()
    waiting = report(town.coordinator_north, name="Zqxattente")
    db.execute(update(Referral).where(Referral.id == waiting.id)
               .values(status_changed_at=clock.now() - timedelta(days=3)))
    referred = followed(town, name="Zqxorientee")
    walk(town, referred, ("referred", {"resource_id": town.resource_north.id}))
    elsewhere = report(town.coordinator_south, at=IN_SOUTH, name="Zqxailleurs")
    shown = {"referral.map": {waiting.id, referred.id},
             "referral.inbox": {waiting.id}, "referral.stale": {waiting.id},
             "referral.structure_list": {referred.id}, "referral.my_people": {referred.id},
             "referral.offline_copy": {referred.id}}[action]
    user = getattr(town, reader)
    client = client_as(user)
    answer = client.get(path, headers=api_headers() if path.startswith("/api/") else {})
    assert answer.status_code == 200
    body = html.unescape(answer.get_data(as_text=True))
    assert "Zqxailleurs" not in body
    assert logged(db, action) == sorted((user.id, "referral", r) for r in shown)
    # One row per person per page view: a second view adds as many again.
    client.get(path, headers=api_headers() if path.startswith("/api/") else {})
    assert len(logged(db, action)) == 2 * len(shown)
    assert elsewhere.id not in {row[2] for row in logged(db, action)}
    # The person's right-of-access export lists who saw them in that list, by identifier.
    document = privacy.export_resident(town.coordinator_north, referred.resident_id
                                       if referred.id in shown else waiting.resident_id)
    reads = [r for r in document["tables"]["access_log"] if r["action"] == action]
    assert len(reads) == 2 and {r["by"]["role"] for r in reads} == {user.role}


@pytest.mark.committed
def test_a_list_page_commits_its_access_log_rows(app, committed):
    """The reading service is the use case: its rows are committed with the read."""
    town = make_town()
    referral = report(town.coordinator_north)
    committed.commit()
    client = sign_in(app.test_client(), town.coordinator_north)
    assert contextvars.Context().run(client.get, "/coordination/carte").status_code == 200
    with _db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT user_id, object_id FROM access_log WHERE action = 'referral.map'")).all()
    assert rows == [(town.coordinator_north.id, referral.id)]


# --- 8. social workers read the orientation's note, not the report's ------------------------

def _referred(town, client, *, share):
    referral = followed(town, note=REPORT_NOTE)
    answer = client.post(f"/api/v1/referrals/{referral.id}/transitions", headers=api_headers(),
                         json={"to": "referred", "resource_id": str(town.resource_north.id),
                               "note": ORIENTATION_NOTE, "share_report_note": share})
    assert answer.status_code == 200, answer.get_json()
    return referral


def test_social_workers_read_the_orientation_note_not_the_report_note(db, client_as):
    town = make_town()
    relay = client_as(town.relay_north_user)
    referral = _referred(town, relay, share=False)
    social = client_as(town.social_north)
    body = social.get(f"/api/v1/referrals/{referral.id}", headers=api_headers()).get_json()
    notes = [event["note"] for event in body["events"]]
    assert REPORT_NOTE not in notes and ORIENTATION_NOTE in notes
    page = html.unescape(social.get(f"/structure/orientations/{referral.id}")
                         .get_data(as_text=True))
    assert REPORT_NOTE not in page and ORIENTATION_NOTE in page
    listing = html.unescape(social.get("/structure/orientations").get_data(as_text=True))
    assert "Zqx" not in listing
    # The coordinator and the relay still read both.
    for reader in (relay, client_as(town.coordinator_north)):
        events = reader.get(f"/api/v1/referrals/{referral.id}",
                            headers=api_headers()).get_json()["events"]
        assert {REPORT_NOTE, ORIENTATION_NOTE} <= {event["note"] for event in events}


def test_the_relay_may_share_the_report_note_with_the_structure(db, client_as):
    town = make_town()
    relay = client_as(town.relay_north_user)
    shared = _referred(town, relay, share=True)
    events = client_as(town.social_north).get(f"/api/v1/referrals/{shared.id}",
                                              headers=api_headers()).get_json()["events"]
    assert REPORT_NOTE in [event["note"] for event in events]
    # From the relay's page: the box is there, unticked; ticked, it shares.
    referral = followed(town, note=REPORT_NOTE)
    page = relay.get(f"/orientations/{referral.id}/orienter").get_data(as_text=True)
    assert 'name="share_report_note"' in page and "checked" not in page.split(
        'name="share_report_note"')[1].split(">")[0]
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    answer = relay.post(f"/orientations/{referral.id}/orienter", data={
        "csrf_token": token, "version": version, "resource_id": str(town.resource_north.id),
        "note": ORIENTATION_NOTE, "share_report_note": "y"})
    assert answer.status_code == 303
    page = html.unescape(client_as(town.social_north).get(
        f"/structure/orientations/{referral.id}").get_data(as_text=True))
    assert REPORT_NOTE in page


# --- 12. an erased id is a 410 only to those who could see it -------------------------------

def test_an_erased_id_is_410_only_to_those_who_could_see_it(db, client_as):
    town = make_town()
    referral = followed(town, phone="06 11 22 33 44")
    contact, _ = service.log_contact(town.relay_north_user, referral.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
        "reached": True})
    privacy.oppose(town.coordinator_north, referral.resident_id)
    resident = referral.resident_id
    could = [town.coordinator_north, town.city_wide, town.relay_north_user]
    could_not = [town.coordinator_south, town.relay_south_user, town.social_north]
    later_contact = {"id": str(uuid.uuid4()), "at": clock.now().isoformat(),
                     "channel": "phone", "reached": False}
    replayed_report = {"id": str(referral.id), "resident": {
        "first_name": "Mireille", "lat": IN_NORTH[1], "lon": IN_NORTH[0]},
        "category": "sante--sante-mentale", "consent": True}
    for users, erased in ((could, True), (could_not, False)):
        for user in users:
            client = client_as(user)
            read = client.get(f"/api/v1/referrals/{referral.id}", headers=api_headers())
            assert read.status_code == (410 if erased else 404), user.email
            if user.role in ("relay", "coordinator"):
                answers = [
                    client.post(f"/api/v1/referrals/{referral.id}/contacts", json=later_contact,
                                headers=api_headers()),
                    client.post(f"/api/v1/referrals/{referral.id}/transitions",
                                json={"to": "reported", "reason": "x"}, headers=api_headers()),
                    client.post("/api/v1/referrals", headers=api_headers(), json={
                        "resident_id": str(resident), "category": "mobilite",
                        "consent": True})]
                wanted = (410, 410, 410) if erased else (404, 404, 422)
                assert tuple(a.status_code for a in answers) == wanted, user.email
                # The phone's own replay of the report: 410; anyone else's, not theirs.
                replay = client.post("/api/v1/referrals", json=replayed_report,
                                     headers=api_headers())
                assert replay.status_code == (410 if erased else 422), user.email
            if user.role == "coordinator":
                page = client.get(f"/personnes/{resident}/export.json")
                assert page.status_code == (410 if erased else 404), user.email
    assert contact.id is not None


# --- 12. users create --territory: a code or an id ------------------------------------------

def test_users_create_takes_a_territory_code_or_id(app, db):
    town = make_town()
    runner = app.test_cli_runner()

    def create(email, *territories):
        options = [value for t in territories for value in ("--territory", t)]
        return runner.invoke(args=["users", "create", email, "--role", "coordinator",
                                   "--password", "une phrase de passe solide", *options])

    by_code = create("nord@test.bienveilleurs.fr", "NORD", str(town.south.id))
    assert by_code.exit_code == 0, by_code.output
    user = db.scalar(select(User).where(User.email == "nord@test.bienveilleurs.fr"))
    assert sorted(t.code for t in user.territories) == ["NORD", "SUD"]
    unknown = create("inconnu@test.bienveilleurs.fr", "NORD", "EST", str(uuid.uuid4()))
    assert unknown.exit_code == 1
    assert "Aucun territoire n'a pour code ou identifiant « EST »" in unknown.output
    assert "Codes connus : NORD, SUD." in unknown.output
    assert db.scalar(select(User).where(User.email == "inconnu@test.bienveilleurs.fr")) is None
