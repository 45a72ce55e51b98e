"""The OpenAPI 3.1 document of the stable interface (shared API.md)."""

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*statuses):
    return {str(s): {"description": "Erreur", "content": {"application/json": {"schema": ERROR}}}
            for s in statuses}


def _ok(description, schema=None, status="200"):
    content = {"application/json": {"schema": schema or {"type": "object"}}}
    return {status: {"description": description, "content": content}}


PATHS = {
    "/api/v1/residents/{id}/opposition": {
        "post": {
            "summary": "Opposition de la personne : effacement immédiat (coordination, "
                       "bienveilleur attribué)",
            "description": "Efface maintenant les données personnelles de la personne, clôture ses "
                           "orientations en cours avec l'issue « opposed » et garde des "
                           "identifiants anonymes : toute écriture ultérieure à son sujet "
                           "reçoit 410 resident_erased. Aucun corps n'est attendu.",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": {**_ok("Données effacées", {
                "type": "object", "required": ["resident_id", "erased_at", "closed_referral_ids"],
                "properties": {
                    "resident_id": {"type": "string", "format": "uuid"},
                    "erased_at": {"type": "string", "format": "date-time"},
                    "closed_referral_ids": {"type": "array",
                                            "items": {"type": "string", "format": "uuid"}}}}),
                **_errors(401, 403, 404, 410)},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "Le compte authentifié",
            "responses": {**_ok("Le compte", {"$ref": "#/components/schemas/Me"}), **_errors(401)},
        }
    },
    "/api/v1/me/offline": {
        "get": {
            "summary": "La copie minimale de « Mes personnes » gardée sur le téléphone (bienveilleur)",
            "description": "Pour l'application hors ligne : les orientations en cours attribuées au "
                           "bienveilleur, avec seulement l'identifiant, le prénom ou pseudonyme et la "
                           "prochaine étape ; ni notes, ni besoins, ni positions.",
            "responses": {**_ok("La copie", {"$ref": "#/components/schemas/OfflineCopy"}),
                          **_errors(401, 403)},
        }
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
            },
        }},
    },
    "OfflineCopy": {
        "type": "object",
        "required": ["user_id", "relay_id", "saved_at", "people"],
        "properties": {
            "user_id": {"type": "string", "format": "uuid"},
            "relay_id": {"type": ["string", "null"], "format": "uuid"},
            "saved_at": {"type": "string", "format": "date-time"},
            "people": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "next_step", "can_contact"],
                "properties": {"id": {"type": "string", "format": "uuid"},
                               "name": {"type": "string"}, "next_step": {"type": "string"},
                               "can_contact": {"type": "boolean"}}}},
        },
    },
    "Me": {
        "type": "object",
        "required": ["email", "role"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "email": {"type": "string"},
            "role": {"type": "string", "enum": ["admin", "coordinator", "relay", "social_worker"]},
            "display_name": {"type": "string"},
            "relay_id": {"type": "string", "format": "uuid"},
            "structure_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
            "territory_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        },
    },
}


# --- directory: structures, resources, relays, matching (issue 3) ---

_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _query(name, description, schema=None, required=False):
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _body(ref):
    return {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}


