"""The watch register and check-in campaigns in the OpenAPI document (API.md, "Check-in
campaigns"): their operations and schemas, merged into the one document by the package."""

from ....errors import (
    ConsentRequired,
    Forbidden,
    IdempotencyMismatch,
    NotFound,
    ResidentErased,
    Unauthorized,
)
from ....models import (
    CALL_CHANNELS,
    CALL_OUTCOMES,
    CAMPAIGN_KINDS,
    CAMPAIGN_STATUSES,
    CHECK_STATUSES,
    WATCH_REASONS,
)
from ....services.campaigns.calls import NOTE_MAX
from .answers import ID, WRITE_ERRORS, _body, _errors, _link, _ok, _ref
from .values import INTEGER, NULL_TEXT, NULL_UUID, PHONE_NUMBER, TIME, UUID, codes, text

CHECK_ID = {"name": "check_id", "in": "path", "required": True, "schema": UUID}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}
COUNTS = {"type": "object", "required": list(CHECK_STATUSES),
          "properties": {status: {"type": "integer", "minimum": 0} for status in CHECK_STATUSES}}
EXAMPLE_ID = "5d0c7c1e-2f3a-4b6d-9e8f-0a1b2c3d4e5f"


def _csv(description, columns):
    return {"200": {"description": f"{description} ; colonnes {columns} (séparateur ;, UTF-8 "
                                   "avec BOM)", "content": {"text/csv": {
                                       "schema": {"type": "string"}}}}}


