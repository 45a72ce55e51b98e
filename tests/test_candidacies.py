"""Becoming a relay (API.md, "Becoming a relay"): the stage table, the public form and its
abuse protection, the candidate's link, scope, retention, the charter, trainings,
activation, the indicators' data and the import of existing relays."""

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from bienveilleurs import clock
from bienveilleurs.config import setting
from bienveilleurs.errors import InvalidTransition, NotFound
from bienveilleurs.extensions import db as ext
from bienveilleurs.models import (
    STAGES,
    AccountToken,
    Candidacy,
    CandidacyEvent,
    CharterSignature,
    Notification,
    Relay,
    TrainingParticipant,
    User,
)
from bienveilleurs.services import privacy
from bienveilleurs.services.candidacies import (
    activation,
    charter,
    milestones,
    pipeline,
    public,
    retention,
    table,
    trainings,
)

from .candidacy_helpers import (
    IN_NORTH,
    IN_SOUTH,
    NORTH,
    SOUTH,
    confirmed,
    form,
    mails,
    secret_of,
    submit,
)
from .conftest import api_headers
from .factories import make_relay, make_territory, make_user

API_MD = Path(__file__).resolve().parents[2] / "shared" / "API.md"


@pytest.fixture
def town(db):
    north = make_territory(name="Nord", code="NORD", polygon=NORTH)
    south = make_territory(name="Sud", code="SUD", polygon=SOUTH)
    return {"north": north, "south": south,
            "inside": make_user(role="coordinator", territories=[north]),
            "outside": make_user(role="coordinator", territories=[south]),
            "admin": make_user(role="admin")}


def get(model, row_id):
    return ext.session.get(model, row_id, populate_existing=True)


def scalar(statement):
    return ext.session.scalar(statement)


def scalars(statement):
    return ext.session.scalars(statement)


def count(model):
    return ext.session.scalar(select(func.count()).select_from(model))


def publish(admin, text_md="# Charte\n\nJe respecte les personnes."):
    return charter.publish(admin, {"text_md": text_md})


# --- the stage table ------------------------------------------------------------------------

def test_the_stage_table_is_the_stage_list_of_api_md():
    expected = {
        ("submitted", "confirmed"): {"candidate"},
        ("confirmed", "met"): {"coordinator"},
        ("met", "charter_signed"): {"coordinator", "candidate"},
        ("charter_signed", "trained"): {"coordinator"},
        ("trained", "active"): {"coordinator"},
        **{(s, "declined"): {"coordinator"} for s in table.OPEN_STAGES},
        **{(s, "withdrawn"): {"candidate", "coordinator"} for s in table.OPEN_STAGES},
    }
    assert {pair: set(move.actors) for pair, move in table.MOVES.items()} == expected
    assert table.MOVES[("confirmed", "declined")].needs == ("reason",)
    assert STAGES == table.PATH + ("declined", "withdrawn")


@pytest.mark.skipif(not API_MD.is_file(), reason="API.md absent (shared/ not beside the project)")
def test_the_stage_names_are_those_of_api_md_in_order():
    text_md = API_MD.read_text(encoding="utf-8")
    section = text_md[text_md.index("### Becoming a relay"):]
    stages_line = section[section.index("- Stages, and who moves them"):section.index(
        "- Retention")]
    named = list(dict.fromkeys(re.findall(r"`([a-z_]+)`", stages_line)))
    assert named == list(STAGES)


def test_a_move_not_in_the_table_is_refused(town):
    candidacy = confirmed()
    with pytest.raises(InvalidTransition):
        pipeline.move(town["inside"], candidacy.id, "trained")
    with pytest.raises(InvalidTransition):  # the charter is signed through its own step
        pipeline.move(town["inside"], candidacy.id, "charter_signed")
    assert get(Candidacy, candidacy.id).stage == "confirmed"


# --- the public form ------------------------------------------------------------------------

def test_the_public_page_needs_no_account_and_shows_the_charter(client, town):
    publish(town["admin"], "# La charte\n\n<script>alert(1)</script> **Bienveillance**")
    page = client.get("/devenir-bienveilleur")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>Bienveillance</strong>" in body and "<script>alert" not in body
    assert 'name="website"' in body and "hidden" in body


