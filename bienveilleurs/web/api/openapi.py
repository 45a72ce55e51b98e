"""The OpenAPI 3.1 document of the stable interface (shared API.md).

The answers an operation may give are named by their domain errors (errors.py), and the
lists of values (states, outcomes, channels, roles…) come from the models and services
that define them: nothing here is typed a second time.
"""

from ...errors import (
    BadRequest,
    CapacityFull,
    Conflict,
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
from ...models import CHANNELS, OUTCOMES, STATUSES, Role
from ...services.directory import RELAY_STATUSES, SATURATIONS
from .openapi_campaigns import CAMPAIGN_PATHS, CAMPAIGN_SCHEMAS

ERROR = {"$ref": "#/components/schemas/Error"}


def _ref(schema):
    return {"$ref": f"#/components/schemas/{schema}"}


def _errors(*error_classes):
    """The error answers of an operation, one per status of these domain errors."""
    return {str(error.status): {"description": "Erreur",
                                "content": {"application/json": {"schema": ERROR}}}
            for error in sorted(error_classes, key=lambda e: e.status)}


def _ok(description, schema=None, status="200"):
    content = {"application/json": {"schema": schema or {"type": "object"}}}
    return {status: {"description": description, "content": content}}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _query(name, description, schema=None, required=False):
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
_UUID = {"type": "string", "format": "uuid"}
_NULL_UUID = {"type": ["string", "null"], "format": "uuid"}
_NULL_TEXT = {"type": ["string", "null"]}
_NULL_NUMBER = {"type": ["number", "null"]}
_TEXT = {"type": "string"}
_NUMBER = {"type": "number"}
_INTEGER = {"type": "integer"}
_BOOLEAN = {"type": "boolean"}
_TIME = {"type": "string", "format": "date-time"}
_CODES = {"type": "array", "items": {"type": "string"}}
_STATUS = {"type": "string", "enum": list(STATUSES)}
_OUTCOME = {"type": ["string", "null"], "enum": [*OUTCOMES, None]}
_FEW = {"type": "integer", "minimum": 1, "maximum": 50}

# Query parameters of both matching operations (the point aside).
_MATCH_FILTERS = [
    _query("audiences", "codes publics, séparés par des virgules"),
    _query("languages", "codes ISO 639-1, séparés par des virgules"),
    _query("open_now", "ressources ouvertes maintenant", _BOOLEAN),
    _query("accessible", "ressources accessibles", _BOOLEAN),
    _query("available_now", "bienveilleurs disponibles maintenant", _BOOLEAN),
    _query("limit", "par liste, 5 par défaut", _FEW),
]


# --- accounts and residents ---------------------------------------------------------------

ACCOUNT_PATHS = {
    "/api/v1/residents/{id}/opposition": {
        "post": {
            "summary": "Opposition de la personne : effacement immédiat (coordination, "
                       "bienveilleur attribué)",
            "description": "Efface maintenant les données personnelles de la personne, clôture ses "
                           "orientations en cours avec l'issue « opposed », annule les "
                           "messages à son sujet pas encore partis et garde des "
                           "identifiants anonymes : toute écriture ultérieure à son sujet "
                           "reçoit 410 resident_erased. Un coordinateur de son secteur, ou "
                           "un bienveilleur attribué à toutes ses orientations en cours (et "
                           "au moins à une) ; un autre bienveilleur reçoit 403. Aucun corps "
                           "n'est attendu.",
            "parameters": [_ID],
            "responses": {**_ok("Données effacées", {
                "type": "object", "required": ["resident_id", "erased_at", "closed_referral_ids"],
                "properties": {
                    "resident_id": _UUID,
                    "erased_at": _TIME,
                    "closed_referral_ids": {"type": "array", "items": _UUID}}}),
                **_errors(Unauthorized, Forbidden, NotFound, ResidentErased)},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "Le compte authentifié",
            "responses": {**_ok("Le compte", _ref("Me")), **_errors(Unauthorized)},
        }
    },
    "/api/v1/me/offline": {
        "get": {
            "summary": "La copie minimale de « Mes personnes » gardée sur le téléphone "
                       "(bienveilleur)",
            "description": "Pour l'application hors ligne : les orientations en cours attribuées "
                           "au bienveilleur, avec seulement l'identifiant, le prénom ou "
                           "pseudonyme et la prochaine étape ; ni notes, ni besoins, ni "
                           "positions.",
            "responses": {**_ok("La copie", _ref("OfflineCopy")),
                          **_errors(Unauthorized, Forbidden)},
        }
    },
}

ACCOUNT_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": _TEXT,
                "message": _TEXT,
                "details": {"type": "array", "items": {
                    "type": "object", "properties": {"field": _TEXT, "message": _TEXT}}},
            },
        }},
    },
    "OfflineCopy": {
        "type": "object",
        "required": ["user_id", "relay_id", "saved_at", "people"],
        "properties": {
            "user_id": _UUID,
            "relay_id": _NULL_UUID,
            "saved_at": _TIME,
            "people": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "next_step", "can_contact"],
                "properties": {"id": _UUID, "name": _TEXT, "next_step": _TEXT,
                               "can_contact": _BOOLEAN}}},
        },
    },
    "Me": {
        "type": "object",
        "required": ["email", "role"],
        "properties": {
            "id": _UUID,
            "email": _TEXT,
            "role": {"type": "string", "enum": [role.value for role in Role]},
            "display_name": _TEXT,
            "relay_id": _UUID,
            "structure_ids": {"type": "array", "items": _UUID},
            "territory_ids": {"type": "array", "items": _UUID},
        },
    },
}


