"""The OpenAPI 3.1 document of the stable interface (shared API.md)."""

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*statuses):
    return {str(s): {"description": "Erreur", "content": {"application/json": {"schema": ERROR}}}
            for s in statuses}


def _ok(description, schema=None, status="200"):
    content = {"application/json": {"schema": schema or {"type": "object"}}}
    return {status: {"description": description, "content": content}}


PATHS = {
    "/api/v1/me": {
        "get": {
            "summary": "Le compte authentifié",
            "responses": {**_ok("Le compte", {"$ref": "#/components/schemas/Me"}), **_errors(401)},
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