def test_an_offer_through_the_api_is_accepted_then_confirmed_by_the_link(client, town):
    answer = client.post("/api/v1/candidacies", json=form(lat=None, lon=None) | {
        "lat": IN_NORTH[1], "lon": IN_NORTH[0]})
    assert answer.status_code == 202, answer.get_json()
    candidacy = scalar(select(Candidacy))
    assert candidacy.stage == "submitted" and candidacy.first_name == "Nadia"
    [mail] = mails("candidacy_confirm", "nadia@exemple.fr")
    assert "Nadia" in mail.body_text and "06 12" not in mail.body_text
    # Opening the link confirms nothing (mail scanners open links): the button does.
    link = client.get(mail.link_path)
    assert link.status_code == 303 and secret_of("candidacy_confirm", "nadia@exemple.fr") \
        not in link.headers["Location"]
    page = client.get("/candidature")
    assert "Confirmer ma candidature" in page.get_data(as_text=True)
    assert get(Candidacy, candidacy.id).stage == "submitted"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]
    assert client.post("/candidature/confirmer", data={"csrf_token": token}).status_code == 303
    candidacy = get(Candidacy, candidacy.id)
    assert candidacy.stage == "confirmed" and candidacy.territory_id == town["north"].id
    assert {n.recipient_user_id for n in mails("candidacy_confirmed")} == {town["inside"].id}


def test_a_flood_from_one_address_is_429_and_writes_no_candidacy(client, town):
    statuses = []
    for n in range(14):
        response = client.post("/api/v1/candidacies", json=form(email=f"flot{n}@exemple.fr"),
                               environ_base={"REMOTE_ADDR": "198.51.100.9"})
        statuses.append(response.status_code)
    assert statuses[:12] == [202] * 12
    assert statuses[12:] == [429, 429]
    assert int(response.headers["Retry-After"]) >= 1
    assert response.get_json()["error"]["code"] == "throttled"
    assert count(Candidacy) == 12
    # Another address is not held back.
    other = client.post("/api/v1/candidacies", json=form(email="autre@exemple.fr"),
                        environ_base={"REMOTE_ADDR": "198.51.100.10"})
    assert other.status_code == 202