def campaign_paths():
    links = {"GetCampaign": _link("getCampaign", "La veille lancée"),
             "ListCampaignChecks": _link("listCampaignChecks", "Ses appels"),
             "CloseCampaign": _link("closeCampaign", "La clore")}
    first_check = {"id": "$request.path.id", "check_id": "$response.body#/checks/0/id"}
    check_links = {
        "RecordCall": {"operationId": "recordCall", "parameters": first_check,
                       "description": "Noter un appel pour la première personne"},
        "AssignCheck": {"operationId": "assignCheck", "parameters": first_check,
                        "description": "Attribuer l'appel de la première personne"}}
    launch = {"id": EXAMPLE_ID, "kind": "heatwave", "title": "Canicule de juillet",
              "deadline": "2031-07-14T18:00:00+02:00"}
    return {
        "/api/v1/residents/{id}/watch": {
            "post": {
                "operationId": "watchResident",
                "summary": "Inscrire la personne au registre de veille, à sa demande, ou "
                           "reconfirmer (coordination du secteur, bienveilleur qui "
                           "l'accompagne)",
                "description": "consent: true : la personne l'a demandé. Les raisons ne disent "
                               "jamais rien de sa santé. Une confirmation compte comme un "
                               "contact pour la conservation ; une inscription non reconfirmée "
                               "depuis 15 mois s'arrête.",
                "parameters": [ID],
                "requestBody": _body("WatchInput", {"consent": True,
                                                    "reasons": ["lives_alone", "over_65"],
                                                    "phone": "02 35 00 00 00"}),
                "responses": {**_ok("Inscrite", _ref("WatchEntry")),
                              **_errors(*WRITE_ERRORS, NotFound, ConsentRequired,
                                        ResidentErased)}},
            "delete": {
                "operationId": "unwatchResident",
                "summary": "Retirer la personne du registre de veille",
                "parameters": [ID],
                "responses": {"204": {"description": "Retirée"},
                              **_errors(Unauthorized, Forbidden, NotFound, ResidentErased)}},
        },
        "/api/v1/watch-register.csv": {"get": {
            "operationId": "watchRegisterCsv",
            "summary": "Le registre de veille pour le maire ou le préfet (administrateurs ; "
                       "export journalisé)",
            "responses": {**_csv("Le registre", "resident_id, first_name, pseudonym, phone, "
                                 "lat, lon, reasons, territory, registered_at, confirmed_at"),
                          **_errors(Unauthorized, Forbidden)}}},
        "/api/v1/campaigns": {
            "get": {
                "operationId": "listCampaigns",
                "summary": "Les veilles (coordination : celles de ses territoires ; bienveilleur : "
                           "celles où il a des appels)",
                "responses": {**_ok("Les veilles", {
                    "type": "object", "required": ["campaigns"],
                    "properties": {"campaigns": {"type": "array", "items": _ref("Campaign")}}}),
                    **_errors(Unauthorized)}},
            "post": {
                "operationId": "launchCampaign",
                "summary": "Lancer une veille (coordination)",
                "description": "Un appel par personne inscrite dont le point est dans les "
                               "territoires (par défaut ceux du coordinateur ; coordination de "
                               "toute la ville : tous, et les points hors territoire) et sans "
                               "appel dans une autre veille en cours, créés en une transaction : "
                               "à son bienveilleur, sinon au plus proche qui l'atteint, au plus "
                               "CAMPAIGN_MAX_CHECKS_PER_RELAY par bienveilleur, sinon à "
                               "attribuer. L'échéance est dans le futur (sinon 422). Le même id "
                               "rend la même veille (200) ; un autre contenu, 422.",
                "requestBody": _body("CampaignInput", launch),
                "responses": {**_ok("Veille lancée", _ref("Launched"), "201", links=links),
                              **_ok("Même id, même contenu : la veille existante",
                                    _ref("Launched"), links=links),
                              **_errors(*WRITE_ERRORS, IdempotencyMismatch)}},
        },
        "/api/v1/campaign-preview": {"post": {
            "operationId": "previewCampaign",
            "summary": "Aperçu d'un lancement : combien de personnes, par qui (rien n'est écrit)",
            "requestBody": _body("PreviewInput", {k: v for k, v in launch.items()
                                                  if k != "id"}),
            "responses": {**_ok("L'aperçu", _ref("CampaignPreview")),
                          **_errors(*WRITE_ERRORS)}}},
        "/api/v1/campaigns/{id}": {"get": {
            "operationId": "getCampaign",
            "summary": "Une veille : état, échéance, comptes par statut, en tout et par "
                       "territoire (sur les appels que vous voyez)",
            "parameters": [ID],
            "responses": {**_ok("La veille", _ref("Campaign")),
                          **_errors(Unauthorized, NotFound)}}},
        "/api/v1/campaigns/{id}/checks": {"get": {
            "operationId": "listCampaignChecks",
            "summary": "Les appels : coordination, ceux de son secteur ; bienveilleur, les siens "
                       "(chaque personne montrée est journalisée)",
            "description": "Le bienveilleur ne lit plus téléphone ni position une fois la "
                           "veille close. Ordre du tableau : besoin d'aide, non joints "
                           "signalés, sans réponse, à joindre, joints.",
            "parameters": [ID],
            "responses": {**_ok("Les appels", {
                "type": "object", "required": ["checks"],
                "properties": {"checks": {"type": "array", "items": _ref("Check")}}},
                links=check_links), **_errors(Unauthorized, NotFound)}}},
        "/api/v1/campaigns/{id}/checks/{check_id}/assign": {"post": {
            "operationId": "assignCheck",
            "summary": "Attribuer un appel à un bienveilleur actif (coordination), ou le "
                       "reprendre (relay_id null)",
            "parameters": [ID, CHECK_ID],
            "requestBody": _body("AssignInput", {"relay_id": EXAMPLE_ID}),
            "responses": {**_ok("Attribué", _ref("CheckState")),
                          **_errors(*WRITE_ERRORS, NotFound)}}},
        "/api/v1/campaigns/{id}/checks/{check_id}/calls": {"post": {
            "operationId": "recordCall",
            "summary": "Noter un appel ou une visite (le bienveilleur de l'appel, la "
                       "coordination)",
            "description": "Idempotent sur id (UUID du téléphone) : même id, même contenu, 200. "
                           "ok et needs_help règlent l'appel (un ok tardif règle aussi un appel "
                           "signalé) ; not_reached le laisse à refaire, puis le signale à la "
                           "coordination après CAMPAIGN_MAX_ATTEMPTS appels sans réponse. "
                           "needs_help et le signalement préviennent la coordination une fois. "
                           "Accepté après la clôture (téléphones en retard), sans signalement.",
            "parameters": [ID, CHECK_ID],
            "requestBody": _body("CallInput", {"id": EXAMPLE_ID, "at": "2025-07-14T10:30:00+02:00",
                                               "channel": "phone", "outcome": "ok"}),
            "responses": {**_ok("Appel noté", _ref("Call"), "201"),
                          **_ok("Même id, même contenu : l'appel existant", _ref("Call")),
                          **_errors(*WRITE_ERRORS, NotFound, ResidentErased,
                                    IdempotencyMismatch)}}},
        "/api/v1/campaigns/{id}/close": {"post": {
            "operationId": "closeCampaign",
            "summary": "Clore la veille (coordination) : plus aucun signalement ; les appels en "
                       "retard sont encore reçus",
            "parameters": [ID],
            "responses": {**_ok("Close", _ref("Campaign")),
                          **_errors(Unauthorized, Forbidden, NotFound)}}},
        "/api/v1/campaigns/{id}.csv": {"get": {
            "operationId": "campaignOutcomeCsv",
            "summary": "Le bilan pour le rapport de la ville : comptes par territoire et "
                       "statut, aucune personne",
            "parameters": [ID],
            "responses": {**_csv("Le bilan", "territory_code, territory_name, "
                                 + ", ".join(CHECK_STATUSES) + ", total"),
                          **_errors(Unauthorized, NotFound)}}},
    }


