"""Referrals in the OpenAPI document: report, read, move, contacts, matches, opposition."""

from ....errors import (
    BadRequest,
    CapacityFull,
    ConsentRequired,
    Forbidden,
    IdempotencyMismatch,
    InvalidTransition,
    NotFound,
    ResidentErased,
    StaleVersion,
    Unauthorized,
    ValidationFailed,
)
from ....models import CHANNELS, OUTCOMES, STATUSES
from ....services.codes import thematiques
from ....services.fields.rules import INTEGER_MAX
from ....services.referrals.table import NAME_MAX, NOTE_MAX, REASON_MAX
from .answers import (
    ID,
    URI_TOO_LONG,
    WRITE_ERRORS,
    _body,
    _errors,
    _link,
    _match_filters,
    _ok,
    _ref,
)
from .values import (
    ANY_TEXT,
    BOOLEAN,
    INTEGER,
    LANGUAGES,
    NULL_TEXT,
    NULL_UUID,
    OUTCOME,
    PHONE_NUMBER,
    STATUS,
    TIME,
    UUID,
    _audiences,
    blank_or_absent,
    coordinates,
    text,
)


def referral_paths():
    referral_links = {
        "GetReferral": _link("getReferral", "L'orientation, son historique et ses contacts"),
        "MoveReferral": _link("moveReferral", "Faire avancer l'orientation"),
        "AddContact": _link("addContact", "Noter un contact avec la personne"),
        "ReferralMatches": _link("referralMatches", "Les propositions pour ce besoin"),
        "OpposeResident": _link("opposeResident", "L'opposition de la personne",
                                "$response.body#/resident_id"),
    }
    after_move = {name: referral_links[name] for name in ("GetReferral", "MoveReferral",
                                                          "AddContact")}
    return {
        "/api/v1/referrals": {"post": {
            "operationId": "createReferral",
            "summary": "Signaler une personne et son besoin (bienveilleur, coordination)",
            "description": "consent: true est obligatoire (la personne a été informée et ne s'est "
                           "pas opposée). Soit resident (une nouvelle personne), soit "
                           "resident_id (une personne connue, dans votre périmètre : sinon 404). "
                           "Un id client (UUID) rend l'appel idempotent : le même id avec le "
                           "même contenu (comparé champ par champ après normalisation) renvoie "
                           "200 et l'orientation telle qu'elle est ; un contenu différent ou un "
                           "autre compte, 422 idempotency_mismatch ; un id effacé, 410.",
            "requestBody": _body("ReferralInput", {
                "resident": {"first_name": "Mireille", "lat": 49.4944, "lon": 0.1079,
                             "languages": ["fr"]},
                "category": "sante--sante-mentale", "note": "Vit seule depuis l'hiver.",
                "consent": True}),
            "responses": {**_ok("Orientation créée", _ref("Referral"), "201",
                                links=referral_links),
                          **_ok("Même id, même contenu : l'orientation existante",
                                _ref("Referral"), links=referral_links),
                          **_errors(*WRITE_ERRORS, NotFound, ResidentErased, ConsentRequired,
                                    IdempotencyMismatch)}}},
        "/api/v1/referrals/{id}": {"get": {
            "operationId": "getReferral",
            "summary": "Une orientation, avec son historique et ses contacts",
            "description": "Hors de votre périmètre : 404. Les notes que vous ne pouvez pas lire "
                           "(notes réservées aux professionnels, pour les bienveilleurs) valent "
                           "null. Le bienveilleur qui a signalé une personne attribuée à un autre "
                           "ne voit que l'état (visibility: status_only).",
            "parameters": [ID],
            "responses": {**_ok("L'orientation", _ref("Referral")),
                          **_errors(Unauthorized, NotFound, ResidentErased)}}},
        "/api/v1/referrals/{id}/transitions": {"post": {
            "operationId": "moveReferral",
            "summary": "Faire avancer une orientation dans son cycle de vie",
            "description": "Voir la table « The lifecycle » d'API.md : ce qu'un changement exige "
                           "(relay_id, version, reason, resource_id, outcome) dépend de l'état "
                           "de départ ; sans lui, 400. Changement absent de la table : 409 "
                           "invalid_transition ; rôle non autorisé : 403 ; version périmée : "
                           "409 stale_version ; bienveilleur au complet : 409 capacity_full. "
                           "Rien n'est modifié en cas d'erreur.",
            "parameters": [ID],
            "requestBody": _body("TransitionInput", {"to": "contacted", "version": 2}),
            "responses": {**_ok("L'orientation après le changement", _ref("Referral"),
                                links=after_move),
                          **_errors(*WRITE_ERRORS, NotFound, InvalidTransition, StaleVersion,
                                    CapacityFull, ResidentErased)}}},
        "/api/v1/referrals/{id}/contacts": {"post": {
            "operationId": "addContact",
            "summary": "Noter un contact avec la personne (bienveilleur attribué, coordination)",
            "description": "Idempotent sur id (UUID client) : même id et même contenu, 200 ; "
                           "contenu différent, 422. `at` ne peut pas être dans le futur. Un "
                           "contact daté d'un moment où son auteur était le bienveilleur "
                           "attribué est accepté même après une réattribution. Le premier "
                           "contact abouti fait passer une orientation attribuée à « contact "
                           "établi ».",
            "parameters": [ID],
            "requestBody": _body("ContactInput", {
                "id": "0b7e0d8e-5b7a-4f44-9c55-1f8c8f1d2a10", "at": "2025-03-14T10:30:00+01:00",
                "channel": "visit", "reached": True, "note": "Café partagé."}),
            "responses": {**_ok("Contact noté", _ref("Contact"), "201"),
                          **_ok("Même id, même contenu : le contact existant", _ref("Contact")),
                          **_errors(*WRITE_ERRORS, NotFound, InvalidTransition, ResidentErased,
                                    IdempotencyMismatch)}}},
        "/api/v1/referrals/{id}/matches": {"get": {
            "operationId": "referralMatches",
            "summary": "Bienveilleurs et ressources pour la personne et le besoin de l'orientation",
            "description": "Même réponse que /api/v1/match, sans mettre la position de la personne "
                           "dans l'URL. Bienveilleurs pour la coordination seulement.",
            "parameters": [ID, *_match_filters()],
            "responses": {**_ok("Résultats", _ref("Match")),
                          **_errors(BadRequest, Unauthorized, Forbidden, NotFound,
                                    ResidentErased, ValidationFailed),
                          **URI_TOO_LONG}}},
    }


def referral_schemas(area):
    person = {
        "type": "object", "required": ["lat", "lon"],
        "anyOf": [{"required": ["first_name"], "properties": {
                       "first_name": text(NAME_MAX, required=True)}},
                  {"required": ["pseudonym"], "properties": {
                      "pseudonym": text(NAME_MAX, required=True)}}],
        "properties": {
            "first_name": text(NAME_MAX), "pseudonym": text(NAME_MAX), **coordinates(area),
            "languages": LANGUAGES, "phone": PHONE_NUMBER, "audiences": _audiences(),
            "newcomer": BOOLEAN},
        "description": "une nouvelle personne : un prénom ou un pseudonyme, son point"}
    common = {"id": {**UUID, "description": "id client : rend l'appel idempotent"},
              "category": {"type": "string", "enum": sorted(thematiques()),
                           "description": "un code thematiques data·inclusion"},
              "note": text(NOTE_MAX), "note_professional": BOOLEAN,
              "reported_at": {**TIME, "description": "l'heure du téléphone pour un signalement "
                                                     "gardé hors ligne : pas dans le futur, au "
                                                     "plus 7 jours avant"},
              "consent": {"const": True, "description": "la personne a été informée et ne s'est "
                                                        "pas opposée"}}
    return {
        "ReferralInput": {
            "type": "object", "required": ["category", "consent"],
            "properties": {**common, "resident": person, "resident_id": UUID},
            "oneOf": [{"required": ["resident"], "properties": {
                          "resident": {"type": "object"}, "resident_id": blank_or_absent()}},
                      {"required": ["resident_id"], "properties": {
                          "resident_id": UUID, "resident": {"type": "null"}}}]},
        "TransitionInput": {
            "type": "object", "required": ["to"],
            "properties": {
                "to": STATUS,
                "version": {"type": "integer", "minimum": -INTEGER_MAX, "maximum": INTEGER_MAX,
                            "description": "la version vue ; obligatoire pour une "
                                           "réattribution"},
                "relay_id": UUID, "resource_id": UUID,
                "reason": text(REASON_MAX, description="declined, no_answer, expired, ou un "
                               "texte court"),
                "outcome": {"type": "string", "enum": [o for o in OUTCOMES if o != "opposed"]},
                "note": text(NOTE_MAX), "note_professional": BOOLEAN,
                "share_report_note": {
                    "type": "boolean", "default": False,
                    "description": "to referred : la structure lit aussi la note du "
                                   "signalement (sinon seulement la note de l'orientation)"}}},
        "ContactInput": {
            "type": "object", "required": ["id", "at", "channel", "reached"],
            "properties": {"id": UUID, "at": {**TIME, "description": "pas dans le futur"},
                           "channel": {"type": "string", "enum": list(CHANNELS)},
                           "reached": BOOLEAN, "note": text(NOTE_MAX)}},
        "Contact": {
            "type": "object", "required": ["id", "at", "channel", "reached"],
            "properties": {
                "id": UUID, "at": TIME, "channel": {"type": "string", "enum": list(CHANNELS)},
                "reached": BOOLEAN, "note": NULL_TEXT,
                "referral": {"type": "object", "properties": {
                    "id": UUID, "status": STATUS, "version": INTEGER}}}},
        "ReferralEvent": {
            "type": "object", "required": ["at", "actor", "from", "to"],
            "properties": {
                "at": TIME,
                "actor": {"type": "object", "properties": {
                    "id": NULL_UUID, "role": ANY_TEXT, "display_name": NULL_TEXT}},
                "from": {"type": ["string", "null"], "enum": [*STATUSES, None]}, "to": STATUS,
                "reason": NULL_TEXT, "note": NULL_TEXT, "outcome": OUTCOME,
                "relay_id": NULL_UUID, "resource_id": NULL_UUID}},
        "Referral": {
            "type": "object", "required": ["id", "status", "outcome", "version"],
            "properties": {
                "id": UUID, "status": STATUS, "outcome": OUTCOME, "category": ANY_TEXT,
                "resident_id": NULL_UUID, "relay_id": NULL_UUID, "resource_id": NULL_UUID,
                "version": {"type": "integer", "minimum": 1}, "created_at": TIME,
                "status_changed_at": TIME,
                "visibility": {"type": ["string", "null"],
                               "enum": ["full", "structure", "status_only", None],
                               "description": "null : l'orientation vient de sortir de votre "
                                              "périmètre (seuls id, status, outcome, version)"},
                "events": {"type": "array", "items": _ref("ReferralEvent")},
                "contacts": {"type": "array", "items": _ref("Contact")}}},
    }
