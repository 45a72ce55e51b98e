"""The referral pages of relays, coordinators and social workers, through the test client.

Forms with CSRF, errors from the service shown on the page with their status, forbidden
moves, scoping (a relay never sees another relay's people), and the whole lifecycle walked
through the pages.
"""

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Contact, Referral, ReferralEvent, Resident
from bienveilleurs.services import referrals as service

from .conftest import api_headers
from .factories import make_relay, make_resource, make_territory, make_user
from .referral_helpers import CATEGORY, LAT, LON, bring_to, make_world, new_referral

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|'
                   r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def world(db):
    return make_world()


def token(client):
    """A CSRF token of the client's session (any signed-in page carries one)."""
    html = client.get("/").get_data(as_text=True)
    match = TOKEN.search(html)
    return match.group(1) or match.group(2)


def post(client, path, data, *, prefix=""):
    return client.post(path, data={f"{prefix}csrf_token": token(client), **data})


def text(response):
    return unescape(response.get_data(as_text=True))


def row(referral_id):
    db.session.expire_all()
    return db.session.get(Referral, referral_id)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def report_form(**overrides):
    data = {"id": "", "first_name": "Mireille", "pseudonym": "", "category": CATEGORY,
            "lat": str(LAT), "lon": str(LON), "languages": "fr, ar", "phone": "06 12 34 56 78",
            "audiences": ["seniors"], "newcomer": "y", "note": "Vit seule depuis l'hiver.",
            "consent": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def move_url(blueprint, referral_id, to):
    prefix = {"relay": "", "coordination": "/coordination", "structure": "/structure"}[blueprint]
    return f"{prefix}/orientations/{referral_id}/etat/{to}"


def move(client, blueprint, referral_id, to, **fields):
    return post(client, move_url(blueprint, referral_id, to),
                {f"{to}-{name}": value for name, value in fields.items()}, prefix=f"{to}-")


# --- report ----------------------------------------------------------------------------------

def test_report_form_keeps_the_outbox_contract(world, client_as):
    page = text(client_as(world.relay_user).get("/signaler"))
    form = re.search(r'<form[^>]*data-outbox="referral"[^>]*>', page).group(0)
    assert 'method="post"' in form
    assert re.search(r'<input id="id" name="id" type="hidden" value="">', page)
    for name in ("first_name", "pseudonym", "lat", "lon", "languages", "phone", "newcomer",
                 "category", "note", "consent"):
        assert f'name="{name}"' in page, name
    assert 'name="audiences"' in page
    assert "La personne a été informée et ne s'oppose pas" in page
    assert "Utiliser ma position" in page
    # The need select is grouped by top-level category.
    assert re.search(r'<optgroup label="Santé">.*value="sante--sante-mentale"', page, re.S)


def test_a_relay_reports_a_person(world, client_as):
    relay = client_as(world.relay_user)
    response = post(relay, "/signaler", report_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/mes-personnes")
    referral = db.session.scalars(select(Referral)).one()
    assert referral.status == "reported" and referral.reporter_id == world.relay_user.id
    resident = referral.resident
    assert (resident.first_name, resident.languages, resident.audiences, resident.newcomer) == (
        "Mireille", ["ar", "fr"], ["seniors"], True)
    assert resident.consent_by_id == world.relay_user.id and resident.consent_at is not None
    assert "Signalement enregistré" in text(relay.get("/mes-personnes"))


@pytest.mark.parametrize("overrides,status,field,message", [
    ({"consent": None}, 422, "consent", "informée et ne pas s'être opposée"),
    ({"first_name": ""}, 422, "first_name", "Indiquez un prénom ou un pseudonyme."),
    ({"category": ""}, 422, "category", "Choisissez le besoin principal."),
    ({"lat": "", "lon": ""}, 422, "lat", "utilisez votre position"),
    ({"phone": "pas un numéro"}, 422, "phone", "Le numéro de téléphone n'est pas valide"),
    ({"lat": "48.8566", "lon": "2.3522"}, 422, "lat", "en dehors du territoire desservi"),
    ({"languages": "français"}, 422, "languages", "Langue inconnue"),
    ({"category": "pas-un-code"}, 422, "category", "Catégorie inconnue"),
])
def test_report_errors_are_shown_on_the_field_and_nothing_is_written(
        world, client_as, overrides, status, field, message):
    relay = client_as(world.relay_user)
    response = post(relay, "/signaler", report_form(**overrides))
    assert response.status_code == status
    page = text(response)
    assert 'class="error-summary" role="alert"' in page
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1), page[:3000]
    assert count(Resident) == 0 and count(Referral) == 0
    # What was typed is kept (first name, when given).
    if overrides.get("first_name") != "":
        assert 'value="Mireille"' in page


def test_every_empty_required_field_is_said_at_once(world, client_as):
    response = post(client_as(world.relay_user), "/signaler", {"note": "Seule."})
    assert response.status_code == 422
    page = text(response)
    for field in ("first_name", "category", "lat", "consent"):
        assert f'id="{field}-error"' in page, field
    assert 'href="#consent"' in page  # the summary links to each field
    assert count(Referral) == 0


def test_report_without_csrf_is_refused(world, client_as):
    relay = client_as(world.relay_user)
    response = relay.post("/signaler", data=report_form())
    assert response.status_code == 400
    assert count(Referral) == 0


def test_report_with_a_client_id_is_idempotent_and_matches_the_api(world, client_as):
    relay = client_as(world.relay_user)
    client_id = str(uuid.uuid4())
    assert post(relay, "/signaler", report_form(id=client_id)).status_code == 303
    assert post(relay, "/signaler", report_form(id=client_id)).status_code == 303
    assert "déjà enregistré" in text(relay.get("/mes-personnes"))
    assert count(Referral) == 1 and str(db.session.scalars(select(Referral.id)).one()) == client_id
    # The outbox sends the same values as JSON: recognised as the same record (200, not 201).
    body = {"id": client_id, "category": CATEGORY, "note": "Vit seule depuis l'hiver.",
            "consent": True,
            "resident": {"first_name": "Mireille", "lat": LAT, "lon": LON,
                         "languages": ["fr", "ar"], "phone": "06 12 34 56 78",
                         "audiences": ["seniors"], "newcomer": True}}
    replay = relay.post("/api/v1/referrals", json=body, headers=api_headers())
    assert replay.status_code == 200, replay.json
    assert replay.json["id"] == client_id
    # Other content under the same id is refused, on the page too.
    response = post(relay, "/signaler", report_form(id=client_id, first_name="Autre"))
    assert response.status_code == 422
    assert "déjà servi pour un contenu différent" in text(response)
    assert count(Referral) == 1


def test_a_coordinator_may_report_too(world, client_as):
    coordinator = client_as(world.coordinator)
    response = post(coordinator, "/signaler", report_form())
    assert response.status_code == 303
    referral = db.session.scalars(select(Referral)).one()
    assert response.headers["Location"].endswith(f"/coordination/orientations/{referral.id}")


# --- my people and scoping -------------------------------------------------------------------

def test_my_people_shows_mine_with_the_next_step_and_reported_ones_as_status(world, client_as):
    # Assigned to world.relay by the coordinator (reported by another relay).
    assigned = bring_to(world, new_referral(world, by=world.reporter), "assigned")
    contacted = bring_to(world, new_referral(world, resident={
        "first_name": "Odette", "lat": LAT, "lon": LON}), "contacted")
    # world.relay_user reported Gaston, who went to another relay.
    gaston = new_referral(world, by=world.relay_user,
                          resident={"first_name": "Gaston", "lat": LAT, "lon": LON})
    service.transition(world.coordinator, gaston.id, "assigned", relay_id=world.other_relay.id)
    # Another relay's person never shows.
    other = new_referral(world, resident={"first_name": "Hortense", "lat": LAT, "lon": LON})
    service.transition(world.coordinator, other.id, "assigned", relay_id=world.other_relay.id)

    page = text(client_as(world.relay_user).get("/mes-personnes"))
    assert "Mireille" in page and "Odette" in page
    assert "Prendre contact avec la personne" in page and "Orienter vers une ressource" in page
    assert f"/orientations/{contacted.id}/orienter" in page
    assert f"/orientations/{assigned.id}/contact" in page
    # Reported by me, followed by someone else: the status, and the name as I typed it.
    assert "Hortense" not in page
    section = page.split("Personnes que j'ai signalées", 1)[1]
    assert "Gaston" in section
    assert "Attribuée" in section and f"/orientations/{gaston.id}" in section


def test_a_relay_never_opens_another_relays_person(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")  # world.relay's
    other = client_as(world.other_relay_user)
    for path in (f"/orientations/{referral.id}", f"/orientations/{referral.id}/contact",
                 f"/orientations/{referral.id}/orienter"):
        assert other.get(path).status_code == 404, path
    before = row(referral.id).version
    response = move(other, "relay", referral.id, "closed", outcome="helped", version=before)
    assert response.status_code == 404
    assert row(referral.id).status == "contacted" and row(referral.id).version == before


def test_the_reporter_sees_only_the_status_of_a_referral_gone_to_another_relay(world, client_as):
    referral = new_referral(world, by=world.reporter)
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.relay.id)
    service.log_contact(world.relay_user, referral.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "visit",
        "reached": True, "note": "Thé partagé."})
    reporter = client_as(world.reporter)
    response = reporter.get(f"/orientations/{referral.id}")
    assert response.status_code == 200
    page = text(response)
    assert "Contact établi" in page and "vous voyez seulement" in page
    # The name is the one the reporter typed (test_reported_name.py): shown; nothing else.
    assert "<h1>Mireille</h1>" in page
    for private in ("Thé partagé", "06 12 34 56 78", "Vit seule", "Rémi Relais", f"{LAT:.5f}"):
        assert private not in page, private
    assert reporter.get(f"/orientations/{referral.id}/contact").status_code == 403


