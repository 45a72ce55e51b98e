"""The evaluation part of the OpenAPI document (API.md, "Follow-up and the person's own
measure of isolation", "Indicators"): data, merged by `openapi.openapi_document`."""

from ....errors import (
    BadRequest,
    Forbidden,
    IdempotencyMismatch,
    InvalidTransition,
    NotFound,
    ResidentErased,
    TooLarge,
    Unauthorized,
    ValidationFailed,
)
from ....models import MOMENTS, NETWORKS
from ....services.evaluation.indicators import INDICATORS

WRITE_ERRORS = (BadRequest, Unauthorized, Forbidden, TooLarge, ValidationFailed)
UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "format": "date-time"}
SCORE = {"type": ["integer", "null"], "minimum": 1, "maximum": 3,
         "description": "1 = presque jamais, 2 = parfois, 3 = souvent"}
DAY = {"type": "string", "format": "date"}
VALUES = {"type": "object", "properties": {name: {"type": ["number", "null"]}
                                           for name in INDICATORS}}
SUPPRESSED = {"type": "array", "items": {"type": "string", "enum": list(INDICATORS)}}
MONTH = "^2[0-9]{3}-(0[1-9]|1[0-2])-"  # the years FIRST_YEAR to LAST_YEAR (2000–2999)


def _period(text):
    """The query of the indicators; `text` is the document's helper for a text."""
    return [
        {"name": "from", "in": "query", "required": True,
         "schema": {**DAY, "pattern": MONTH + "01$"},
         "description": "premier jour d'un mois (fuseau de la ville), de l'an 2000 à 2999"},
        {"name": "to", "in": "query", "required": True,
         "schema": {**DAY, "pattern": MONTH + "(28|29|30|31)$"},
         "description": "dernier jour d'un mois, inclus ; pas avant from, au plus dix ans "
                        "après"},
        {"name": "territory", "in": "query", "required": False,
         "schema": text(60, description="id ou code d'un territoire")},
    ]


def evaluation_paths(ok, errors, body, ref, text):
    """The paths; `ok`, `errors`, `body`, `ref` and `text` are the document's own helpers."""
    period = _period(text)
    return {
        "/api/v1/referrals/{id}/wellbeing": {"post": {
            "operationId": "addWellbeing",
            "summary": "Noter la mesure de l'isolement dite par la personne (UCLA-3, réseaux)",
            "description": "Avec l'accord de la personne, au premier contact (baseline) et au "
                           "rappel après la clôture (follow_up). answered: false = la personne "
                           "ne souhaite pas répondre (ni réponses, ni réseaux). Idempotent sur "
                           "id (UUID client) ; une seule baseline par orientation ; follow_up "
                           "seulement une fois l'orientation clôturée (sinon 409).",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": UUID}],
            "requestBody": body("WellbeingInput", {
                "id": "5f0c8a52-9d51-4c43-a0b7-5d1e2b0c7a11", "at": "2026-11-20T15:00:00+01:00",
                "moment": "baseline", "answered": True, "lacks_company": 3, "left_out": 2,
                "isolated": 3, "networks": ["family"]}),
            "responses": {**ok("Mesure notée", ref("Wellbeing"), "201"),
                          **ok("Même id, même contenu : la mesure existante", ref("Wellbeing")),
                          **errors(*WRITE_ERRORS, NotFound, InvalidTransition, ResidentErased,
                                   IdempotencyMismatch)}}},
        "/api/v1/me/follow-ups": {"get": {
            "operationId": "getMyFollowUps",
            "summary": "Les rappels dus et à venir du bienveilleur",
            "responses": {**ok("Les rappels", ref("FollowUps")),
                          **errors(Unauthorized, Forbidden)}}},
        "/api/v1/indicators": {"get": {
            "operationId": "getIndicators",
            "summary": "Indicateurs de réalisation et d'effet par territoire (mois entiers)",
            "description": "Administration, observation, coordination (ses territoires ; "
                           "sans territoire : tous). Un effectif de 1 à min_cell − 1 vaut null "
                           "et figure dans suppressed.",
            "parameters": period,
            "responses": {**ok("Les indicateurs", ref("Indicators")),
                          **errors(BadRequest, Unauthorized, Forbidden, NotFound,
                                   ValidationFailed)}}},
        "/api/v1/indicators.csv": {"get": {
            "operationId": "getIndicatorsCsv",
            "summary": "Les mêmes indicateurs en CSV (;, UTF-8 avec BOM, « s » si masqué)",
            "parameters": period,
            "responses": {"200": {"description": "Le fichier CSV",
                                  "content": {"text/csv": {"schema": {"type": "string"}}}},
                          **errors(BadRequest, Unauthorized, Forbidden, NotFound,
                                   ValidationFailed)}}},
    }


def evaluation_schemas():
    measure = {"id": UUID, "at": {**TIME, "description": "pas dans le futur"},
               "moment": {"type": "string", "enum": list(MOMENTS)},
               "answered": {"type": "boolean"}, "lacks_company": SCORE, "left_out": SCORE,
               "isolated": SCORE,
               "networks": {"type": "array", "maxItems": len(NETWORKS),
                            "description": "un réseau donné deux fois compte une fois",
                            "items": {"type": "string", "enum": list(NETWORKS)}}}
    scores = ("lacks_company", "left_out", "isolated")
    # answered: the three scores, each 1 to 3; not answered: no score and no network.
    answers = {"oneOf": [
        {"required": list(scores), "properties": {
            "answered": {"const": True}, **{name: {"type": "integer"} for name in scores}}},
        {"properties": {"answered": {"const": False}, "networks": {"maxItems": 0},
                        **{name: {"not": {"type": "integer"}} for name in scores}}}]}
    return {
        "WellbeingInput": {"type": "object", "required": ["id", "at", "moment", "answered"],
                           "properties": measure, **answers},
        "Wellbeing": {"type": "object", "required": ["id", "moment", "answered"],
                      "properties": {**measure, "referral_id": UUID}},
        "FollowUps": {"type": "object", "properties": {"follow_ups": {
            "type": "array", "items": {"type": "object", "properties": {
                "referral_id": UUID, "due": DAY, "pseudonym": {"type": "string"},
                "late": {"type": "boolean"}}}}}},
        "Indicators": {
            "type": "object", "required": ["from", "to", "min_cell", "territories", "all"],
            "properties": {
                "from": DAY, "to": DAY, "min_cell": {"type": "integer"},
                "territories": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": ["string", "null"], "format": "uuid"},
                    "code": {"type": ["string", "null"]}, "name": {"type": "string"},
                    "values": VALUES, "suppressed": SUPPRESSED}}},
                "all": {"type": "object", "properties": {"values": VALUES,
                                                         "suppressed": SUPPRESSED}}}},
    }