# --- directory: structures, resources, relays, matching -----------------------------------

DIRECTORY_PATHS = {
    "/api/v1/structures": {
        "post": {
            "summary": "Créer une structure (administration, coordination)",
            "requestBody": _body("StructureInput"),
            "responses": {**_ok("Structure créée", _ref("Structure"), "201"),
                          **_errors(BadRequest, Unauthorized, Forbidden, ValidationFailed)},
        }
    },
    "/api/v1/resources": {
        "post": {
            "summary": "Créer une ressource (administration, coordination)",
            "description": "Sans structure_id, la structure de même nom (ou structure_name) est "
                           "réutilisée, sinon créée. Avec source et source_id déjà connus, la "
                           "ressource existante est mise à jour (200). Sans lat/lon, l'adresse est "
                           "géocodée ; si elle ne peut l'être, la ressource est enregistrée sans "
                           "position et `warning` le dit.",
            "requestBody": _body("ResourceInput"),
            "responses": {**_ok("Ressource créée", _ref("Resource"), "201"),
                          **_ok("Ressource mise à jour (même source et source_id)",
                                _ref("Resource")),
                          **_errors(BadRequest, Unauthorized, Forbidden, Conflict,
                                    ValidationFailed)},
        },
        "get": {
            "summary": "Ressources actives dans une zone, en GeoJSON (RFC 7946, lon/lat)",
            "parameters": [
                _query("bbox", "minlon,minlat,maxlon,maxlat ; au plus 0,5 degré de côté",
                       required=True),
                _query("categories", "codes thematiques séparés par des virgules ; un code de "
                       "premier niveau couvre ses sous-codes"),
            ],
            "responses": {"200": {"description": "FeatureCollection (au plus 1000 points, les plus "
                                                 "proches du centre ; `truncated` l'indique)",
                                  "content": {"application/geo+json": {
                                      "schema": _ref("FeatureCollection")}}},
                          **_errors(BadRequest, Unauthorized, ValidationFailed)},
        },
    },
    "/api/v1/resources/{id}": {
        "get": {
            "summary": "Une ressource",
            "parameters": [_ID],
            "responses": {**_ok("La ressource", _ref("Resource")),
                          **_errors(Unauthorized, NotFound)},
        }
    },
    "/api/v1/relays": {
        "post": {
            "summary": "Enregistrer un bienveilleur (administration, coordination)",
            "description": "Le point doit se trouver dans ce que l'appelant gère : ses "
                           "territoires (coordination), partout (administration, coordination "
                           "de toute la ville) ; sinon 422.",
            "requestBody": _body("RelayInput"),
            "responses": {**_ok("Bienveilleur enregistré", _ref("Relay"), "201"),
                          **_errors(BadRequest, Unauthorized, Forbidden, ValidationFailed)},
        }
    },
    "/api/v1/relays/{id}": {
        "get": {
            "summary": "Un bienveilleur (administration, coordination, le bienveilleur lui-même)",
            "description": "Comme la gestion : la coordination ne voit que les bienveilleurs "
                           "dont le point est dans ses territoires (404 sinon).",
            "parameters": [_ID],
            "responses": {**_ok("Le bienveilleur", _ref("Relay")),
                          **_errors(Unauthorized, NotFound)},
        }
    },
    "/api/v1/match": {
        "get": {
            "summary": "Bienveilleurs et ressources les plus proches d'un point",
            "description": "Les bienveilleurs ne sont renvoyés qu'à l'administration et à la "
                           "coordination (liste vide pour les autres rôles). À distance égale, "
                           "ordre par id.",
            "parameters": [
                _query("lat", "latitude (degrés décimaux)", _NUMBER, required=True),
                _query("lon", "longitude (degrés décimaux)", _NUMBER, required=True),
                _query("categories", "codes thematiques, séparés par des virgules"),
                *_MATCH_FILTERS,
            ],
            "responses": {**_ok("Résultats", _ref("Match")),
                          **_errors(BadRequest, Unauthorized, ValidationFailed)},
        }
    },
}

