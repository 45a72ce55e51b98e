"""The OpenAPI paths and schemas of the watch register and check-in campaigns (API.md,
"Check-in campaigns"); openapi.py merges them into the document."""

from ...errors import (
    BadRequest,
    ConsentRequired,
    Forbidden,
    IdempotencyMismatch,
    NotFound,
    ResidentErased,
    Unauthorized,
    ValidationFailed,
)
from ...models import (
    CALL_CHANNELS,
    CALL_OUTCOMES,
    CAMPAIGN_KINDS,
    CAMPAIGN_STATUSES,
    CHECK_STATUSES,
    WATCH_REASONS,
)

_UUID = {"type": "string", "format": "uuid"}
_NULL_UUID = {"type": ["string", "null"], "format": "uuid"}
_TIME = {"type": "string", "format": "date-time"}
_NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
_ID = {"name": "id", "in": "path", "required": True, "schema": _UUID}
_CHECK_ID = {"name": "check_id", "in": "path", "required": True, "schema": _UUID}
_COUNTS = {"type": "object", "properties": {s: {"type": "integer"} for s in CHECK_STATUSES}}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*error_classes):
    return {str(e.status): {"description": e.default_message,
                            "content": {"application/json": {"schema": _ref("Error")}}}
            for e in error_classes}


def _ok(description, schema=None, status="200"):
    answer = {"description": description}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": schema}}
    return {status: answer}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _csv(description):
    return {"200": {"description": description, "content": {"text/csv": {}}}}


_LAUNCH = {"type": "object", "required": ["id", "kind", "title", "deadline"], "properties": {
    "id": _UUID, "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
    "title": {"type": "string", "maxLength": 200}, "deadline": _TIME,
    "territory_ids": {"type": "array", "items": _UUID}}}
_WRITE_ERRORS = (BadRequest, Unauthorized, Forbidden, NotFound, ValidationFailed)