def test_many_offers_for_one_address_do_not_send_the_mail_again_and_again(client, town):
    answers = set()
    for n in range(10):
        response = client.post("/api/v1/candidacies", json=form(first_name=f"Nadia{n}"),
                               environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"})
        answers.add((response.status_code, json.dumps(response.get_json(), sort_keys=True)))
    assert len(answers) == 1 and next(iter(answers))[0] == 202
    assert count(Candidacy) == 1
    assert len(mails("candidacy_confirm", "nadia@exemple.fr")) == setting(
        "CANDIDACY_FREE_REQUESTS")
    # Only the newest link works: the older ones were replaced.
    assert scalar(select(func.count()).select_from(AccountToken)
                     .where(AccountToken.purpose == "candidacy")) == 1


def test_a_confirmed_address_gets_the_same_answer_and_no_mail(client, town):
    confirmed()
    sent = len(mails("candidacy_confirm"))
    response = client.post("/api/v1/candidacies", json=form(first_name="Autre"))
    assert response.status_code == 202
    assert len(mails("candidacy_confirm")) == sent
    assert scalar(select(Candidacy.first_name)) == "Nadia"


def test_a_filled_honeypot_is_dropped_in_silence(client, town):
    kept = client.post("/api/v1/candidacies", json=form(email="vrai@exemple.fr"))
    dropped = client.post("/api/v1/candidacies", json=form(website="http://spam.example"))
    assert dropped.status_code == kept.status_code == 202
    assert dropped.get_json() == kept.get_json()
    assert [c.email for c in scalars(select(Candidacy))] == ["vrai@exemple.fr"]
    assert mails("candidacy_confirm", "nadia@exemple.fr") == []


def test_the_page_drops_a_filled_honeypot_with_the_same_answer(app, db, town, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    client = app.test_client()
    data = {k: v for k, v in form().items() if k != "languages"} | {"consent": "y"}
    human = client.post("/devenir-bienveilleur", data=data | {"email": "h@exemple.fr"})
    robot = client.post("/devenir-bienveilleur", data=data | {"website": "x"})
    assert human.status_code == robot.status_code == 303
    assert human.headers["Location"] == robot.headers["Location"]
    assert [c.email for c in scalars(select(Candidacy))] == ["h@exemple.fr"]


@pytest.mark.parametrize("field, value", [
    ("first_name", "N" * 81), ("availability", "x" * 501), ("email", "a" * 250 + "@b.fr"),
    ("address", "rue " * 80), ("phone", "0" * 41)])
def test_an_oversized_field_is_a_422_on_that_field_and_writes_nothing(client, town, field,
                                                                       value):
    response = client.post("/api/v1/candidacies", json=form(**{field: value}))
    assert response.status_code == 422
    assert field in {d["field"] for d in response.get_json()["error"]["details"]}
    assert count(Candidacy) == 0 and mails("candidacy_confirm") == []


def test_missing_fields_and_no_consent(client, town):
    missing = client.post("/api/v1/candidacies", json={"email": "x@exemple.fr"})
    assert missing.status_code == 400
    assert {"first_name", "profile", "address", "consent"} <= {
        d["field"] for d in missing.get_json()["error"]["details"]}
    refused = client.post("/api/v1/candidacies", json=form(consent=False))
    assert refused.status_code == 422 and count(Candidacy) == 0


def test_without_a_geocoder_the_map_tap_remains(client, town):
    only_address = form(lat=None, lon=None, address="12 rue de Paris")
    response = client.post("/api/v1/candidacies", json=only_address)
    assert response.status_code == 422
    [detail] = response.get_json()["error"]["details"]
    assert detail["field"] == "address" and "carte" in detail["message"]
    assert client.post("/api/v1/candidacies", json=form()).status_code == 202


def test_an_address_is_placed_by_the_geocoder(client, town, monkeypatch):
    from .geocoder_stub import ban_stub
    with ban_stub({"paris": (IN_SOUTH[0], IN_SOUTH[1], "12 Rue de Paris")}) as (url, _):
        monkeypatch.setitem(client.application.config, "GEOCODER_URL", url)
        answer = client.post("/api/v1/candidacies",
                             json=form(lat=None, lon=None, address="12 rue de Paris"))
    assert answer.status_code == 202
    candidacy = scalar(select(Candidacy))
    confirm_id = public.open_link(secret_of("candidacy_confirm", "nadia@exemple.fr"))
    public.confirm(confirm_id)
    assert get(Candidacy, candidacy.id).territory_id == town["south"].id


# --- the candidate's link: access, withdrawal, erasure ------------------------------------------

def test_the_candidate_reads_exports_withdraws_and_erases_through_the_link(client, town):
    candidacy = confirmed()
    pipeline.add_note(town["inside"], candidacy.id, {"note": "Très motivée."})
    client.get(f"/candidature/{secret_of('candidacy_confirm', 'nadia@exemple.fr')}")
    page = client.get("/candidature")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    export = client.get("/candidature/mes-donnees")
    document = json.loads(export.get_data(as_text=True))
    assert set(document["tables"]) == set(privacy.CANDIDATE_DATA)
    assert document["tables"]["candidacies"][0]["phone"] == "06 12 34 56 78"
    assert "Très motivée." in [e["note"] for e in document["tables"]["candidacy_events"]]
    assert all("digest" not in row for row in document["tables"]["account_tokens"])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))[1]
    assert client.post("/candidature/retrait", data={"csrf_token": token}).status_code == 303
    assert get(Candidacy, candidacy.id).stage == "withdrawn"
    assert client.post("/candidature/effacement", data={"csrf_token": token}).status_code == 303
    ext.session.expire_all()
    assert count(Candidacy) == 0 and count(CandidacyEvent) == 0 and count(AccountToken) == 0
    assert mails("candidacy_confirm", "nadia@exemple.fr") == []
    assert client.get("/candidature").status_code == 404
    # The anonymous count of the indicator stays.
    day = clock.now()
    assert sum(milestones.candidacies_received(day - timedelta(days=1),
                                               day + timedelta(days=1)).values()) == 1