DIRECTORY_SCHEMAS = {
    "StructureInput": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 200},
                       "siret": {"type": "string", "pattern": "^[0-9]{14}$"},
                       "address": _TEXT, "lat": _NUMBER, "lon": _NUMBER, "phone": _TEXT,
                       "email": _TEXT, "website": _TEXT},
    },
    "Structure": {
        "type": "object", "required": ["id", "name"],
        "properties": {"id": _UUID, "name": _TEXT, "siret": _NULL_TEXT, "address": _NULL_TEXT,
                       "lat": _NULL_NUMBER, "lon": _NULL_NUMBER, "phone": _NULL_TEXT,
                       "email": _NULL_TEXT, "website": _NULL_TEXT, "active": _BOOLEAN},
    },
    "ResourceInput": {
        "type": "object", "required": ["name", "lat", "lon", "categories"],
        "properties": {
            "name": {"type": "string", "maxLength": 200}, "lat": _NUMBER, "lon": _NUMBER,
            "categories": {**_CODES, "minItems": 1,
                           "description": "codes thematiques data·inclusion"},
            "structure_id": _UUID,
            "structure_name": {"type": "string",
                               "description": "sans structure_id : nom de la structure à "
                                              "réutiliser ou créer (par défaut, le nom de la "
                                              "ressource)"},
            "description": _TEXT, "audiences": {**_CODES, "description": "codes publics"},
            "address": _TEXT, "postal_code": _TEXT, "city": _TEXT, "phone": _TEXT,
            "email": _TEXT, "website": _TEXT,
            "opening_hours": {"type": "string", "description": "syntaxe OpenStreetMap"},
            "languages": {**_CODES, "description": "codes ISO 639-1"},
            "accessible": _BOOLEAN, "capacity": {"type": "integer", "minimum": 0},
            "saturation": {"type": "string", "enum": list(SATURATIONS)},
            "source": _TEXT, "source_id": _TEXT,
        },
    },
    "Resource": {
        "type": "object", "required": ["id", "structure_id", "name", "categories"],
        "properties": {
            "id": _UUID, "structure_id": _UUID, "structure_name": _TEXT, "name": _TEXT,
            "description": _TEXT, "categories": _CODES, "audiences": _CODES,
            "lat": _NULL_NUMBER, "lon": _NULL_NUMBER, "located": _BOOLEAN,
            "address": _NULL_TEXT, "phone": _NULL_TEXT, "email": _NULL_TEXT,
            "website": _NULL_TEXT, "opening_hours": _NULL_TEXT, "languages": _CODES,
            "accessible": {"type": ["boolean", "null"]}, "capacity": {"type": ["integer", "null"]},
            "saturation": _NULL_TEXT, "active": _BOOLEAN, "source": _NULL_TEXT,
            "source_id": _NULL_TEXT, "updated_at": _TIME,
            "warning": {"type": "string", "description": "ex. « adresse non localisée »"},
        },
    },
    "RelayInput": {
        "type": "object", "required": ["display_name", "lat", "lon", "radius_m", "capacity"],
        "properties": {
            "display_name": {"type": "string", "maxLength": 120}, "lat": _NUMBER, "lon": _NUMBER,
            "radius_m": {"type": "integer", "minimum": 1,
                         "description": "au plus RELAY_MAX_RADIUS_M"},
            "capacity": {"type": "integer", "minimum": 0}, "languages": _CODES, "skills": _CODES,
            "availability": {"type": "string",
                             "description": "syntaxe OpenStreetMap opening_hours"},
            "email": {"type": "string",
                      "description": "compte existant de rôle relay, non encore rattaché"},
        },
    },
    "Relay": {
        "type": "object", "required": ["id", "display_name", "lat", "lon", "radius_m", "capacity"],
        "properties": {
            "id": _UUID, "display_name": _TEXT, "lat": _NUMBER, "lon": _NUMBER,
            "radius_m": _INTEGER, "capacity": _INTEGER, "active_referrals": _INTEGER,
            "free_capacity": _INTEGER, "languages": _CODES, "skills": _CODES,
            "availability": _NULL_TEXT,
            "status": {"type": "string", "enum": list(RELAY_STATUSES)},
            "user_id": {"type": ["string", "null"]}, "email": _NULL_TEXT,
        },
    },
    "FeatureCollection": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"const": "FeatureCollection"}, "truncated": _BOOLEAN,
                       "features": {"type": "array", "items": {
                           "type": "object", "required": ["type", "geometry", "properties"],
                           "properties": {"type": {"const": "Feature"}, "id": _TEXT,
                                          "geometry": {"type": "object"},
                                          "properties": {"type": "object"}}}}},
    },
    "Match": {
        "type": "object", "required": ["relays", "resources"],
        "properties": {
            "relays": {"type": "array", "items": {
                "type": "object", "required": ["id", "display_name", "distance_m"],
                "properties": {"id": _UUID, "display_name": _TEXT, "distance_m": _NUMBER,
                               "free_capacity": _INTEGER, "languages": _CODES,
                               "available_now": {"type": ["boolean", "null"]}}}},
            "resources": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "categories", "distance_m"],
                "properties": {"id": _UUID, "name": _TEXT, "categories": _CODES,
                               "distance_m": _NUMBER,
                               "open_now": {"type": ["boolean", "null"]}}}},
        },
    },
}


