"""Privacy: the access log and its trigger, opposition (erasure at once, 410 on late replays),
the right-of-access export and page, and its completeness against the schema."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from bienveilleurs import clock
from bienveilleurs.extensions import db as extension_db
from bienveilleurs.models import (
    AccessLog,
    Contact,
    ErasedId,
    FollowUp,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
)
from bienveilleurs.services import privacy
from bienveilleurs.services import referrals as service
from bienveilleurs.services.access_log import record_access
from bienveilleurs.services.evaluation import measures

from ..conftest import api_headers
from ..factories import make_resource, make_structure, make_territory, make_user
from ..referral_helpers import bring_to, make_world, new_referral, report_payload

NOTE = "Vit seule depuis l'hiver."


def _refused(db, statement, match):
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError, match=match):
        db.execute(text(statement))
    savepoint.rollback()


def _log_rows(db, **where):
    db.expire_all()
    statement = select(AccessLog)
    for name, value in where.items():
        statement = statement.where(getattr(AccessLog, name) == value)
    return db.scalars(statement.order_by(AccessLog.id)).all()


# --- the access log -------------------------------------------------------------------------

def test_access_log_is_append_only_and_purged_only_when_old(db):
    user = make_user(role="coordinator")
    record_access(user, "resident.read", "resident", uuid.uuid4())
    db.flush()
    _refused(db, "UPDATE access_log SET action = 'export'", "append-only")
    _refused(db, "DELETE FROM access_log", "DELETE refused outside the retention job")
    savepoint = db.begin_nested()
    db.execute(text("SELECT set_config('bienveilleurs.access_log_days', '365', true)"))
    with pytest.raises(DBAPIError, match="younger than 365 days"):
        db.execute(text("DELETE FROM access_log"))
    savepoint.rollback()
    _refused(db, "TRUNCATE access_log", "TRUNCATE refused")
    assert len(_log_rows(db)) == 1

    db_now = db.scalar(select(func.now()))
    for age in (366, 364):
        db.add(AccessLog(at=db_now - timedelta(days=age), user_id=user.id, action="export"))
    db.flush()
    assert privacy.purge_access_log(365) == 1
    ages = sorted(round((db_now - row.at) / timedelta(days=1)) for row in _log_rows(db))
    assert ages == [0, 364]


def test_access_log_has_no_room_for_names_notes_or_positions(db):
    columns = {c.name for c in AccessLog.__table__.columns}
    assert columns == {"id", "at", "user_id", "action", "object_type", "object_id"}


def test_reading_a_referral_is_logged_and_an_out_of_scope_read_is_not(app, db, client_as):
    world = make_world()
    referral = new_referral(world)
    coordinator = client_as(world.coordinator)
    response = coordinator.get(f"/api/v1/referrals/{referral.id}", headers=api_headers())
    assert response.status_code == 200
    rows = _log_rows(db, action="referral.read")
    assert [(r.user_id, r.object_type, r.object_id) for r in rows] == [
        (world.coordinator.id, "referral", referral.id)]
    other = client_as(world.other_relay_user)
    assert other.get(f"/api/v1/referrals/{referral.id}", headers=api_headers()).status_code == 404
    assert len(_log_rows(db, action="referral.read")) == 1


def test_exports_are_logged(app, db):
    result = app.test_cli_runner().invoke(args=["resources", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = _log_rows(db, action="export")
    assert [(r.object_type, r.user_id) for r in rows] == [("resources", None)]


# --- opposition -----------------------------------------------------------------------------

def _a_followed_person(world):
    """A resident with an assigned, contacted referral (a contact with a note) and a closed one."""
    first = bring_to(world, new_referral(world, note=NOTE), "contacted")
    contact, _ = service.log_contact(world.relay_user, first.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
        "reached": True, "note": "Parle de son fils à Rouen."})
    second, _ = service.report(world.coordinator, {
        "resident_id": str(first.resident_id), "category": "mobilite", "consent": True,
        "note": "Voudrait passer le permis."})
    second = bring_to(world, second, "reported")
    service.transition(world.coordinator, second.id, "closed", outcome="duplicate")
    # The person's own answers at the first contact (services/evaluation/measures.py).
    measures.record_measure(world.relay_user, first.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "moment": "baseline",
        "answered": True, "lacks_company": 2, "left_out": 1, "isolated": 2,
        "networks": ["neighbours"]})
    db_session = extension_db.session
    db_session.expire_all()
    return db_session.get(Resident, first.resident_id), first, second, contact


def test_opposition_erases_now_and_late_replays_get_410(app, db, client_as):
    world = make_world()
    resident, open_referral, closed_referral, contact = _a_followed_person(world)
    load_before = db.scalar(select(Relay.active_referrals).where(Relay.id == world.relay.id))
    assert load_before == 1

    coordinator = client_as(world.coordinator)
    response = coordinator.post(f"/api/v1/residents/{resident.id}/opposition",
                                headers=api_headers())
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["closed_referral_ids"] == [str(open_referral.id)]

    db.expire_all()
    person = db.get(Resident, resident.id)
    assert person.erased_at is not None
    for name in ("first_name", "pseudonym", "phone", "point", "approx_point", "consent_at",
                 "last_contact_at"):
        assert getattr(person, name) is None, name
    assert person.languages == [] and person.audiences == []
    opened = db.get(Referral, open_referral.id)
    assert (opened.status, opened.outcome) == ("closed", "opposed")
    assert db.get(Referral, closed_referral.id).outcome == "duplicate"  # already closed: kept
    last = db.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == opened.id)
                      .order_by(ReferralEvent.id.desc())).first()
    assert (last.to_status, last.outcome, last.reason, last.actor_id) == (
        "closed", "opposed", "opposition", world.coordinator.id)
    assert db.scalar(select(func.count()).select_from(ReferralEvent)
                     .where(ReferralEvent.note.is_not(None))) == 0
    assert db.scalar(select(func.count()).select_from(Contact)
                     .where(Contact.note.is_not(None))) == 0
    assert db.scalar(select(Relay.active_referrals).where(Relay.id == world.relay.id)) == 0
    tombstones = dict(db.execute(select(ErasedId.id, ErasedId.kind)).all())
    assert tombstones == {resident.id: "resident", open_referral.id: "referral",
                          closed_referral.id: "referral", contact.id: "contact"}
    # Statistics still computable: categories and outcomes stay.
    assert sorted(db.execute(select(Referral.category, Referral.outcome)
                             .where(Referral.resident_id == resident.id)).all()) == [
        ("mobilite", "duplicate"), ("sante--sante-mentale", "opposed")]

    relay = client_as(world.relay_user)
    replays = [
        ("/api/v1/referrals", report_payload(id=str(open_referral.id))),
        ("/api/v1/referrals", {"resident_id": str(resident.id), "category": "mobilite",
                               "consent": True}),
        (f"/api/v1/referrals/{open_referral.id}/contacts",
         {"id": str(contact.id), "at": clock.now().isoformat(), "channel": "visit",
          "reached": True}),
        (f"/api/v1/referrals/{open_referral.id}/contacts",
         {"id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
          "reached": False}),
        (f"/api/v1/referrals/{open_referral.id}/transitions", {"to": "reported", "reason": "x"}),
        (f"/api/v1/residents/{resident.id}/opposition", {}),
    ]
    for path, body in replays:
        for client in (relay, coordinator):
            answer = client.post(path, json=body, headers=api_headers())
            assert answer.status_code == 410, (path, answer.get_data(as_text=True))
            assert answer.get_json()["error"]["code"] == "resident_erased"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Resident)) == 1
    assert db.scalar(select(func.count()).select_from(Contact)) == 1


def test_opposition_by_the_assigned_relay(app, db, client_as):
    world = make_world()
    referral = bring_to(world, new_referral(world), "assigned")
    response = client_as(world.relay_user).post(
        f"/api/v1/residents/{referral.resident_id}/opposition", headers=api_headers())
    assert response.status_code == 200
    db.expire_all()
    assert db.get(Resident, referral.resident_id).erased_at is not None


def test_who_may_not_record_an_opposition(app, db, client_as):
    world = make_world()
    referral = bring_to(world, new_referral(world, by=world.reporter), "assigned")
    far = make_territory(polygon=[(0.20, 49.60), (0.21, 49.60), (0.21, 49.61), (0.20, 49.61)])
    far_coordinator = make_user(role="coordinator", territories=[far])
    expected = [(world.other_relay_user, 404), (world.reporter, 403), (world.social, 403),
                (world.admin, 403), (far_coordinator, 404)]
    for user, status in expected:
        response = client_as(user).post(f"/api/v1/residents/{referral.resident_id}/opposition",
                                        headers=api_headers())
        assert response.status_code == status, user.role
    assert client_as(world.coordinator).post(
        f"/api/v1/residents/{uuid.uuid4()}/opposition", headers=api_headers()).status_code == 404
    assert client_as(world.coordinator).post(
        "/api/v1/residents/pas-un-uuid/opposition", headers=api_headers()).status_code == 404
    db.expire_all()
    assert db.get(Resident, referral.resident_id).erased_at is None
    assert db.scalar(select(func.count()).select_from(ErasedId)) == 0


def _csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_coordinator_page_shows_the_file_and_the_opposition_button(app, db, client_as):
    world = make_world()
    resident, referral, _, _ = _a_followed_person(world)
    coordinator = client_as(world.coordinator)
    page = coordinator.get(f"/personnes/{resident.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Mireille" in html and "Parle de son fils à Rouen." in html
    assert "Vit seule depuis l&#39;hiver." in html
    assert "Effacer les données de la personne" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert [r.object_id for r in _log_rows(db, action="resident.read")] == [resident.id]

    # Without the confirmation box: nothing happens.
    refused = coordinator.post(f"/personnes/{resident.id}/opposition",
                               data={"csrf_token": _csrf(html)}, follow_redirects=True)
    assert "Cochez la case" in refused.get_data(as_text=True)
    # Without the CSRF token: refused.
    assert coordinator.post(f"/personnes/{resident.id}/opposition",
                            data={"confirm": "y"}).status_code == 400
    db.expire_all()
    assert db.get(Resident, resident.id).erased_at is None

    done = coordinator.post(f"/personnes/{resident.id}/opposition",
                            data={"csrf_token": _csrf(html), "confirm": "y"})
    assert done.status_code == 303
    db.expire_all()
    assert db.get(Resident, resident.id).erased_at is not None
    # A city-wide coordinator opening the tombstone sees that nothing is left.
    after = coordinator.get(f"/personnes/{resident.id}").get_data(as_text=True)
    assert "ont été effacées" in after and "Mireille" not in after


@pytest.mark.parametrize("role", ["relay", "social_worker", "admin"])
def test_resident_page_and_export_are_for_coordinators_only(app, db, client_as, role):
    world = make_world()
    referral = bring_to(world, new_referral(world), "referred")
    user = {"relay": world.relay_user, "social_worker": world.social, "admin": world.admin}[role]
    client = client_as(user)
    for path in (f"/personnes/{referral.resident_id}",
                 f"/personnes/{referral.resident_id}/export.json"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Mireille" not in response.get_data(as_text=True)


def test_coordinator_outside_the_territory_gets_404(app, db, client_as):
    world = make_world()
    referral = new_referral(world)
    far = make_territory(polygon=[(0.20, 49.60), (0.21, 49.60), (0.21, 49.61), (0.20, 49.61)])
    client = client_as(make_user(role="coordinator", territories=[far]))
    for path in (f"/personnes/{referral.resident_id}",
                 f"/personnes/{referral.resident_id}/export.json", f"/personnes/{uuid.uuid4()}"):
        assert client.get(path).status_code == 404, path


# --- right of access ------------------------------------------------------------------------

def test_export_is_a_download_of_everything_and_is_logged(app, db, client_as):
    world = make_world()
    resident, referral, closed, contact = _a_followed_person(world)
    client = client_as(world.coordinator)
    client.get(f"/api/v1/referrals/{referral.id}", headers=api_headers())  # one more read to list
    response = client.get(f"/personnes/{resident.id}/export.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Mireille" not in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    tables = document["tables"]
    assert set(tables) == set(privacy.PERSONAL_DATA) | {"access_log"}
    assert tables["residents"][0]["first_name"] == "Mireille"
    assert tables["residents"][0]["phone"] == "06 12 34 56 78"
    assert {r["id"] for r in tables["referrals"]} == {str(referral.id), str(closed.id)}
    assert [c["note"] for c in tables["contacts"]] == ["Parle de son fils à Rouen."]
    assert NOTE in [e["note"] for e in tables["referral_events"]]
    assert {"referral.read"} <= {a["action"] for a in tables["access_log"]}
    assert [r.object_id for r in _log_rows(db, action="resident.export")] == [resident.id]


def _tables_referring_to_residents(db):
    """Every table with a foreign key to residents, directly or through another such table."""
    edges = db.execute(text("""
        SELECT DISTINCT tc.table_name AS child, ccu.table_name AS parent
        FROM information_schema.table_constraints tc
        JOIN information_schema.constraint_column_usage ccu
          ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
        WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'
    """)).all()
    found, grew = {"residents"}, True
    while grew:
        grew = False
        for child, parent in edges:
            if parent in found and child not in found:
                found.add(child)
                grew = True
    return found


def test_every_table_about_residents_is_exported_and_covered_by_retention(db):
    tables = _tables_referring_to_residents(db)
    assert {"residents", "referrals", "referral_events", "contacts"} <= tables
    missing = sorted(tables - set(privacy.PERSONAL_DATA))
    assert not missing, (
        f"Table(s) {', '.join(missing)} refer to residents but are not in "
        "services/privacy.PERSONAL_DATA: add them (rows about a resident, what erasure and "
        "anonymisation do to each column) so that the export and the retention job cover them.")
    inspector = inspect(db.get_bind())
    for name, entry in privacy.PERSONAL_DATA.items():
        columns = {c["name"] for c in inspector.get_columns(name)}
        classified = entry.keep | set(entry.erase)
        assert set(entry.anonymise) <= set(entry.erase), name
        unclassified = sorted(columns - classified)
        assert not unclassified, (
            f"Column(s) {', '.join(f'{name}.{c}' for c in unclassified)} are not classified in "
            "services/privacy.PERSONAL_DATA: list each under `keep` or `erase`/`anonymise`.")
        assert not classified - columns, f"{name}: unknown columns {sorted(classified - columns)}"


def _called_during_a_heatwave(world, resident):
    """On the watch register, called once in a campaign (its rows are about the person)."""
    from bienveilleurs.models import CampaignCheck
    from bienveilleurs.services import campaigns
    campaigns.add_to_register(world.coordinator, resident.id, {"consent": True,
                                                               "reasons": ["over_65"]})
    launched = campaigns.launch(world.coordinator, {
        "id": str(uuid.uuid4()), "kind": "heatwave", "title": "Canicule",
        "deadline": (clock.now() + timedelta(hours=2)).isoformat()})
    check = extension_db.session.scalar(select(CampaignCheck).where(
        CampaignCheck.resident_id == resident.id))
    campaigns.record_call(world.coordinator, launched.campaign.id, check.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
        "outcome": "ok", "note": "Va bien, a de l'eau."})


def test_export_carries_every_column_of_every_row_about_the_person(db):
    world = make_world()
    resident, referral, closed, contact = _a_followed_person(world)
    # Orientated to a structure without an account: its one-time link is about the person too.
    unstaffed = make_structure(contact_email="accueil@test.bienveilleurs.fr")
    resource = make_resource(structure=unstaffed, categories=(referral.category,))
    service.transition(world.relay_user, referral.id, "referred", resource_id=resource.id)
    # A call-back after a closure (scheduled by a closure "helped"; written here directly).
    db.add(FollowUp(referral_id=closed.id, relay_id=world.relay.id, closed_at=clock.now(),
                    due_on=clock.now().date()))
    db.flush()
    _called_during_a_heatwave(world, resident)
    file = privacy.resident_file(db.get(Resident, resident.id))
    counts = {"residents": 1, "referrals": 2, "contacts": 1}
    for name, entry in privacy.PERSONAL_DATA.items():
        rows = file[name]
        expected_rows = counts.get(name) or db.scalar(
            select(func.count()).select_from(entry.model).where(entry.about([resident.id])))
        assert len(rows) == expected_rows and (rows or name == "notification_attempts"), name
        expected = {c.name for c in entry.table.columns} - entry.internal
        for row in rows:
            assert set(row) == expected, name


def test_openapi_documents_the_opposition(client_as):
    paths = client_as("relay").get("/api/v1/openapi.json",
                                   headers=api_headers()).get_json()["paths"]
    operation = paths["/api/v1/residents/{id}/opposition"]["post"]
    assert {"200", "403", "404", "410"} <= set(operation["responses"])


def test_referral_pages_log_the_read(app, db, client_as):
    world = make_world()
    referral = bring_to(world, new_referral(world), "assigned")
    for user, path in [(world.coordinator, f"/coordination/orientations/{referral.id}"),
                       (world.relay_user, f"/orientations/{referral.id}")]:
        assert client_as(user).get(path).status_code == 200, path
    rows = _log_rows(db, action="referral.read", object_id=referral.id)
    assert {r.user_id for r in rows} == {world.coordinator.id, world.relay_user.id}