PATHS.update({
    "/api/v1/structures": {
        "post": {
            "summary": "Créer une structure (administration, coordination)",
            "requestBody": _body("#/components/schemas/StructureInput"),
            "responses": {**_ok("Structure créée", {"$ref": "#/components/schemas/Structure"}, "201"),
                          **_errors(400, 401, 403, 422)},
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
            "requestBody": _body("#/components/schemas/ResourceInput"),
            "responses": {**_ok("Ressource créée", {"$ref": "#/components/schemas/Resource"}, "201"),
                          **_ok("Ressource mise à jour (même source et source_id)",
                                {"$ref": "#/components/schemas/Resource"}),
                          **_errors(400, 401, 403, 409, 422)},
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
                                  "content": {"application/geo+json": {"schema": {
                                      "$ref": "#/components/schemas/FeatureCollection"}}}},
                          **_errors(400, 401, 422)},
        },
    },
    "/api/v1/resources/{id}": {
        "get": {
            "summary": "Une ressource",
            "parameters": [_ID],
            "responses": {**_ok("La ressource", {"$ref": "#/components/schemas/Resource"}),
                          **_errors(401, 404)},
        }
    },
    "/api/v1/relays": {
        "post": {
            "summary": "Enregistrer un bienveilleur (administration, coordination)",
            "requestBody": _body("#/components/schemas/RelayInput"),
            "responses": {**_ok("Bienveilleur enregistré", {"$ref": "#/components/schemas/Relay"}, "201"),
                          **_errors(400, 401, 403, 422)},
        }
    },
    "/api/v1/relays/{id}": {
        "get": {
            "summary": "Un bienveilleur (administration, coordination, le bienveilleur lui-même)",
            "parameters": [_ID],
            "responses": {**_ok("Le bienveilleur", {"$ref": "#/components/schemas/Relay"}),
                          **_errors(401, 404)},
        }
    },
    "/api/v1/match": {
        "get": {
            "summary": "Bienveilleurs et ressources les plus proches d'un point",
            "description": "Les bienveilleurs ne sont renvoyés qu'à l'administration et à la "
                           "coordination (liste vide pour les autres rôles). À distance égale, "
                           "ordre par id.",
            "parameters": [
                _query("lat", "latitude (degrés décimaux)", {"type": "number"}, required=True),
                _query("lon", "longitude (degrés décimaux)", {"type": "number"}, required=True),
                _query("categories", "codes thematiques, séparés par des virgules"),
                _query("audiences", "codes publics, séparés par des virgules"),
                _query("languages", "codes ISO 639-1, séparés par des virgules"),
                _query("open_now", "ressources ouvertes maintenant", {"type": "boolean"}),
                _query("accessible", "ressources accessibles", {"type": "boolean"}),
                _query("available_now", "bienveilleurs disponibles maintenant", {"type": "boolean"}),
                _query("limit", "par liste, 5 par défaut", {"type": "integer", "minimum": 1,
                                                            "maximum": 50}),
            ],
            "responses": {**_ok("Résultats", {"$ref": "#/components/schemas/Match"}),
                          **_errors(400, 401, 422)},
        }
    },
})

_CODES = {"type": "array", "items": {"type": "string"}}
_OPT_STR = {"type": ["string", "null"]}