# --- referrals ----------------------------------------------------------------------------

REFERRAL_PATHS = {
    "/api/v1/referrals": {
        "post": {
            "summary": "Signaler une personne et son besoin (bienveilleur, coordination)",
            "description": "consent: true est obligatoire (la personne a été informée et ne s'est "
                           "pas opposée). Un id client (UUID) rend l'appel idempotent : le même id "
                           "avec le même contenu (comparé champ par champ après normalisation) "
                           "renvoie 200 et l'orientation telle qu'elle est ; un contenu différent "
                           "ou un autre compte, 422 idempotency_mismatch ; un id effacé, 410.",
            "requestBody": _body("ReferralInput"),
            "responses": {**_ok("Orientation créée", _ref("Referral"), "201"),
                          **_ok("Même id, même contenu : l'orientation existante",
                                _ref("Referral")),
                          **_errors(BadRequest, Unauthorized, Forbidden, ResidentErased,
                                    ValidationFailed, ConsentRequired, IdempotencyMismatch)},
        }
    },
    "/api/v1/referrals/{id}": {
        "get": {
            "summary": "Une orientation, avec son historique et ses contacts",
            "description": "Hors de votre périmètre : 404. Les notes que vous ne pouvez pas lire "
                           "(notes réservées aux professionnels, pour les bienveilleurs) valent "
                           "null. Le bienveilleur qui a signalé une personne attribuée à un autre "
                           "ne voit que l'état (visibility: status_only).",
            "parameters": [_ID],
            "responses": {**_ok("L'orientation", _ref("Referral")),
                          **_errors(Unauthorized, NotFound, ResidentErased)},
        }
    },
    "/api/v1/referrals/{id}/transitions": {
        "post": {
            "summary": "Faire avancer une orientation dans son cycle de vie",
            "description": "Voir la table « The lifecycle » d'API.md. Changement absent de la "
                           "table : 409 invalid_transition ; rôle non autorisé : 403 ; version "
                           "périmée : 409 stale_version ; bienveilleur au complet : 409 "
                           "capacity_full. Rien n'est modifié en cas d'erreur.",
            "parameters": [_ID],
            "requestBody": _body("TransitionInput"),
            "responses": {**_ok("L'orientation après le changement", _ref("Referral")),
                          **_errors(BadRequest, Unauthorized, Forbidden, NotFound,
                                    InvalidTransition, StaleVersion, CapacityFull,
                                    ResidentErased, ValidationFailed)},
        }
    },
    "/api/v1/referrals/{id}/contacts": {
        "post": {
            "summary": "Noter un contact avec la personne (bienveilleur attribué, coordination)",
            "description": "Idempotent sur id (UUID client) : même id et même contenu, 200 ; "
                           "contenu différent, 422. Un contact daté d'un moment où son auteur "
                           "était le bienveilleur attribué est accepté même après une "
                           "réattribution. Le premier contact abouti fait passer une orientation "
                           "attribuée à « contact établi ».",
            "parameters": [_ID],
            "requestBody": _body("ContactInput"),
            "responses": {**_ok("Contact noté", _ref("Contact"), "201"),
                          **_ok("Même id, même contenu : le contact existant", _ref("Contact")),
                          **_errors(BadRequest, Unauthorized, Forbidden, NotFound,
                                    ResidentErased, ValidationFailed, IdempotencyMismatch)},
        }
    },
    "/api/v1/referrals/{id}/matches": {
        "get": {
            "summary": "Bienveilleurs et ressources pour la personne et le besoin de l'orientation",
            "description": "Même réponse que /api/v1/match, sans mettre la position de la personne "
                           "dans l'URL. Bienveilleurs pour la coordination seulement.",
            "parameters": [_ID, *_MATCH_FILTERS],
            "responses": {**_ok("Résultats", _ref("Match")),
                          **_errors(BadRequest, Unauthorized, Forbidden, NotFound,
                                    ResidentErased, ValidationFailed)},
        }
    },
}

