"""The directory in the OpenAPI document: resources, structures, relays, matching, and the
public HSDS 3.0 read API (its schemas served at /hsds/schemas/)."""

from ....errors import (
    BadRequest,
    Conflict,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from ....services.directory import RELAY_STATUSES, SATURATIONS
from ....services.open_referral import MAX_PAGE, MAX_PER_PAGE
from .answers import (
    FIT,
    ID,
    URI_TOO_LONG,
    WALK,
    WRITE_ERRORS,
    _body,
    _errors,
    _link,
    _match_filters,
    _ok,
    _query,
    _ref,
)
from .values import (
    ANY_TEXT,
    BOOLEAN,
    EMAIL_ADDRESS,
    INTEGER,
    LANGUAGES,
    NULL_NUMBER,
    NULL_TEXT,
    NULL_UUID,
    OPENING_HOURS,
    PHONE_NUMBER,
    TIME,
    UUID,
    WEBSITE,
    _audiences,
    _categories,
    blank_or_absent,
    coordinates,
    paired,
    text,
)

HSDS_SCHEMAS = "/hsds/schemas/"


def directory_paths(area):
    return {
        "/api/v1/structures": {"post": {
            "operationId": "createStructure",
            "summary": "Créer une structure (administration, coordination)",
            "requestBody": _body("StructureInput", {
                "name": "Centre social des Neiges", "siret": "21760351000011",
                "lat": 49.4829, "lon": 0.1502, "phone": "02 35 00 00 00"}),
            "responses": {**_ok("Structure créée", _ref("Structure"), "201"),
                          **_errors(*WRITE_ERRORS)}}},
        "/api/v1/resources": {
            "post": {
                "operationId": "createResource",
                "summary": "Créer une ressource (administration, coordination)",
                "description": "Sans structure_id, la structure de même nom (ou structure_name) "
                               "est réutilisée, sinon créée. Avec source et source_id déjà "
                               "connus, la ressource existante est mise à jour (200). Sans "
                               "lat/lon, l'adresse est géocodée ; si elle ne peut l'être, la "
                               "ressource est enregistrée sans position et `warning` le dit.",
                "requestBody": _body("ResourceInput", {
                    "name": "Permanence écoute", "lat": 49.4944, "lon": 0.1079,
                    "categories": ["sante--sante-mentale"], "opening_hours": "Mo-Fr 09:00-17:00",
                    "languages": ["fr", "ar"]}),
                "responses": {**_ok("Ressource créée", _ref("Resource"), "201", links={
                                  "GetResource": _link("getResource", "La ressource créée")}),
                              **_ok("Ressource mise à jour (même source et source_id)",
                                    _ref("Resource")),
                              **_errors(*WRITE_ERRORS, NotFound, Conflict)}},
            "get": {
                "operationId": "listResourcesInBox",
                "summary": "Ressources actives dans une zone, en GeoJSON (RFC 7946, lon/lat)",
                "parameters": [
                    _query("bbox", "minlon,minlat,maxlon,maxlat ; au plus 0,5 degré de côté, "
                           "min < max", {"type": "array", "minItems": 4, "maxItems": 4,
                                         "items": {"type": "number"}},
                           required=True, explode=False),
                    _query("categories", "codes thematiques séparés par des virgules ; un code "
                           "de premier niveau couvre ses sous-codes", _categories(),
                           explode=False),
                ],
                "responses": {"200": {"description": "FeatureCollection (au plus 1000 points, les "
                                                     "plus proches du centre ; `truncated` "
                                                     "l'indique)",
                                      "content": {"application/geo+json": {
                                          "schema": _ref("FeatureCollection")}}},
                              **_errors(BadRequest, Unauthorized, ValidationFailed),
                              **URI_TOO_LONG}},
        },
        "/api/v1/resources/{id}": {"get": {
            "operationId": "getResource", "summary": "Une ressource",
            "description": "Les ressources désactivées ne sont visibles que de l'administration "
                           "et de la coordination.",
            "parameters": [ID],
            "responses": {**_ok("La ressource", _ref("Resource")),
                          **_errors(Unauthorized, NotFound)}}},
        "/api/v1/relays": {"post": {
            "operationId": "createRelay",
            "summary": "Enregistrer un bienveilleur (administration, coordination)",
            "description": "Le point doit se trouver dans ce que l'appelant gère : ses "
                           "territoires (coordination), partout (administration, coordination "
                           "de toute la ville) ; sinon 422.",
            "requestBody": _body("RelayInput", {
                "display_name": "Rémi", "lat": 49.4944, "lon": 0.1079, "radius_m": 800,
                "capacity": 3, "languages": ["fr"], "availability": "Mo-Fr 17:00-20:00"}),
            "responses": {**_ok("Bienveilleur enregistré", _ref("Relay"), "201", links={
                              "GetRelay": _link("getRelay", "Le bienveilleur enregistré")}),
                          **_errors(*WRITE_ERRORS)}}},
        "/api/v1/relays/{id}": {"get": {
            "operationId": "getRelay",
            "summary": "Un bienveilleur (administration, coordination, le bienveilleur lui-même)",
            "description": "Comme la gestion : la coordination ne voit que les bienveilleurs "
                           "dont le point est dans ses territoires (404 sinon).",
            "parameters": [ID],
            "responses": {**_ok("Le bienveilleur", _ref("Relay")),
                          **_errors(Unauthorized, NotFound)}}},
        "/api/v1/match": {"get": {
            "operationId": "match",
            "summary": "Bienveilleurs et ressources les plus proches d'un point",
            "description": "Les bienveilleurs ne sont renvoyés qu'à l'administration et à la "
                           "coordination (liste vide pour les autres rôles). Ordre : les "
                           "ressources complètes en dernier ; puis, avec un réseau piéton, par "
                           "walk_s (les null après), sinon par distance_m ; à égalité, par id. "
                           "Une ressource pour d'autres publics est écartée quand audiences "
                           "est donné.",
            "parameters": [
                _query("lat", "latitude (degrés décimaux)", coordinates(area)["lat"],
                       required=True),
                _query("lon", "longitude (degrés décimaux)", coordinates(area)["lon"],
                       required=True),
                _query("categories", "codes thematiques, séparés par des virgules",
                       _categories(), explode=False),
                *_match_filters(),
            ],
            "responses": {**_ok("Résultats", _ref("Match")),
                          **_errors(BadRequest, Unauthorized, ValidationFailed),
                          **URI_TOO_LONG}}},
    }


def hsds_paths():
    page = {"type": "object", "required": ["total_items", "total_pages", "page_number", "size",
                                           "first_page", "last_page", "empty", "contents"],
            "properties": {
                **{name: {"type": "integer", "minimum": 0}
                   for name in ("total_items", "total_pages", "size")},
                "page_number": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                **{name: BOOLEAN for name in ("first_page", "last_page", "empty")},
                "contents": {"type": "array", "maxItems": MAX_PER_PAGE,
                             "items": {"$ref": HSDS_SCHEMAS + "compiled/service_list.json"}}},
            "description": f"L'objet Page d'HSDS 3.0 ({HSDS_SCHEMAS}openapi.json)"}
    return {
        "/hsds/services": {"get": {
            "operationId": "hsdsServices",
            "summary": "Services actifs au format Open Referral HSDS 3.0 (page)",
            "security": [],
            "parameters": [
                _query("page", f"de 1 à {MAX_PAGE}", {"type": "integer", "minimum": 1,
                                                      "maximum": MAX_PAGE, "default": 1}),
                _query("per_page", f"de 1 à {MAX_PER_PAGE}",
                       {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                        "default": 50}),
            ],
            "responses": {**_ok("Une page HSDS, services par nom puis id", page),
                          **_errors(BadRequest, ValidationFailed)}}},
        "/hsds/services/{id}": {"get": {
            "operationId": "hsdsService",
            "summary": "Un service HSDS 3.0 complet (organisation, lieu, téléphones, horaires, "
                       "taxonomie)",
            "security": [],
            "parameters": [{**ID, "schema": ANY_TEXT}],
            "responses": {**_ok("Le service", {"$ref": HSDS_SCHEMAS + "compiled/service.json"}),
                          **_errors(NotFound)}}},
    }


def directory_schemas(area, max_radius_m):
    point = coordinates(area)
    contact = {"phone": PHONE_NUMBER, "email": EMAIL_ADDRESS, "website": WEBSITE}
    return {
        "StructureInput": {
            "type": "object", "required": ["name"],
            "properties": {
                "name": text(200, required=True),
                "siret": {"type": "string", "pattern": "^[0-9]{14}$",
                          "description": "14 chiffres"},
                "address": text(300), **point, **contact,
                "source": text(100), "source_id": text(200)},
            "anyOf": [{"properties": {"lat": blank_or_absent(), "lon": blank_or_absent()}},
                      {"required": ["lat", "lon"],
                       "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}}]},
        "Structure": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": UUID, "name": ANY_TEXT, "siret": NULL_TEXT,
                           "address": NULL_TEXT, "lat": NULL_NUMBER, "lon": NULL_NUMBER,
                           "phone": NULL_TEXT, "email": NULL_TEXT, "website": NULL_TEXT,
                           "active": BOOLEAN, "source": NULL_TEXT, "source_id": NULL_TEXT,
                           "created_at": {**TIME, "type": ["string", "null"]},
                           "updated_at": {**TIME, "type": ["string", "null"]}}},
        "ResourceInput": {
            "type": "object", "required": ["name", "lat", "lon", "categories"],
            "properties": {
                "name": text(200, required=True), **point,
                "categories": _categories(min_items=1),
                "structure_id": {**UUID, "description": "une structure existante (sinon 404)"},
                "structure_name": text(200, description="sans structure_id : nom de la "
                                       "structure à réutiliser ou créer (par défaut, le nom de "
                                       "la ressource)"),
                "description": text(10_000), "audiences": _audiences(),
                "address": text(300), "postal_code": {"type": "string",
                                                      "pattern": "^(?:[0-9]{5}|2[AB][0-9]{3})$"},
                "city": text(100), **contact, "opening_hours": OPENING_HOURS,
                "languages": LANGUAGES, "accessible": BOOLEAN,
                "capacity": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
                "saturation": {"type": "string", "enum": list(SATURATIONS)},
                "active": BOOLEAN, "source": text(100), "source_id": text(200)},
            **paired("source", "source_id", (100, 200))},
        "Resource": {
            "type": "object", "required": ["id", "structure_id", "name", "categories"],
            "properties": {
                "id": UUID, "structure_id": UUID, "structure_name": NULL_TEXT, "name": ANY_TEXT,
                "description": ANY_TEXT, "categories": {"type": "array", "items": ANY_TEXT},
                "audiences": {"type": "array", "items": ANY_TEXT},
                "lat": NULL_NUMBER, "lon": NULL_NUMBER, "located": BOOLEAN,
                "address": NULL_TEXT, "postal_code": NULL_TEXT, "city": NULL_TEXT,
                "phone": NULL_TEXT, "email": NULL_TEXT, "website": NULL_TEXT,
                "opening_hours": NULL_TEXT, "languages": {"type": "array", "items": ANY_TEXT},
                "accessible": {"type": ["boolean", "null"]},
                "capacity": {"type": ["integer", "null"]},
                "saturation": {"type": ["string", "null"], "enum": [*SATURATIONS, None]},
                "active": BOOLEAN, "source": NULL_TEXT, "source_id": NULL_TEXT,
                "created_at": {**TIME, "type": ["string", "null"]},
                "updated_at": {**TIME, "type": ["string", "null"]},
                "warning": {"type": "string", "description": "ex. « adresse non localisée »"}}},
        "RelayInput": {
            "type": "object", "required": ["display_name", "lat", "lon", "radius_m", "capacity"],
            "properties": {
                "display_name": text(120, required=True), **point, "address": text(300),
                "radius_m": {"type": "integer", "minimum": 1, "maximum": max_radius_m,
                             "description": "au plus RELAY_MAX_RADIUS_M"},
                "capacity": {"type": "integer", "minimum": 0, "maximum": 1000},
                "languages": LANGUAGES,
                "skills": {"type": "array", "maxItems": 100, "items": text(100)},
                "availability": {**OPENING_HOURS, "example": "Mo-Fr 17:00-20:00"},
                "email": {**EMAIL_ADDRESS, "description": "un compte existant de rôle relay, pas "
                          "encore rattaché (sinon 422)"}}},
        "Relay": {
            "type": "object",
            "required": ["id", "display_name", "lat", "lon", "radius_m", "capacity"],
            "properties": {
                "id": UUID, "display_name": ANY_TEXT, "lat": {"type": "number"},
                "lon": {"type": "number"}, "radius_m": INTEGER, "capacity": INTEGER,
                "active_referrals": INTEGER, "free_capacity": INTEGER,
                "languages": {"type": "array", "items": ANY_TEXT},
                "skills": {"type": "array", "items": ANY_TEXT}, "availability": NULL_TEXT,
                "status": {"type": "string", "enum": list(RELAY_STATUSES)},
                "user_id": NULL_UUID, "email": NULL_TEXT,
                "created_at": {**TIME, "type": ["string", "null"]},
                "updated_at": {**TIME, "type": ["string", "null"]}}},
        "FeatureCollection": {
            "type": "object", "required": ["type", "features"],
            "properties": {"type": {"const": "FeatureCollection"}, "truncated": BOOLEAN,
                           "features": {"type": "array", "items": {
                               "type": "object", "required": ["type", "geometry", "properties"],
                               "properties": {"type": {"const": "Feature"}, "id": ANY_TEXT,
                                              "geometry": {"type": "object"},
                                              "properties": {"type": "object"}}}}}},
        "Match": {
            "type": "object", "required": ["relays", "resources"],
            "properties": {
                "relays": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "display_name", "distance_m", "walk_s", "walk_m",
                                 "routing"],
                    "properties": {"id": UUID, "display_name": ANY_TEXT,
                                   "distance_m": {"type": "number", "minimum": 0}, **WALK,
                                   "free_capacity": INTEGER,
                                   "languages": {"type": "array", "items": ANY_TEXT},
                                   "available_now": {"type": ["boolean", "null"]}}}},
                "resources": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "name", "categories", "distance_m", "walk_s", "walk_m",
                                 "routing", "fit"],
                    "properties": {"id": UUID, "name": ANY_TEXT,
                                   "categories": {"type": "array", "items": ANY_TEXT},
                                   "distance_m": {"type": "number", "minimum": 0}, **WALK,
                                   "fit": FIT, "saturation": NULL_TEXT,
                                   "open_now": {"type": ["boolean", "null"]}}}}}},
    }