SCHEMAS.update({
    "StructureInput": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 200},
                       "siret": {"type": "string", "pattern": "^[0-9]{14}$"},
                       "address": {"type": "string"}, "lat": {"type": "number"},
                       "lon": {"type": "number"}, "phone": {"type": "string"},
                       "email": {"type": "string"}, "website": {"type": "string"}},
    },
    "Structure": {
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
                       "siret": _OPT_STR, "address": _OPT_STR,
                       "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
                       "phone": _OPT_STR, "email": _OPT_STR, "website": _OPT_STR,
                       "active": {"type": "boolean"}},
    },
    "ResourceInput": {
        "type": "object", "required": ["name", "lat", "lon", "categories"],
        "properties": {
            "name": {"type": "string", "maxLength": 200}, "lat": {"type": "number"},
            "lon": {"type": "number"},
            "categories": {**_CODES, "minItems": 1, "description": "codes thematiques data·inclusion"},
            "structure_id": {"type": "string", "format": "uuid"},
            "structure_name": {"type": "string", "description": "sans structure_id : nom de la "
                               "structure à réutiliser ou créer (par défaut, le nom de la ressource)"},
            "description": {"type": "string"}, "audiences": {**_CODES, "description": "codes publics"},
            "address": {"type": "string"}, "postal_code": {"type": "string"}, "city": {"type": "string"},
            "phone": {"type": "string"}, "email": {"type": "string"}, "website": {"type": "string"},
            "opening_hours": {"type": "string", "description": "syntaxe OpenStreetMap"},
            "languages": {**_CODES, "description": "codes ISO 639-1"},
            "accessible": {"type": "boolean"}, "capacity": {"type": "integer", "minimum": 0},
            "saturation": {"type": "string", "enum": ["available", "limited", "full"]},
            "source": {"type": "string"}, "source_id": {"type": "string"},
        },
    },
    "Resource": {
        "type": "object", "required": ["id", "structure_id", "name", "categories"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "structure_id": {"type": "string", "format": "uuid"},
            "structure_name": {"type": "string"}, "name": {"type": "string"},
            "description": {"type": "string"}, "categories": _CODES, "audiences": _CODES,
            "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
            "located": {"type": "boolean"}, "address": _OPT_STR, "phone": _OPT_STR,
            "email": _OPT_STR, "website": _OPT_STR, "opening_hours": _OPT_STR, "languages": _CODES,
            "accessible": {"type": ["boolean", "null"]}, "capacity": {"type": ["integer", "null"]},
            "saturation": _OPT_STR, "active": {"type": "boolean"}, "source": _OPT_STR,
            "source_id": _OPT_STR, "updated_at": {"type": "string", "format": "date-time"},
            "warning": {"type": "string", "description": "ex. « adresse non localisée »"},
        },
    },
    "RelayInput": {
        "type": "object", "required": ["display_name", "lat", "lon", "radius_m", "capacity"],
        "properties": {
            "display_name": {"type": "string", "maxLength": 120}, "lat": {"type": "number"},
            "lon": {"type": "number"},
            "radius_m": {"type": "integer", "minimum": 1, "description": "au plus RELAY_MAX_RADIUS_M"},
            "capacity": {"type": "integer", "minimum": 0}, "languages": _CODES, "skills": _CODES,
            "availability": {"type": "string", "description": "syntaxe OpenStreetMap opening_hours"},
            "email": {"type": "string", "description": "compte existant de rôle relay, non encore rattaché"},
        },
    },
    "Relay": {
        "type": "object", "required": ["id", "display_name", "lat", "lon", "radius_m", "capacity"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "display_name": {"type": "string"},
            "lat": {"type": "number"}, "lon": {"type": "number"}, "radius_m": {"type": "integer"},
            "capacity": {"type": "integer"}, "active_referrals": {"type": "integer"},
            "free_capacity": {"type": "integer"}, "languages": _CODES, "skills": _CODES,
            "availability": _OPT_STR, "status": {"type": "string", "enum": ["active", "paused", "ended"]},
            "user_id": {"type": ["string", "null"]}, "email": _OPT_STR,
        },
    },
    "FeatureCollection": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"const": "FeatureCollection"}, "truncated": {"type": "boolean"},
                       "features": {"type": "array", "items": {
                           "type": "object", "required": ["type", "geometry", "properties"],
                           "properties": {"type": {"const": "Feature"}, "id": {"type": "string"},
                                          "geometry": {"type": "object"},
                                          "properties": {"type": "object"}}}}},
    },
    "Match": {
        "type": "object", "required": ["relays", "resources"],
        "properties": {
            "relays": {"type": "array", "items": {
                "type": "object", "required": ["id", "display_name", "distance_m"],
                "properties": {"id": {"type": "string", "format": "uuid"},
                               "display_name": {"type": "string"}, "distance_m": {"type": "number"},
                               "free_capacity": {"type": "integer"}, "languages": _CODES,
                               "available_now": {"type": ["boolean", "null"]}}}},
            "resources": {"type": "array", "items": {
                "type": "object", "required": ["id", "name", "categories", "distance_m"],
                "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
                               "categories": _CODES, "distance_m": {"type": "number"},
                               "open_now": {"type": ["boolean", "null"]}}}},
        },
    },
})


# --- referrals (issue 4) ---

_REFERRAL_ID = {"name": "id", "in": "path", "required": True,
                "schema": {"type": "string", "format": "uuid"}}
_UUID = {"type": "string", "format": "uuid"}
_NULL_UUID = {"type": ["string", "null"], "format": "uuid"}
_NULL_TEXT = {"type": ["string", "null"]}
_STATUS = {"type": "string",
           "enum": ["reported", "assigned", "contacted", "referred", "accepted", "closed"]}