REFERRAL_SCHEMAS = {
    "ReferralInput": {
        "type": "object", "required": ["category", "consent"],
        "properties": {
            "id": _UUID,
            "resident_id": _UUID,
            "resident": {
                "type": "object", "required": ["lat", "lon"],
                "properties": {
                    "first_name": {"type": "string", "maxLength": 80},
                    "pseudonym": {"type": "string", "maxLength": 80},
                    "lat": _NUMBER, "lon": _NUMBER,
                    "languages": _CODES,
                    "phone": _TEXT,
                    "audiences": _CODES,
                    "newcomer": _BOOLEAN,
                },
            },
            "category": {"type": "string", "description": "un code thematiques data·inclusion"},
            "note": {"type": "string", "maxLength": 2000},
            "note_professional": _BOOLEAN,
            "consent": {"const": True},
        },
    },
    "TransitionInput": {
        "type": "object", "required": ["to"],
        "properties": {
            "to": _STATUS,
            "version": _INTEGER,
            "relay_id": _UUID,
            "resource_id": _UUID,
            "reason": {"type": "string", "maxLength": 200,
                       "description": "declined, no_answer, expired, ou un texte court"},
            "outcome": _OUTCOME,
            "note": {"type": "string", "maxLength": 2000},
            "note_professional": _BOOLEAN,
            "share_report_note": {
                "type": "boolean", "default": False,
                "description": "to referred : la structure lit aussi la note du signalement "
                               "(sinon seulement la note de l'orientation)"},
        },
    },
    "ContactInput": {
        "type": "object", "required": ["id", "at", "channel", "reached"],
        "properties": {
            "id": _UUID,
            "at": _TIME,
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "reached": _BOOLEAN,
            "note": {"type": "string", "maxLength": 2000},
        },
    },
    "Contact": {
        "type": "object", "required": ["id", "at", "channel", "reached"],
        "properties": {
            "id": _UUID, "at": _TIME, "channel": _TEXT, "reached": _BOOLEAN, "note": _NULL_TEXT,
            "referral": {"type": "object", "properties": {
                "id": _UUID, "status": _STATUS, "version": _INTEGER}},
        },
    },
    "ReferralEvent": {
        "type": "object", "required": ["at", "actor", "from", "to"],
        "properties": {
            "at": _TIME,
            "actor": {"type": "object", "properties": {
                "id": _NULL_UUID, "role": _TEXT, "display_name": _TEXT}},
            "from": _NULL_TEXT,
            "to": _STATUS,
            "reason": _NULL_TEXT,
            "note": _NULL_TEXT,
            "outcome": _OUTCOME,
            "relay_id": _NULL_UUID,
            "resource_id": _NULL_UUID,
        },
    },
    "Referral": {
        "type": "object",
        "required": ["id", "status", "outcome", "resident_id", "relay_id", "resource_id", "version",
                     "events", "contacts"],
        "properties": {
            "id": _UUID,
            "status": _STATUS,
            "outcome": _OUTCOME,
            "category": _TEXT,
            "resident_id": _NULL_UUID,
            "relay_id": _NULL_UUID,
            "resource_id": _NULL_UUID,
            "version": _INTEGER,
            "created_at": _TIME,
            "status_changed_at": _TIME,
            "visibility": {"type": ["string", "null"],
                           "enum": ["full", "structure", "status_only", None]},
            "events": {"type": "array", "items": _ref("ReferralEvent")},
            "contacts": {"type": "array", "items": _ref("Contact")},
        },
    },
}