def test_a_wrong_link_is_a_404(client):
    assert client.get("/candidature/pas-un-vrai-lien").status_code == 404
    assert client.get("/candidature").status_code == 404


# --- scope -----------------------------------------------------------------------------------

def test_only_the_coordinators_of_the_candidates_territory_see_it(client_as, town):
    north = confirmed()
    south = confirmed(email="sud@exemple.fr", first_name="Sami", lat=IN_SOUTH[1],
                      lon=IN_SOUTH[0])
    nowhere = confirmed(email="loin@exemple.fr", first_name="Lou", lat=49.52, lon=0.16)
    city_wide = make_user(role="coordinator")
    inside, outside = client_as(town["inside"]), client_as(town["outside"])
    assert inside.get(f"/reseau/candidatures/{north.id}").status_code == 200
    assert outside.get(f"/reseau/candidatures/{north.id}").status_code == 404
    listing = outside.get("/reseau/candidatures/").get_data(as_text=True)
    assert "Sami" in listing and "Nadia" not in listing and "Lou" not in listing
    wide = client_as(city_wide).get("/reseau/candidatures/").get_data(as_text=True)
    assert {"Nadia", "Sami", "Lou"} <= set(re.findall(r"Nadia|Sami|Lou", wide))
    with pytest.raises(NotFound):
        pipeline.move(town["outside"], north.id, "met")
    assert client_as("relay").get("/reseau/candidatures/").status_code == 403
    assert get(Candidacy, south.id).stage == get(Candidacy, nowhere.id).stage == "confirmed"


def test_an_unconfirmed_candidacy_is_nobodys_yet(client_as, town):
    submit()
    candidacy = scalar(select(Candidacy))
    assert client_as(town["admin"]).get(f"/reseau/candidatures/{candidacy.id}").status_code == 404


# --- retention (with the injectable clock) ---------------------------------------------------

def at(days):
    return datetime(2026, 3, 1, 10, 0, tzinfo=UTC) + timedelta(days=days)


def test_unconfirmed_candidacies_are_purged_after_7_days(town):
    with clock.frozen(at(0)):
        submit()
        submit(email="autre@exemple.fr", address="203.0.113.8")
    with clock.frozen(at(3)):
        public.confirm(public.open_link(secret_of("candidacy_confirm", "autre@exemple.fr")))
    with clock.frozen(at(6)):
        assert retention.purge_candidacies()["unconfirmed_deleted"] == 0
    with clock.frozen(at(7, ) + timedelta(minutes=1)):
        summary = retention.purge_candidacies()
    assert summary["unconfirmed_deleted"] == 1
    assert [c.email for c in scalars(select(Candidacy))] == ["autre@exemple.fr"]
    assert mails("candidacy_confirm", "nadia@exemple.fr") == []
    with clock.frozen(at(8)):
        assert retention.purge_candidacies()["unconfirmed_deleted"] == 0  # idempotent


def test_ended_and_stale_candidacies_follow_the_retention_rules(town):
    with clock.frozen(at(0)):
        declined = confirmed()
        stale = confirmed(email="lent@exemple.fr", first_name="Lent")
        pipeline.move(town["inside"], declined.id, "declined", {"reason": "Pas disponible"})
    with clock.frozen(at(182)):
        assert retention.purge_candidacies()["ended_deleted"] == 0
    with clock.frozen(at(184)):
        assert retention.purge_candidacies()["ended_deleted"] == 1
    with clock.frozen(at(366)):
        summary = retention.purge_candidacies()
    assert summary["stale_flagged"] == 1 and get(Candidacy, stale.id).flagged_at is not None
    assert {n.recipient_user_id for n in mails("candidacy_stale")} == {town["inside"].id}
    with clock.frozen(at(366 + 91)):
        assert retention.purge_candidacies()["stale_deleted"] == 0
    with clock.frozen(at(366 + 93)):
        assert retention.purge_candidacies()["stale_deleted"] == 1
    assert count(Candidacy) == 0


def test_a_move_clears_the_stale_flag(town):
    with clock.frozen(at(0)):
        candidacy = confirmed()
    with clock.frozen(at(366)):
        retention.purge_candidacies()
        pipeline.move(town["inside"], candidacy.id, "met")
    assert get(Candidacy, candidacy.id).flagged_at is None
    with clock.frozen(at(366 + 100)):
        assert retention.purge_candidacies()["stale_deleted"] == 0


# --- charter, trainings, activation ---------------------------------------------------------

def _met(town, **values):
    candidacy = confirmed(**values)
    pipeline.move(town["inside"], candidacy.id, "met", {"note": "Rencontre au café."})
    return candidacy


def test_the_charter_is_rendered_safely():
    html = str(charter.render("# Titre\n\n<img src=x onerror=alert(1)> [lien](javascript:alert(1))"
                              " **gras**\n\n<script>alert(2)</script>"))
    assert "<h1>Titre</h1>" in html and "<strong>gras</strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


def test_signing_at_the_meeting_and_by_link(town):
    version = publish(town["admin"])
    first = _met(town)
    charter.sign_at_meeting(town["inside"], first.id)
    signature = scalar(select(CharterSignature).where(CharterSignature.candidacy_id == first.id))
    assert (signature.version_id, signature.method, signature.witness_id) == (
        version.id, "meeting", town["inside"].id)
    second = _met(town, email="lien@exemple.fr", first_name="Lina")
    charter.send_signing_link(town["inside"], second.id)
    link_id = public.open_link(secret_of("charter_link", "lien@exemple.fr"), "charter")
    charter.sign_by_link(link_id)
    assert get(Candidacy, second.id).stage == "charter_signed"
    with pytest.raises(NotFound):  # one time only
        charter.sign_by_link(link_id)


def test_a_new_version_prompts_an_active_relay_once(app, db, town, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    user = make_user(role="relay", email="remi@exemple.fr")
    make_relay(user=user, lon=IN_NORTH[0], lat=IN_NORTH[1])
    publish(town["admin"])
    client = app.test_client()

    def sign_in():
        client.post("/deconnexion")
        answer = client.post("/connexion", data={"email": user.email,
                                                  "password": "une phrase de passe de test"})
        assert answer.status_code == 303
        return answer.headers["Location"]

    assert sign_in().startswith("/charte?next=")
    assert sign_in() == "/"  # asked once: they keep working
    version, relay, signed = charter.relay_status(user)
    assert not signed and version in charter.unsigned_relays(town["inside"])[0:1]
    assert [r.id for r in charter.unsigned_relays(town["inside"])[1]] == [relay.id]
    client.post("/charte", data={"version_id": str(version.id)})
    assert charter.unsigned_relays(town["inside"])[1] == []
    publish(town["admin"], "# Charte v2")
    assert sign_in().startswith("/charte?next=")


def test_trainings_attendance_skills_and_the_move_to_trained(town):
    publish(town["admin"])
    candidacy = _met(town)
    charter.sign_at_meeting(town["inside"], candidacy.id)
    relay = make_relay(lon=IN_NORTH[0], lat=IN_NORTH[1], skills=["écoute"])
    session = trainings.create_session(town["inside"], {
        "topic": "Repérer l'isolement", "starts_at": "2026-04-02T18:30", "place_name": "Centre",
        "lat": str(IN_NORTH[1]), "lon": str(IN_NORTH[0]), "capacity": "2"}, area=setting(
        "SERVICE_AREA"))
    assert session.starts_at == datetime(2026, 4, 2, 16, 30, tzinfo=UTC)
    trainings.invite(town["inside"], session.id, {"candidacy_ids": [str(candidacy.id)],
                                                  "relay_ids": [str(relay.id)]})
    assert len(mails("training_invitation", "nadia@exemple.fr")) == 1
    for participant in trainings.participants(session):
        trainings.mark_attendance(town["inside"], session.id, participant.id, True)
    assert get(Candidacy, candidacy.id).stage == "trained"
    assert get(Relay, relay.id).skills == ["écoute", "Repérer l'isolement"]
    april = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    assert milestones.relays_trained(*april) == {town["north"].id: 2}
    with pytest.raises(Exception) as full:
        other = confirmed(email="trop@exemple.fr")
        trainings.invite(town["inside"], session.id, {"candidacy_ids": [str(other.id)]})
    assert full.value.status == 409
    with pytest.raises(NotFound):
        trainings.mark_attendance(town["outside"], session.id, participant.id, False)


def test_a_session_outside_ones_territories_is_refused(town):
    with pytest.raises(Exception) as refused:
        trainings.create_session(town["inside"], {
            "topic": "Écoute", "starts_at": "2026-04-02T18:30", "place_name": "Sud",
            "lat": str(IN_SOUTH[1]), "lon": str(IN_SOUTH[0]), "capacity": "5"},
            area=setting("SERVICE_AREA"))
    assert refused.value.status == 422


def test_activation_creates_the_relay_and_sends_the_invitation(town):
    version = publish(town["admin"])
    candidacy = _met(town)
    charter.sign_at_meeting(town["inside"], candidacy.id)
    session = trainings.create_session(town["inside"], {
        "topic": "Écoute active", "starts_at": "2026-04-02T18:30+02:00", "place_name": "Centre",
        "lat": str(IN_NORTH[1]), "lon": str(IN_NORTH[0]), "capacity": "5"},
        area=setting("SERVICE_AREA"))
    trainings.invite(town["inside"], session.id, {"candidacy_ids": [str(candidacy.id)]})
    [participant] = trainings.participants(session)
    trainings.mark_attendance(town["inside"], session.id, participant.id, True)
    record = activation.proposed_profile(get(Candidacy, candidacy.id))
    assert record["skills"] == "Écoute active" and record["languages"] == "fr, ar"
    _, relay, invited = activation.activate(town["inside"], candidacy.id, record,
                                            area=setting("SERVICE_AREA"), max_radius_m=5000)
    assert invited
    candidacy = get(Candidacy, candidacy.id)
    assert candidacy.stage == "active" and candidacy.relay_id == relay.id
    assert (relay.display_name, relay.phone, relay.languages, relay.skills) == (
        "Nadia", "06 12 34 56 78", ["fr", "ar"], ["Écoute active"])
    user = scalar(select(User).where(User.email == "nadia@exemple.fr"))
    assert user.role == "relay" and relay.user_id == user.id
    assert scalar(select(Notification.kind).where(Notification.recipient_user_id == user.id)) \
        == "invitation"
    assert scalar(select(CharterSignature.relay_id).where(
        CharterSignature.version_id == version.id)) == relay.id
    assert scalar(select(TrainingParticipant.relay_id)) == relay.id
    # Active and trained: a relay who signed, and counted once for relays_trained.
    assert charter.unsigned_relays(town["inside"])[1] == []
    april = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    assert milestones.relays_trained(*april) == {town["north"].id: 1}


def test_the_indicator_queries_count_by_territory_and_period(town):
    with clock.frozen(datetime(2026, 3, 10, tzinfo=UTC)):
        confirmed()
        confirmed(email="b@exemple.fr", lat=IN_SOUTH[1], lon=IN_SOUTH[0])
        confirmed(email="c@exemple.fr", lat=49.52, lon=0.16)
    with clock.frozen(datetime(2026, 4, 10, tzinfo=UTC)):
        confirmed(email="d@exemple.fr")
    march = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    assert milestones.candidacies_received(*march) == {
        town["north"].id: 1, town["south"].id: 1, None: 1}


# --- privacy registry -------------------------------------------------------------------------

def test_every_table_about_candidates_is_in_the_registry(db):
    edges = ext.session.execute(text("""
        SELECT DISTINCT tc.table_name AS child, ccu.table_name AS parent
        FROM information_schema.table_constraints tc
        JOIN information_schema.constraint_column_usage ccu
          ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
        WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'""")).all()
    referring = {child for child, parent in edges if parent == "candidacies"} | {"candidacies"}
    missing = sorted(referring - set(privacy.CANDIDATE_DATA))
    assert not missing, f"add {missing} to services/privacy/registry.CANDIDATE_DATA"
    inspector = inspect(ext.session.get_bind())
    for name, entry in privacy.CANDIDATE_DATA.items():
        assert name == entry.table.name
        assert {c["name"] for c in inspector.get_columns(name)} >= entry.internal


# --- the import of existing relays -----------------------------------------------------------

CSV = ("nom;email;telephone;adresse;lat;lon;langues;rayon\n"
       "Rémi;remi@exemple.fr;06 11 22 33 44;;49.495;0.11;fr, ar;800\n"
       "Sans point;sans@exemple.fr;;;;;fr;500\n"
       "Trop loin;loin@exemple.fr;;;49.495;0.11;fr;999999\n"
       "Rémi bis;REMI@exemple.fr;;;49.495;0.11;fr;500\n"
       "=Formule;formule@exemple.fr;;;49.496;0.111;;\n")


def test_relays_are_imported_with_a_preview_and_invited_on_confirmation(town):
    from bienveilleurs.services.relay_import import import_relays
    options = {"area": setting("SERVICE_AREA"), "max_radius_m": 5000}
    ext.session.commit()  # the preview rolls back: what the test made must stay
    preview = import_relays(town["admin"], CSV.encode(), dry_run=True, **options)
    assert (preview.total, preview.created, preview.invited) == (5, 2, 2)
    assert {(line, field) for line, field, _ in preview.rejected} == {
        (3, "lat"), (3, "lon"), (4, "radius_m"), (5, "email")}
    assert count(Relay) == 0 and count(Notification) == 0
    done = import_relays(town["admin"], CSV.encode(), dry_run=False, **options)
    assert (done.created, done.invited, done.applied) == (2, 2, True)
    remi = scalar(select(Relay).where(Relay.display_name == "Rémi"))
    assert (remi.phone, remi.radius_m, remi.languages) == ("06 11 22 33 44", 800, ["fr", "ar"])
    assert scalar(select(Relay.display_name).where(Relay.display_name != "Rémi")) == "=Formule"
    assert {n.kind for n in scalars(select(Notification))} == {"invitation"}


def test_a_file_without_a_name_column_writes_nothing(town):
    from bienveilleurs.services.relay_import import import_relays
    report = import_relays(town["admin"], b"email;lat;lon\na@b.fr;49.49;0.11\n",
                           area=setting("SERVICE_AREA"), max_radius_m=5000, dry_run=False)
    assert report.stopped and count(Relay) == 0


def test_openapi_documents_the_public_endpoint(client):
    paths = client.get("/api/v1/openapi.json", headers=api_headers()).get_json()["paths"]
    operation = paths["/api/v1/candidacies"]["post"]
    assert operation["security"] == [] and {"202", "400", "422", "429"} <= set(
        operation["responses"])


def test_the_import_pages_preview_then_confirm(app, town, client_as, monkeypatch, tmp_path):
    import io
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path))
    admin = client_as(town["admin"])
    ext.session.commit()  # the preview rolls back: what the test made must stay
    upload = admin.post("/admin/import-bienveilleurs/",
                        data={"file": (io.BytesIO(CSV.encode()), "reseau.csv")},
                        content_type="multipart/form-data")
    assert upload.status_code == 303
    preview = admin.get("/admin/import-bienveilleurs/apercu")
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Lignes rejetées" in body
    assert "<td>4</td><td>radius_m</td><td>Le rayon d&#39;action ne peut pas dépasser" in body
    assert re.search(r"<strong>2</strong> bienveilleur\(s\) seraient créé\(s\)", body)
    assert count(Relay) == 0 and count(Notification) == 0
    assert admin.post("/admin/import-bienveilleurs/confirmer").status_code == 303
    assert count(Relay) == 2
    assert len(list(tmp_path.iterdir())) == 0  # the waiting file is gone
    assert client_as(town["inside"]).get("/admin/import-bienveilleurs/").status_code == 403