CAMPAIGN_PATHS = {
    "/api/v1/residents/{id}/watch": {
        "post": {
            "summary": "Inscrire la personne au registre de veille, à sa demande, ou "
                       "reconfirmer (coordination du secteur, bienveilleur qui l'accompagne)",
            "parameters": [_ID],
            "requestBody": _body({"type": "object", "required": ["consent"], "properties": {
                "consent": {"const": True},
                "reasons": {"type": "array", "items": {"enum": list(WATCH_REASONS)}},
                "phone": {"type": ["string", "null"]}}}),
            "responses": {**_ok("Inscrite", _ref("WatchEntry")),
                          **_errors(*_WRITE_ERRORS, ConsentRequired, ResidentErased)},
        },
        "delete": {
            "summary": "Retirer la personne du registre de veille",
            "parameters": [_ID],
            "responses": {"204": {"description": "Retirée"},
                          **_errors(Unauthorized, Forbidden, NotFound)},
        },
    },
    "/api/v1/watch-register.csv": {
        "get": {"summary": "Le registre de veille pour le maire ou le préfet (administrateurs ; "
                           "export journalisé)",
                "responses": {**_csv("resident_id;first_name;pseudonym;phone;lat;lon;reasons;"
                                     "territory;registered_at;confirmed_at"),
                              **_errors(Unauthorized, Forbidden)}},
    },
    "/api/v1/campaigns": {
        "get": {"summary": "Les veilles visibles (coordination : ses territoires ; "
                           "bienveilleur : celles où il a des appels)",
                "responses": {**_ok("Les veilles", {"type": "object", "properties": {
                    "campaigns": {"type": "array", "items": _ref("Campaign")}}}),
                    **_errors(Unauthorized)}},
        "post": {"summary": "Lancer une veille (coordination) : un appel par personne inscrite, "
                            "créés en une transaction ; le même id renvoie la même veille",
                 "requestBody": _body(_LAUNCH),
                 "responses": {**_ok("Lancée", _ref("Launched"), "201"),
                               **_ok("Déjà lancée (même id)", _ref("Launched")),
                               **_errors(*_WRITE_ERRORS, IdempotencyMismatch)}},
    },
    "/api/v1/campaigns/preview": {
        "post": {"summary": "Aperçu d'un lancement, sans rien écrire",
                 "requestBody": _body({**_LAUNCH, "required": ["kind", "title", "deadline"]}),
                 "responses": {**_ok("Combien de personnes, par qui", {
                     "type": "object", "properties": {k: {"type": "integer"} for k in (
                         "people", "own_relay", "nearest_relay", "unassigned",
                         "in_other_campaign")}}), **_errors(*_WRITE_ERRORS)}},
    },
    "/api/v1/campaigns/{id}": {
        "get": {"summary": "Une veille : état, échéance, comptes par statut et par territoire",
                "parameters": [_ID],
                "responses": {**_ok("La veille", _ref("Campaign")),
                              **_errors(Unauthorized, NotFound)}},
    },
    "/api/v1/campaigns/{id}/checks": {
        "get": {"summary": "Les appels (coordination : son secteur ; bienveilleur : les siens) ; "
                           "chaque lecture est journalisée",
                "parameters": [_ID],
                "responses": {**_ok("Les appels", {"type": "object", "properties": {
                    "checks": {"type": "array", "items": _ref("Check")}}}),
                    **_errors(Unauthorized, NotFound)}},
    },
    "/api/v1/campaigns/{id}/checks/{check_id}/assign": {
        "post": {"summary": "Attribuer un appel à un bienveilleur (coordination)",
                 "parameters": [_ID, _CHECK_ID],
                 "requestBody": _body({"type": "object", "properties": {"relay_id": _NULL_UUID}}),
                 "responses": {**_ok("Attribué"), **_errors(*_WRITE_ERRORS)}},
    },
    "/api/v1/campaigns/{id}/checks/{check_id}/calls": {
        "post": {"summary": "Noter un appel ou une visite (le bienveilleur de l'appel, la "
                            "coordination) ; idempotent sur l'id du téléphone",
                 "parameters": [_ID, _CHECK_ID],
                 "requestBody": _body({"type": "object",
                                       "required": ["id", "at", "channel", "outcome"],
                                       "properties": {
                                           "id": _UUID, "at": _TIME,
                                           "channel": {"enum": list(CALL_CHANNELS)},
                                           "outcome": {"enum": list(CALL_OUTCOMES)},
                                           "note": {"type": ["string", "null"]}}}),
                 "responses": {**_ok("Noté", status="201"), **_ok("Déjà noté (même id)"),
                               **_errors(*_WRITE_ERRORS, IdempotencyMismatch, ResidentErased)}},
    },
    "/api/v1/campaigns/{id}/close": {
        "post": {"summary": "Clore la veille (les appels en retard sont encore reçus, plus "
                            "aucune escalade)",
                 "parameters": [_ID],
                 "responses": {**_ok("Close", _ref("Campaign")),
                               **_errors(Unauthorized, Forbidden, NotFound)}},
    },
    "/api/v1/campaigns/{id}.csv": {
        "get": {"summary": "Bilan par territoire et statut (aucune personne)",
                "parameters": [_ID],
                "responses": {**_csv("territory_code;territory_name;" + ";".join(CHECK_STATUSES)
                                     + ";total"), **_errors(Unauthorized, NotFound)}},
    },
}

CAMPAIGN_SCHEMAS = {
    "WatchEntry": {"type": "object", "properties": {
        "resident_id": _UUID, "reasons": {"type": "array", "items": {"enum": list(WATCH_REASONS)}},
        "registered_at": _TIME, "confirmed_at": _TIME}},
    "Launched": {"type": "object", "required": ["id", "checks_total", "unassigned"],
                 "properties": {"id": _UUID, "checks_total": {"type": "integer"},
                                "unassigned": {"type": "integer"}}},
    "Campaign": {"type": "object", "properties": {
        "id": _UUID, "kind": {"enum": list(CAMPAIGN_KINDS)}, "title": {"type": "string"},
        "status": {"enum": list(CAMPAIGN_STATUSES)}, "deadline": _TIME,
        "created_at": _TIME, "closed_at": _NULL_TIME,
        "territory_ids": {"type": "array", "items": _UUID}, "counts": _COUNTS,
        "territories": {"type": "array", "items": {"type": "object", "properties": {
            "id": _NULL_UUID, "name": {"type": "string"}, "code": {"type": ["string", "null"]},
            "counts": _COUNTS}}},
        "checks_total": {"type": "integer"}, "unassigned": {"type": "integer"}}},
    "Check": {"type": "object", "properties": {
        "id": _UUID, "status": {"enum": list(CHECK_STATUSES)}, "attempts": {"type": "integer"},
        "relay_id": _NULL_UUID, "pseudonym": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]}, "lat": {"type": ["number", "null"]},
        "lon": {"type": ["number", "null"]}, "last_call_at": _NULL_TIME}},
}