# --- Open Referral HSDS 3.0 read API: public, shapes of the HSDS schemas --------------------

_HSDS_SCHEMA = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"

HSDS_PATHS = {
    "/hsds/services": {
        "get": {
            "summary": "Services actifs au format Open Referral HSDS 3.0 (page)",
            "security": [],
            "parameters": [
                {"name": "page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
            ],
            "responses": {**_ok("Une page HSDS (total_items, total_pages, page_number, size, "
                                "first_page, last_page, empty, contents)", {
                                    "type": "object",
                                    "properties": {"contents": {"type": "array", "items": {
                                        "$ref": _HSDS_SCHEMA + "service_list.json"}}}}),
                          **_errors(BadRequest, ValidationFailed)},
        }
    },
    "/hsds/services/{id}": {
        "get": {
            "summary": "Un service HSDS 3.0 complet (organisation, lieu, téléphones, horaires, "
                       "taxonomie)",
            "security": [],
            "parameters": [_ID],
            "responses": {**_ok("Le service", {"$ref": _HSDS_SCHEMA + "service.json"}),
                          **_errors(NotFound)},
        }
    },
}

PATHS = {**ACCOUNT_PATHS, **DIRECTORY_PATHS, **REFERRAL_PATHS, **HSDS_PATHS, **CAMPAIGN_PATHS}
SCHEMAS = {**ACCOUNT_SCHEMAS, **DIRECTORY_SCHEMAS, **REFERRAL_SCHEMAS, **CAMPAIGN_SCHEMAS}


def openapi_document():
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bienveilleurs API", "version": "1.0.0",
                 "description": "Interface stable pour les intégrations (voir API.md)."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }
