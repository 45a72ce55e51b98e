"""The watch register (API.md, "Check-in campaigns"): consent, who may add, the yearly
re-confirmation, the lapse, the CSV for the mayor, opposition, the right of access."""

from datetime import timedelta

from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.models import AccessLog, Resident, WatchEntry
from bienveilleurs.services import campaigns, privacy

from .campaign_helpers import build_town
from .conftest import api_headers

H = api_headers()


def _entries(db):
    return db.scalar(select(func.count()).select_from(WatchEntry))


def test_adding_needs_the_persons_request_and_writes_nothing_without(db, client_as):
    town = build_town(register=False)
    coordinator = client_as(town.coordinator)
    rid = town.people["Noé"]
    refused = coordinator.post(f"/api/v1/residents/{rid}/watch", json={"reasons": ["over_65"]},
                               headers=H)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "consent_required"
    health = coordinator.post(f"/api/v1/residents/{rid}/watch",
                              json={"consent": True, "reasons": ["diabetes"]}, headers=H)
    assert health.status_code == 422
    assert health.get_json()["error"]["details"][0]["field"] == "reasons"
    wrong_type = coordinator.post(f"/api/v1/residents/{rid}/watch", json={"consent": "yes"},
                                  headers=H)
    assert wrong_type.status_code == 400
    assert _entries(db) == 0
    added = coordinator.post(f"/api/v1/residents/{rid}/watch",
                             json={"consent": True, "reasons": ["over_65", "lives_alone"],
                                   "phone": "02 35 00 00 00"}, headers=H)
    assert added.status_code == 200
    assert added.get_json()["reasons"] == ["lives_alone", "over_65"]
    db.expire_all()
    assert db.get(Resident, rid).phone == "02 35 00 00 00"
    assert coordinator.delete(f"/api/v1/residents/{rid}/watch", headers=H).status_code == 204
    assert _entries(db) == 0


def test_the_persons_relay_may_add_them_another_relay_may_not(db, client_as):
    town = build_town(register=False)
    own = client_as(town.own_relay_user)
    assert own.post(f"/api/v1/residents/{town.people['Odette']}/watch",
                    json={"consent": True}, headers=H).status_code == 200
    # Noé is nobody's yet: a relay who does not accompany him gets 404.
    assert own.post(f"/api/v1/residents/{town.people['Noé']}/watch",
                    json={"consent": True}, headers=H).status_code == 404
    outside = client_as(town.east_coordinator)
    assert outside.post(f"/api/v1/residents/{town.people['Odette']}/watch",
                        json={"consent": True}, headers=H).status_code == 404
    assert client_as("social_worker").post(f"/api/v1/residents/{town.people['Odette']}/watch",
                                           json={"consent": True}, headers=H).status_code == 403
    assert _entries(db) == 1


def test_confirmation_is_activity_and_an_entry_lapses_after_15_months(db):
    town = build_town()
    rid = town.people["Fanny"]
    later = clock.now() + timedelta(days=400)
    with clock.frozen(later):
        rows = campaigns.register_rows(town.coordinator)
        assert {r["resident"].name: r["due"] for r in rows}["Fanny"] is True  # to re-confirm
        campaigns.add_to_register(town.coordinator, rid, {"consent": True})
        db.expire_all()
        assert db.get(Resident, rid).last_contact_at == later
    with clock.frozen(clock.now() + timedelta(days=470)):
        assert campaigns.lapse_entries() == {"lapsed": 2}  # Odette and Noé were not re-confirmed
        rows = campaigns.register_rows(town.coordinator)
        assert [r["resident"].name for r in rows] == ["Fanny"]


def test_the_csv_is_for_admins_and_its_export_is_logged(db, client_as):
    town = build_town()
    assert client_as(town.coordinator).get("/api/v1/watch-register.csv",
                                           headers=H).status_code == 403
    admin = client_as(town.admin)
    response = admin.get("/api/v1/watch-register.csv", headers=H)
    assert response.status_code == 200
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == ("resident_id;first_name;pseudonym;phone;lat;lon;reasons;territory;"
                        "registered_at;confirmed_at")
    assert len(lines) == 4 and any(";Noé;" in line and ";Est;" in line for line in lines)
    assert db.scalar(select(func.count()).select_from(AccessLog).where(
        AccessLog.action == "export", AccessLog.user_id == town.admin.id)) == 1


def test_opposition_removes_the_entry_and_the_export_lists_it(db):
    town = build_town()
    exported = privacy.export_resident(town.coordinator, town.people["Noé"])
    entry = exported["tables"]["watch_entries"]
    assert len(entry) == 1 and entry[0]["reasons"] == ["lives_alone"]
    privacy.oppose(town.coordinator, town.people["Noé"])
    assert db.scalar(select(func.count()).select_from(WatchEntry).where(
        WatchEntry.resident_id == town.people["Noé"])) == 0


def test_retention_removes_the_entry(db):
    build_town()
    with clock.frozen(clock.now() + timedelta(days=3000)):
        privacy.run_retention()
    assert _entries(db) == 0


def test_the_register_page_counts_and_maps_per_territory(db, client_as):
    town = build_town()
    coordinator = client_as(town.coordinator)
    page = coordinator.get("/coordination/registre-de-veille")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<strong data-register-count>3</strong>" in text
    east = coordinator.get(f"/coordination/registre-de-veille?territoire={town.east.id}")
    assert "<strong data-register-count>2</strong>" in east.get_data(as_text=True)
    assert "Odette" not in east.get_data(as_text=True)
    assert coordinator.get("/coordination/registre-de-veille?territoire=abc").status_code == 422
    admin = client_as(town.admin).get("/coordination/registre-de-veille")
    assert "positions approchées" in admin.get_data(as_text=True)


def test_the_persons_page_adds_with_consent(db, client_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    town = build_town(register=False)
    own = client_as(town.own_relay_user)
    rid = town.people["Odette"]
    refused = own.post(f"/personnes/{rid}/veille", data={"reasons": ["over_65"]})
    assert refused.status_code == 422 and "demandé" in refused.get_data(as_text=True)
    assert _entries(db) == 0
    added = own.post(f"/personnes/{rid}/veille", data={"consent": "y", "reasons": ["over_65"]})
    assert added.status_code == 303
    page = own.get(f"/personnes/{rid}/veille").get_data(as_text=True)
    assert "Inscrite au registre" in page and "Plus de 65 ans" in page
    assert own.post(f"/personnes/{rid}/veille/retirer").status_code == 303
    assert _entries(db) == 0