_OUTCOME = {"type": ["string", "null"],
            "enum": ["helped", "not_helped", "redirected", "unreachable", "declined_help",
                     "no_longer_needed", "duplicate", "opposed", None]}


def _json_body(ref):
    return {"required": True, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _referral_matches_parameter(name, description, schema=None):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


_REFERRAL = {"$ref": "#/components/schemas/Referral"}

PATHS.update({
    "/api/v1/referrals": {
        "post": {
            "summary": "Signaler une personne et son besoin (bienveilleur, coordination)",
            "description": "consent: true est obligatoire (la personne a été informée et ne s'est "
                           "pas opposée). Un id client (UUID) rend l'appel idempotent : le même id "
                           "avec le même contenu (comparé champ par champ après normalisation) "
                           "renvoie 200 et l'orientation telle qu'elle est ; un contenu différent "
                           "ou un autre compte, 422 idempotency_mismatch ; un id effacé, 410.",
            "requestBody": _json_body("#/components/schemas/ReferralInput"),
            "responses": {**_ok("Orientation créée", _REFERRAL, "201"),
                          **_ok("Même id, même contenu : l'orientation existante", _REFERRAL),
                          **_errors(400, 401, 403, 410, 422)},
        }
    },
    "/api/v1/referrals/{id}": {
        "get": {
            "summary": "Une orientation, avec son historique et ses contacts",
            "description": "Hors de votre périmètre : 404. Les notes que vous ne pouvez pas lire "
                           "(notes réservées aux professionnels, pour les bienveilleurs) valent "
                           "null. Le bienveilleur qui a signalé une personne attribuée à un autre "
                           "ne voit que l'état (visibility: status_only).",
            "parameters": [_REFERRAL_ID],
            "responses": {**_ok("L'orientation", _REFERRAL), **_errors(401, 404, 410)},
        }
    },
    "/api/v1/referrals/{id}/transitions": {
        "post": {
            "summary": "Faire avancer une orientation dans son cycle de vie",
            "description": "Voir la table « The lifecycle » d'API.md. Changement absent de la "
                           "table : 409 invalid_transition ; rôle non autorisé : 403 ; version "
                           "périmée : 409 stale_version ; bienveilleur au complet : 409 "
                           "capacity_full. Rien n'est modifié en cas d'erreur.",
            "parameters": [_REFERRAL_ID],
            "requestBody": _json_body("#/components/schemas/TransitionInput"),
            "responses": {**_ok("L'orientation après le changement", _REFERRAL),
                          **_errors(400, 401, 403, 404, 409, 410, 422)},
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
            "parameters": [_REFERRAL_ID],
            "requestBody": _json_body("#/components/schemas/ContactInput"),
            "responses": {**_ok("Contact noté", {"$ref": "#/components/schemas/Contact"}, "201"),
                          **_ok("Même id, même contenu : le contact existant",
                                {"$ref": "#/components/schemas/Contact"}),
                          **_errors(400, 401, 403, 404, 410, 422)},
        }
    },
    "/api/v1/referrals/{id}/matches": {
        "get": {
            "summary": "Bienveilleurs et ressources pour la personne et le besoin de l'orientation",
            "description": "Même réponse que /api/v1/match, sans mettre la position de la personne "
                           "dans l'URL. Bienveilleurs pour la coordination seulement.",
            "parameters": [
                _REFERRAL_ID,
                _referral_matches_parameter("audiences", "codes publics, séparés par des virgules"),
                _referral_matches_parameter("languages", "codes ISO 639-1, séparés par des virgules"),
                _referral_matches_parameter("open_now", "ressources ouvertes maintenant",
                                            {"type": "boolean"}),
                _referral_matches_parameter("accessible", "ressources accessibles",
                                            {"type": "boolean"}),
                _referral_matches_parameter("available_now", "bienveilleurs disponibles maintenant",
                                            {"type": "boolean"}),
                _referral_matches_parameter("limit", "par liste, 5 par défaut",
                                            {"type": "integer", "minimum": 1, "maximum": 50}),
            ],
            "responses": {**_ok("Résultats", {"$ref": "#/components/schemas/Match"}
                                if "Match" in SCHEMAS else {"type": "object"}),
                          **_errors(400, 401, 403, 404, 410, 422)},
        }
    },
})

SCHEMAS.update({
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
                    "lat": {"type": "number"}, "lon": {"type": "number"},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "phone": {"type": "string"},
                    "audiences": {"type": "array", "items": {"type": "string"}},
                    "newcomer": {"type": "boolean"},
                },
            },
            "category": {"type": "string", "description": "un code thematiques data·inclusion"},
            "note": {"type": "string", "maxLength": 2000},
            "note_professional": {"type": "boolean"},
            "consent": {"const": True},
        },
    },
    "TransitionInput": {
        "type": "object", "required": ["to"],
        "properties": {
            "to": _STATUS,
            "version": {"type": "integer"},
            "relay_id": _UUID,
            "resource_id": _UUID,
            "reason": {"type": "string", "maxLength": 200,
                       "description": "declined, no_answer, expired, ou un texte court"},
            "outcome": _OUTCOME,
            "note": {"type": "string", "maxLength": 2000},
            "note_professional": {"type": "boolean"},
        },
    },
    "ContactInput": {
        "type": "object", "required": ["id", "at", "channel", "reached"],
        "properties": {
            "id": _UUID,
            "at": {"type": "string", "format": "date-time"},
            "channel": {"type": "string", "enum": ["visit", "phone", "meeting", "message"]},
            "reached": {"type": "boolean"},
            "note": {"type": "string", "maxLength": 2000},
        },
    },
    "Contact": {
        "type": "object", "required": ["id", "at", "channel", "reached"],
        "properties": {
            "id": _UUID, "at": {"type": "string", "format": "date-time"},
            "channel": {"type": "string"}, "reached": {"type": "boolean"}, "note": _NULL_TEXT,
            "referral": {"type": "object", "properties": {
                "id": _UUID, "status": _STATUS, "version": {"type": "integer"}}},
        },
    },
    "ReferralEvent": {
        "type": "object", "required": ["at", "actor", "from", "to"],
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "actor": {"type": "object", "properties": {
                "id": _NULL_UUID, "role": {"type": "string"}, "display_name": {"type": "string"}}},
            "from": {"type": ["string", "null"]},
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
            "category": {"type": "string"},
            "resident_id": _NULL_UUID,
            "relay_id": _NULL_UUID,
            "resource_id": _NULL_UUID,
            "version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "status_changed_at": {"type": "string", "format": "date-time"},
            "visibility": {"type": ["string", "null"],
                           "enum": ["full", "structure", "status_only", None]},
            "events": {"type": "array", "items": {"$ref": "#/components/schemas/ReferralEvent"}},
            "contacts": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
        },
    },
})


# Open Referral HSDS 3.0 read API: public (no authentication), shapes of the HSDS schemas.
_HSDS_SCHEMA = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"
PATHS.update({
    "/hsds/services": {
        "get": {
            "summary": "Services actifs au format Open Referral HSDS 3.0 (page)",
            "security": [],
            "parameters": [
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
            ],
            "responses": {**_ok("Une page HSDS (total_items, total_pages, page_number, size, first_page, "
                                "last_page, empty, contents)", {
                                    "type": "object",
                                    "properties": {"contents": {"type": "array", "items": {
                                        "$ref": _HSDS_SCHEMA + "service_list.json"}}}}),
                          **_errors(400, 422)},
        }
    },
    "/hsds/services/{id}": {
        "get": {
            "summary": "Un service HSDS 3.0 complet (organisation, lieu, téléphones, horaires, taxonomie)",
            "security": [],
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": {**_ok("Le service", {"$ref": _HSDS_SCHEMA + "service.json"}), **_errors(404)},
        }
    },
})

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