# --- the referral page -----------------------------------------------------------------------

def action_targets(html):
    return set(re.findall(r'/orientations/[0-9a-f-]+/etat/(\w+)"', html))


PAGE_PREFIX = {"relay": "", "coordination": "/coordination", "structure": "/structure"}
# In which statuses each reader opens a referral the coordinator walked (assigned to world.relay,
# sent to world.resource).
SEES = {"coordination": {"reported", "assigned", "contacted", "referred", "accepted", "closed"},
        "relay": {"assigned", "contacted", "referred", "accepted", "closed"},
        "structure": {"referred", "accepted", "closed"}}


@pytest.mark.parametrize("status", ["reported", "assigned", "contacted", "referred", "accepted",
                                    "closed"])
def test_the_buttons_are_the_moves_of_the_transition_table(world, client_as, status):
    referral = bring_to(world, new_referral(world), status)
    for user, blueprint in ((world.coordinator, "coordination"), (world.relay_user, "relay"),
                            (world.social, "structure")):
        response = client_as(user).get(f"{PAGE_PREFIX[blueprint]}/orientations/{referral.id}")
        db.session.expire_all()
        if status not in SEES[blueprint]:
            assert response.status_code == 404
            continue
        assert response.status_code == 200
        moves = service.available_moves(user, row(referral.id))
        wanted = {m.target for m in moves}
        if blueprint == "relay":
            wanted.discard("referred")  # the relay chooses the resource on the orient page
        assert action_targets(text(response)) == wanted


def test_timeline_shows_who_when_and_hides_professional_notes_from_relays(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    with clock.frozen(clock.now().replace(month=1, day=15, hour=9, minute=5, second=0,
                                          microsecond=0)):
        service.transition(world.coordinator, referral.id, "referred",
                           resource_id=world.resource.id, note="Antécédents connus du CMP.",
                           note_professional=True)
    relay_page = text(client_as(world.relay_user).get(f"/orientations/{referral.id}"))
    coordinator_page = text(client_as(world.coordinator).get(
        f"/coordination/orientations/{referral.id}"))
    social_page = text(client_as(world.social).get(f"/structure/orientations/{referral.id}"))
    assert "Antécédents connus du CMP." not in relay_page
    assert "Antécédents connus du CMP." in coordinator_page
    assert "Antécédents connus du CMP." in social_page
    # Europe/Paris time (UTC+1 in January), from → to labels, the actor.
    assert "15/01" in relay_page and "à 10:05" in relay_page
    assert "Contact établi <span aria-hidden=\"true\">→</span>" in relay_page
    assert "Coralie Coordination" in relay_page
    # Oldest first.
    referred = '→</span><span class="visually-hidden">, puis</span> Orientée'
    assert relay_page.index("Signalée</strong>") < relay_page.index(referred)


def test_social_workers_see_what_the_referral_needs_only(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    service.log_contact(world.relay_user, referral.id, {
        "id": str(uuid.uuid4()), "at": clock.now().isoformat(), "channel": "phone",
        "reached": True, "note": "Appel du soir."})
    service.transition(world.relay_user, referral.id, "referred", resource_id=world.resource.id)
    page = text(client_as(world.social).get(f"/structure/orientations/{referral.id}"))
    assert "Mireille" in page and "Rémi Relais" in page
    assert world.relay_user.email in page  # how to reach the relay
    for private in ("Appel du soir.", "06 12 34 56 78", f"{LAT:.5f}", "Contacts"):
        assert private not in page, private
    other = client_as(world.other_social)
    assert other.get(f"/structure/orientations/{referral.id}").status_code == 404


# --- moves from the pages: errors and forbidden moves ----------------------------------------

def test_a_forbidden_move_is_403_and_changes_nothing(world, client_as):
    referral = bring_to(world, new_referral(world), "closed")
    before = row(referral.id).version
    relay = client_as(world.relay_user)
    response = move(relay, "relay", referral.id, "reported", reason_text="Erreur", version=before)
    assert response.status_code == 403
    assert "Votre rôle ne permet pas" in text(response)
    assert row(referral.id).status == "closed" and row(referral.id).version == before


def test_an_invalid_transition_is_409_and_changes_nothing(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    before = row(referral.id).version
    response = move(client_as(world.coordinator), "coordination", referral.id, "accepted",
                    version=before)
    assert response.status_code == 409
    assert "Impossible de passer" in text(response)
    assert row(referral.id).status == "assigned" and row(referral.id).version == before


def test_a_stale_version_is_409_with_the_current_state_shown(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    stale = row(referral.id).version
    service.transition(world.coordinator, referral.id, "contacted")  # someone else moved it
    response = move(client_as(world.coordinator), "coordination", referral.id, "closed",
                    outcome="duplicate", version=stale)
    assert response.status_code == 409
    page = text(response)
    assert "modifié entre-temps" in page and "Contact établi" in page
    assert row(referral.id).status == "contacted"


def test_a_missing_field_is_shown_next_to_it(world, client_as):
    referral = bring_to(world, new_referral(world), "accepted")
    response = move(client_as(world.social), "structure", referral.id, "closed",
                    version=row(referral.id).version)
    assert response.status_code == 400
    assert re.search(r'<p class="error" id="closed-outcome-error">Choisissez l\'issue.</p>',
                     text(response))
    assert row(referral.id).status == "accepted"


def test_unknown_target_status_is_404(world, client_as):
    referral = new_referral(world)
    response = move(client_as(world.coordinator), "coordination", referral.id, "bogus")
    assert response.status_code == 404


def test_move_without_csrf_is_refused(world, client_as):
    referral = new_referral(world)
    response = client_as(world.coordinator).post(
        move_url("coordination", referral.id, "closed"), data={"closed-outcome": "duplicate"})
    assert response.status_code == 400
    assert row(referral.id).status == "reported"


# --- contact and orient ----------------------------------------------------------------------

def test_contact_form_keeps_the_outbox_contract(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    with clock.frozen(clock.now().replace(month=7, day=14, hour=8, minute=30, second=0,
                                          microsecond=0)):
        page = text(client_as(world.relay_user).get(f"/orientations/{referral.id}/contact"))
    assert re.search(r'<form[^>]*data-outbox="contact"', page)
    assert re.search(r'<input id="id" name="id" type="hidden" value="">', page)
    assert f'name="referral_id" type="hidden" value="{referral.id}"' in page
    # Europe/Paris, summer time.
    assert re.search(r'name="at" type="datetime-local" value="\d{4}-07-14T10:30"', page)
    for value, label in (("visit", "Visite"), ("phone", "Appel"), ("meeting", "Rencontre"),
                         ("message", "Message")):
        assert re.search(rf'name="channel" type="radio" value="{value}"', page) and label in page
    assert 'name="reached" type="radio" value="true"' in page
    assert 'name="reached" type="radio" value="false"' in page


def test_a_reached_contact_moves_the_referral_to_contacted(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    relay = client_as(world.relay_user)
    at = clock.local(clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    client_id = str(uuid.uuid4())
    data = {"id": client_id, "referral_id": str(referral.id), "at": at, "channel": "visit",
            "reached": "true", "note": "Café partagé."}
    response = post(relay, f"/orientations/{referral.id}/contact", data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orientations/{referral.id}")
    assert row(referral.id).status == "contacted"
    contact = db.session.get(Contact, uuid.UUID(client_id))
    assert (contact.channel, contact.reached, contact.note) == ("visit", True, "Café partagé.")
    assert abs(contact.at - (clock.now() - timedelta(hours=2))) < timedelta(minutes=2)
    # The same contact again (the outbox replays it): nothing new.
    assert post(relay, f"/orientations/{referral.id}/contact", data).status_code == 303
    assert count(Contact) == 1
    page = text(relay.get(f"/orientations/{referral.id}"))
    assert "déjà noté" in page and "Café partagé." in page and "personne jointe" in page


def test_contact_errors(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    relay = client_as(world.relay_user)
    response = post(relay, f"/orientations/{referral.id}/contact",
                    {"at": "", "channel": "visit", "note": ""})
    assert response.status_code == 422
    assert "Indiquez la date et l'heure du contact." in text(response)
    assert "Indiquez si vous avez pu parler à la personne." in text(response)
    response = post(relay, f"/orientations/{referral.id}/contact",
                    {"at": "hier", "channel": "visit", "reached": "true"})
    assert response.status_code == 422 and 'id="at-error"' in text(response)
    future = clock.local(clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = post(relay, f"/orientations/{referral.id}/contact",
                    {"at": future, "channel": "visit", "reached": "true"})
    assert response.status_code == 422
    assert re.search(r'id="at-error">La date du contact est dans le futur.', text(response))
    yesterday = clock.local(clock.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = post(relay, f"/orientations/{referral.id}/contact",
                    {"at": yesterday, "channel": "fax", "reached": "false"})
    assert response.status_code == 422 and "Le moyen de contact doit valoir" in text(response)
    assert count(Contact) == 0 and row(referral.id).status == "assigned"


def test_orient_proposes_the_nearest_fitting_resources_and_refers(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    far = make_resource(categories=(CATEGORY,), lat=LAT + 0.02, name="Loin d'ici")
    unrelated = make_resource(categories=("numerique",), lat=LAT + 0.0005,
                              name="Atelier numérique")
    relay = client_as(world.relay_user)
    page = text(relay.get(f"/orientations/{referral.id}/orienter"))
    names = re.findall(r"<strong>([^<]+)</strong>(?:(?!</li>).)*?"
                       r"<span class=\"distance\">([^<]+)</span>", page, re.S)
    assert [n for n, _ in names][:3] == [world.resource.name, world.other_resource.name, far.name]
    assert names[0][1] == "111 m à vol d'oiseau"  # 0.001° of latitude, no street network
    assert unrelated.name not in page
    assert 'data-features="orient-features"' in page or "orient-features" in page
    # Nothing chosen: said next to the list.
    version = row(referral.id).version
    response = post(relay, f"/orientations/{referral.id}/orienter", {"version": str(version)})
    assert response.status_code == 400 and "Choisissez une ressource." in text(response)
    response = post(relay, f"/orientations/{referral.id}/orienter",
                    {"resource_id": str(world.resource.id), "version": str(version),
                     "note": "Préfère le matin."})
    assert response.status_code == 303
    referral = row(referral.id)
    assert referral.status == "referred" and referral.resource_id == world.resource.id


def test_orient_is_not_offered_before_a_contact(world, client_as):
    referral = bring_to(world, new_referral(world), "assigned")
    page = text(client_as(world.relay_user).get(f"/orientations/{referral.id}/orienter"))
    assert "ne peut pas être envoyée à une ressource maintenant" in page
    assert 'name="resource_id"' not in page


# --- coordinators ----------------------------------------------------------------------------

def test_inbox_proposes_relays_and_assigns_in_one_click(world, client_as):
    referral = new_referral(world, resident={"first_name": "Mireille", "lat": LAT, "lon": LON,
                                             "languages": ["ar"]})
    speaker = make_relay(lat=LAT + 0.004, radius_m=2000, languages=["ar", "fr"],
                         display_name="Samira (parle arabe)")
    coordinator = client_as(world.coordinator)
    page = text(coordinator.get("/coordination/a-attribuer"))
    assert "Mireille" in page
    proposals = re.findall(r"<strong>([^<]+)</strong>\s*<span class=\"distance\">", page)
    assert proposals[0] == speaker.display_name  # shared language first, though farther
    assert "parle ar" in page
    response = post(coordinator, f"/coordination/orientations/{referral.id}/attribuer",
                    {"relay_id": str(world.relay.id), "version": "1", "back": "inbox"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/coordination/a-attribuer")
    assert row(referral.id).status == "assigned" and row(referral.id).relay_id == world.relay.id
    page = text(coordinator.get("/coordination/a-attribuer"))
    assert "Mireille" not in page.split("Signalées, à attribuer")[1].split("Refusées")[0]


def test_one_click_assign_conflicts_are_409_on_the_inbox(world, client_as):
    referral = new_referral(world)
    full = make_relay(capacity=0, display_name="Complet")
    coordinator = client_as(world.coordinator)
    response = post(coordinator, f"/coordination/orientations/{referral.id}/attribuer",
                    {"relay_id": str(full.id), "version": "1", "back": "inbox"})
    assert response.status_code == 409
    assert "son maximum" in text(response) and "<h1>À attribuer</h1>" in text(response)
    service.transition(world.coordinator, referral.id, "assigned", relay_id=world.other_relay.id)
    response = post(coordinator, f"/coordination/orientations/{referral.id}/attribuer",
                    {"relay_id": str(world.relay.id), "version": "1", "back": "stale"})
    assert response.status_code == 409 and "modifié entre-temps" in text(response)
    assert row(referral.id).relay_id == world.other_relay.id


def test_a_declined_referral_comes_back_with_the_next_best_resources(world, client_as):
    referral = bring_to(world, new_referral(world), "referred")  # to world.resource
    social = client_as(world.social)
    response = move(social, "structure", referral.id, "contacted", reason="declined",
                    note="Plus de place.", version=row(referral.id).version)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/structure/orientations")  # out of their scope
    assert row(referral.id).status == "contacted" and row(referral.id).resource_id is None
    page = text(client_as(world.coordinator).get("/coordination/a-attribuer"))
    returned = page.split("Refusées ou sans réponse", 1)[1]
    assert "Mireille" in returned and "Refusée par la structure" in returned
    assert f"par « {world.resource.name} »" in returned and "Plus de place." in returned
    proposed = re.findall(r'name="resource_id" value="([0-9a-f-]+)"', returned)
    assert str(world.other_resource.id) in proposed and str(world.resource.id) not in proposed
    coordinator = client_as(world.coordinator)
    response = post(coordinator, f"/coordination/orientations/{referral.id}/orienter",
                    {"resource_id": str(world.other_resource.id),
                     "version": str(row(referral.id).version), "back": "inbox"})
    assert response.status_code == 303
    assert row(referral.id).status == "referred"
    assert row(referral.id).resource_id == world.other_resource.id


def test_stale_list_shows_the_age_and_reassigns(world, client_as):
    with clock.frozen(clock.now() - timedelta(days=9)):
        referral = bring_to(world, new_referral(world), "assigned")
    fresh = new_referral(world, resident={"first_name": "Récente", "lat": LAT, "lon": LON})
    coordinator = client_as(world.coordinator)
    page = text(coordinator.get("/coordination/en-attente"))
    assert "Mireille" in page and "Pas de contact depuis l'attribution" in page
    assert "9 j" in page and "Récente" not in page
    response = post(coordinator, f"/coordination/orientations/{referral.id}/attribuer",
                    {"relay_id": str(world.other_relay.id),
                     "version": str(row(referral.id).version), "back": "stale"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/coordination/en-attente")
    assert row(referral.id).relay_id == world.other_relay.id
    assert row(fresh.id).status == "reported"


def test_close_and_reopen_from_the_coordinators_referral_page(world, client_as):
    referral = bring_to(world, new_referral(world), "contacted")
    coordinator = client_as(world.coordinator)
    page = text(coordinator.get(f"/coordination/orientations/{referral.id}"))
    close_form = page.split('id="move-closed"')[1].split("</form>")[0]
    outcomes = re.findall(r'<option value="(\w+)">', close_form)
    assert set(outcomes) == set(service.OUTCOMES_WITHOUT_RESOURCE)
    response = move(coordinator, "coordination", referral.id, "closed", outcome="no_longer_needed",
                    version=row(referral.id).version)
    assert response.status_code == 303
    assert (row(referral.id).status, row(referral.id).outcome) == ("closed", "no_longer_needed")
    response = move(coordinator, "coordination", referral.id, "reported", reason_text="Rechute",
                    version=row(referral.id).version)
    assert response.status_code == 303
    assert row(referral.id).status == "reported"
    last = db.session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
                              .order_by(ReferralEvent.id.desc())).first()
    assert last.reason == "Rechute" and last.actor_id == world.coordinator.id


def test_coordinators_see_only_their_territories(world, client_as):
    north = make_territory(polygon=[(0.10, 49.52), (0.12, 49.52), (0.12, 49.53), (0.10, 49.53)])
    centre = make_territory()  # covers LAT, LON
    nadia = make_user(role="coordinator", territories=[north])
    make_user(role="coordinator", territories=[centre])
    referral = new_referral(world)
    page = text(client_as(nadia).get("/coordination/a-attribuer"))
    assert "Mireille" not in page
    assert client_as(nadia).get(f"/coordination/orientations/{referral.id}").status_code == 404
    assert "Mireille" not in text(client_as(nadia).get("/coordination/carte"))


def test_map_of_open_referrals_has_a_list_beside_it(world, client_as):
    open_one = bring_to(world, new_referral(world), "assigned")
    closed = bring_to(world, new_referral(world, resident={"first_name": "Close", "lat": LAT,
                                                           "lon": LON}), "closed")
    page = text(client_as(world.coordinator).get("/coordination/carte"))
    assert "Mireille" in page and "Close" not in page
    assert f"/coordination/orientations/{open_one.id}" in page
    assert f"/coordination/orientations/{closed.id}" not in page
    assert '<ol class="results">' in page
    assert 'data-source="/coordination/carte/points"' in page  # the map asks for its view
    features = client_as(world.coordinator).get(
        "/coordination/carte/points?zone=0.09,49.48,0.13,49.51&zoom=16").get_json()["features"]
    assert [f["geometry"]["coordinates"] for f in features] == [[LON, LAT]]
    assert features[0]["properties"]["url"].endswith(str(open_one.id))


# --- social workers ----------------------------------------------------------------------------

def test_social_worker_list_accept_and_close(world, client_as):
    referral = bring_to(world, new_referral(world), "referred")
    social = client_as(world.social)
    page = text(social.get("/structure/orientations"))
    assert "Mireille" in page and "À traiter (1)" in page
    assert "Mireille" not in text(client_as(world.other_social).get("/structure/orientations"))
    assert move(social, "structure", referral.id, "accepted",
                version=row(referral.id).version).status_code == 303
    response = move(social, "structure", referral.id, "closed", outcome="helped",
                    version=row(referral.id).version)
    assert response.status_code == 303
    assert (row(referral.id).status, row(referral.id).outcome) == ("closed", "helped")


# --- who may open what -------------------------------------------------------------------------

PAGES = {
    "/signaler": {"relay", "coordinator"},
    "/mes-personnes": {"relay"},
    "/coordination/a-attribuer": {"coordinator"},
    "/coordination/en-attente": {"coordinator"},
    "/coordination/carte": {"coordinator"},
    "/structure/orientations": {"social_worker"},
}


@pytest.mark.parametrize("path", sorted(PAGES))
@pytest.mark.parametrize("role", ["admin", "coordinator", "relay", "social_worker"])
def test_each_page_is_for_its_roles(db, client_as, client, path, role):
    who = make_user(role=role)
    if role == "relay":
        make_relay(user=who)
    response = client_as(who).get(path)
    assert response.status_code == (200 if role in PAGES[path] else 403)
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]


# --- the whole lifecycle through the pages -----------------------------------------------------

def test_whole_lifecycle_through_the_pages(world, client_as):
    relay = client_as(world.relay_user)
    coordinator = client_as(world.coordinator)
    social = client_as(world.social)

    assert post(relay, "/signaler", report_form()).status_code == 303
    referral_id = db.session.scalars(select(Referral.id)).one()
    assert "Mireille" in text(coordinator.get("/coordination/a-attribuer"))

    response = post(coordinator, f"/coordination/orientations/{referral_id}/attribuer",
                    {"relay_id": str(world.relay.id), "version": "1", "back": "inbox"})
    assert response.status_code == 303
    assert "Mireille" in text(relay.get("/mes-personnes"))

    at = clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M")
    assert post(relay, f"/orientations/{referral_id}/contact",
                {"at": at, "channel": "phone", "reached": "true", "note": "Rendez-vous pris."}
                ).status_code == 303
    assert row(referral_id).status == "contacted"

    assert post(relay, f"/orientations/{referral_id}/orienter",
                {"resource_id": str(world.resource.id),
                 "version": str(row(referral_id).version)}).status_code == 303
    assert row(referral_id).status == "referred"

    assert "Mireille" in text(social.get("/structure/orientations"))
    assert move(social, "structure", referral_id, "accepted",
                version=row(referral_id).version).status_code == 303
    assert move(social, "structure", referral_id, "closed", outcome="helped",
                version=row(referral_id).version).status_code == 303

    referral = row(referral_id)
    assert (referral.status, referral.outcome) == ("closed", "helped")
    steps = db.session.execute(select(ReferralEvent.from_status, ReferralEvent.to_status)
                               .where(ReferralEvent.referral_id == referral_id)
                               .order_by(ReferralEvent.id)).all()
    assert [tuple(s) for s in steps] == [(None, "reported"), ("reported", "assigned"),
                                         ("assigned", "contacted"), ("contacted", "referred"),
                                         ("referred", "accepted"), ("accepted", "closed")]
    page = text(relay.get(f"/orientations/{referral_id}"))
    assert "Clôturée" in page and "Aidée" in page


def test_the_reporter_may_take_the_person_on_themselves(world, client_as):
    referral = new_referral(world, by=world.relay_user)
    relay = client_as(world.relay_user)
    page = text(relay.get(f"/orientations/{referral.id}"))
    # Status only until it is theirs (the name is the one they typed).
    assert "M'attribuer" in page and "06 12 34 56 78" not in page
    response = move(relay, "relay", referral.id, "assigned", version=1)
    assert response.status_code == 303
    assert row(referral.id).relay_id == world.relay.id
    page = text(relay.get(f"/orientations/{referral.id}"))
    assert "06 12 34 56 78" in page and "Noter un contact" in page
    # Assigning someone else is not for relays: the service refuses, the page says so.
    other = new_referral(world, by=world.relay_user)
    response = move(relay, "relay", other.id, "assigned", relay_id=str(world.other_relay.id),
                    version=1)
    assert response.status_code == 403 and row(other.id).status == "reported"


def test_pages_after_an_opposition_show_no_personal_data(world, client_as):
    from bienveilleurs.services import privacy
    referral = bring_to(world, new_referral(world), "contacted")
    privacy.oppose(world.coordinator, referral.resident_id)
    coordinator, relay = client_as(world.coordinator), client_as(world.relay_user)
    for client, path in ((coordinator, f"/coordination/orientations/{referral.id}"),
                         (relay, f"/orientations/{referral.id}"), (relay, "/mes-personnes"),
                         (coordinator, "/coordination/carte")):
        response = client.get(path)
        if response.status_code == 200:
            page = text(response)
            for private in ("Mireille", "06 12 34 56 78", f"{LAT:.5f}", "Vit seule"):
                assert private not in page, (path, private)
        else:
            assert response.status_code in (404, 410), path
    # Nothing can be written about the person any more.
    response = post(relay, f"/orientations/{referral.id}/contact",
                    {"at": clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M"),
                     "channel": "visit", "reached": "true"})
    assert response.status_code in (404, 410)
    assert count(Contact) == 0


def test_a_long_inbox_proposes_relays_for_its_first_rows_only(world, client_as, monkeypatch):
    from bienveilleurs.web.coordination import referrals as coordination
    monkeypatch.setattr(coordination, "PROPOSED_ROWS", 1)
    first = new_referral(world)
    second = new_referral(world, resident={"first_name": "Seconde", "lat": LAT, "lon": LON})
    page = text(client_as(world.coordinator).get("/coordination/a-attribuer"))
    assert f"/coordination/orientations/{first.id}/attribuer" in page
    assert f"/coordination/orientations/{second.id}/attribuer" not in page
    assert "Voir les bienveilleurs proposés<span class=\"visually-hidden\"> pour Seconde" in page