def campaign_schemas():
    launch = {"kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
              "title": text(200, required=True),
              "deadline": {**TIME, "description": "dans le futur"},
              "territory_ids": {"type": "array", "items": UUID, "maxItems": 1000,
                                "description": "parmi les vôtres ; par défaut, tous les vôtres"}}
    territory = {"type": "object", "required": ["id", "name", "code", "counts"], "properties": {
        "id": NULL_UUID, "name": {"type": "string"}, "code": NULL_TEXT, "counts": COUNTS}}
    return {
        "WatchInput": {
            "type": "object", "required": ["consent"],
            "properties": {
                "consent": {"const": True, "description": "la personne a demandé à être "
                                                          "appelée pendant les alertes"},
                "reasons": codes(WATCH_REASONS, "raisons, jamais de détail de santé",
                                 max_items=len(WATCH_REASONS)),
                "phone": PHONE_NUMBER}},
        "WatchEntry": {
            "type": "object", "required": ["resident_id", "reasons", "registered_at",
                                           "confirmed_at"],
            "properties": {"resident_id": UUID,
                           "reasons": {"type": "array",
                                       "items": {"type": "string", "enum": list(WATCH_REASONS)}},
                           "registered_at": TIME, "confirmed_at": TIME}},
        "CampaignInput": {
            "type": "object", "required": ["id", "kind", "title", "deadline"],
            "properties": {"id": {**UUID, "description": "id client : rend le lancement "
                                                         "idempotent"}, **launch}},
        "PreviewInput": {"type": "object", "required": ["kind", "title", "deadline"],
                         "properties": {"id": UUID, **launch}},
        "Launched": {
            "type": "object", "required": ["id", "checks_total", "unassigned"],
            "properties": {"id": UUID, "checks_total": INTEGER, "unassigned": INTEGER}},
        "CampaignPreview": {
            "type": "object",
            "required": ["people", "own_relay", "nearest_relay", "unassigned",
                         "in_other_campaign"],
            "properties": {name: INTEGER for name in ("people", "own_relay", "nearest_relay",
                                                      "unassigned", "in_other_campaign")}},
        "Campaign": {
            "type": "object",
            "required": ["id", "kind", "title", "status", "deadline", "counts", "territories",
                         "checks_total", "unassigned"],
            "properties": {
                "id": UUID, "kind": {"type": "string", "enum": list(CAMPAIGN_KINDS)},
                "title": {"type": "string"},
                "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES)},
                "deadline": TIME, "created_at": TIME, "closed_at": NULL_TIME,
                "territory_ids": {"type": "array", "items": UUID}, "counts": COUNTS,
                "territories": {"type": "array", "items": territory},
                "checks_total": INTEGER, "unassigned": INTEGER}},
        "Check": {
            "type": "object",
            "required": ["id", "status", "attempts", "relay_id", "pseudonym", "phone", "lat",
                         "lon", "last_call_at"],
            "properties": {
                "id": UUID, "status": {"type": "string", "enum": list(CHECK_STATUSES)},
                "attempts": INTEGER, "relay_id": NULL_UUID, "pseudonym": NULL_TEXT,
                "phone": NULL_TEXT, "lat": {"type": ["number", "null"]},
                "lon": {"type": ["number", "null"]}, "last_call_at": NULL_TIME}},
        "CheckState": {
            "type": "object", "required": ["id", "status"],
            "properties": {"id": UUID, "status": {"type": "string", "enum": list(CHECK_STATUSES)},
                           "relay_id": NULL_UUID, "attempts": INTEGER}},
        "AssignInput": {"type": "object", "properties": {"relay_id": NULL_UUID}},
        "CallInput": {
            "type": "object", "required": ["id", "at", "channel", "outcome"],
            "properties": {
                "id": {**UUID, "description": "id client (téléphone) : rend l'appel idempotent"},
                "at": {**TIME, "description": "pas dans le futur"},
                "channel": {"type": "string", "enum": list(CALL_CHANNELS)},
                "outcome": {"type": "string", "enum": list(CALL_OUTCOMES)},
                "note": text(NOTE_MAX)}},
        "Call": {
            "type": "object", "required": ["id", "at", "channel", "outcome", "check"],
            "properties": {"id": UUID, "at": TIME,
                           "channel": {"type": "string", "enum": list(CALL_CHANNELS)},
                           "outcome": {"type": "string", "enum": list(CALL_OUTCOMES)},
                           "check": _ref("CheckState")}},
    }
