"""The OpenAPI 3.1 document of the stable interface (shared API.md): the whole contract.

Data, built once per call from what defines it: the values a field accepts come from the
models and services (statuses, outcomes, channels, roles, data·inclusion codes, error
codes), the bounds from the field rules (`services/fields`) and the settings (the service
area, the largest radius). Every operation has an operationId, its 4xx answers (each named
by its domain errors), an example body; the referral flow is linked (create → read, move,
contacts, matches, opposition) so that a client, or a fuzzer, can walk it. The HSDS answers
point at the copy of the HSDS 3.0 schemas the application serves (/hsds/schemas/).

A text is described as the field rules read it: no control character (tab and line breaks
aside), at most so many characters; a required one has a character other than white space.
"""

from ...errors import (
    BadRequest,
    CapacityFull,
    Conflict,
    ConsentRequired,
    DomainError,
    Forbidden,
    IdempotencyMismatch,
    InvalidTransition,
    NotFound,
    ResidentErased,
    StaleVersion,
    Throttled,
    TooLarge,
    Unauthorized,
    ValidationFailed,
)
from ...models import CHANNELS, OUTCOMES, PROFILES, STATUSES, Role
from ...services.candidacies.public import ADDRESS_MAX, AVAILABILITY_MAX, FIRST_NAME_MAX
from ...services.codes import publics, thematiques
from ...services.directory import RELAY_STATUSES, SATURATIONS
from ...services.fields.rules import EMAIL_MAX, INTEGER_MAX, PHONE_MAX, URL_MAX
from ...services.matching import MAX_LIMIT, MAX_WALK_S
from ...services.open_referral import MAX_PAGE, MAX_PER_PAGE
from ...services.referrals.table import NAME_MAX, NOTE_MAX, REASON_MAX
from .openapi_evaluation import evaluation_paths, evaluation_schemas

HSDS_SCHEMAS = "/hsds/schemas/"

# --- values -------------------------------------------------------------------------------

_CONTROL = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_BLANK = r" \t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT = f"^[^{_CONTROL}]*$"
FILLED_TEXT = f"^[^{_CONTROL}]*[^{_BLANK}{_CONTROL}][^{_CONTROL}]*$"
_SPACE = f"[{_BLANK}]*"
PHONE = rf"^{_SPACE}\+?[{_BLANK}.\-()/]*(?:[0-9][{_BLANK}.\-()/]*){{4,15}}$"
_EMAIL_PART = f"[^@{_BLANK}{_CONTROL}]+"
EMAIL = rf"^{_SPACE}{_EMAIL_PART}@{_EMAIL_PART}\.[^@.{_BLANK}{_CONTROL}]+{_SPACE}$"
WEB = (r"^(?:[hH][tT][tT][pP][sS]?://)?[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+(?::[0-9]{1,4})?"
       rf"(?:/[^{_BLANK}{_CONTROL}]*)?$")
UUID = {"type": "string", "format": "uuid"}
NULL_UUID = {"type": ["string", "null"], "format": "uuid"}
NULL_TEXT = {"type": ["string", "null"]}
NULL_NUMBER = {"type": ["number", "null"]}
ANY_TEXT = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
STATUS = {"type": "string", "enum": list(STATUSES)}
OUTCOME = {"type": ["string", "null"], "enum": [*OUTCOMES, None]}


def text(max_length, *, required=False, description=None):
    """A text as `Fields.text` reads it (at most `max_length` characters, trimmed)."""
    schema = {"type": "string", "maxLength": max_length,
              "pattern": FILLED_TEXT if required else TEXT}
    if required:
        schema["minLength"] = 1
    if description:
        schema["description"] = description
    return schema


def codes(values, description, *, max_items=100, min_items=0):
    """A list of codes, each one of `values`; in a list that may be empty, blank items are
    dropped (and so allowed)."""
    item = {"type": "string", "enum": sorted(values)}
    schema = {"type": "array", "maxItems": max_items, "description": description,
              "items": {"anyOf": [item, {"type": "string", "pattern": f"^[{_BLANK}]*$"}]}}
    if min_items:
        schema.update(minItems=min_items, items=item)
    return schema


def _categories(**kwargs):
    return codes(thematiques(), "codes « thematiques » de data·inclusion ; un code de premier "
                 "niveau vaut pour ses sous-codes", **kwargs)


def _audiences():
    return codes(publics(), "codes « publics » de data·inclusion")


LANGUAGES = {"type": "array", "maxItems": 100, "description": "codes ISO 639-1",
             "items": {"type": "string", "pattern": f"^{_SPACE}(?:[a-zA-Z]{{2}})?{_SPACE}$"}}
PHONE_NUMBER = {"type": "string", "maxLength": PHONE_MAX, "pattern": PHONE,
                "description": "de 4 à 15 chiffres ; espaces, + . - ( ) / permis",
                "example": "02 35 00 00 00"}
EMAIL_ADDRESS = {"type": "string", "maxLength": EMAIL_MAX, "pattern": EMAIL,
                 "example": "accueil@exemple.fr"}
WEBSITE = {"type": "string", "maxLength": URL_MAX - len("https://"), "pattern": WEB,
           "description": "http ou https (https:// ajouté sans schéma)",
           "example": "https://exemple.fr"}
OPENING_HOURS = {"type": "string", "maxLength": 255, "pattern": TEXT,
                 "description": "syntaxe OpenStreetMap opening_hours",
                 "example": "Mo-Fr 09:00-17:00"}


def blank_or_absent():
    """A value the field rules read as absent: null, or a text of white space only."""
    return {"type": ["string", "null"], "pattern": f"^[{_BLANK}]*$"}


def paired(first, second, max_lengths):
    """Both texts given (not blank), or neither (absent, null or blank)."""
    return {"anyOf": [
        {"properties": {first: blank_or_absent(), second: blank_or_absent()}},
        {"required": [first, second],
         "properties": {first: text(max_lengths[0], required=True),
                        second: text(max_lengths[1], required=True)}}]}


def absent_when_blank(schema):
    """Say how the field rules read an optional property: null means absent, and so does a
    blank text in place of a text, a number or an identifier."""
    required = set(schema.get("required", ()))
    properties = schema["properties"]
    for name, prop in list(properties.items()):
        if name in required or "type" not in prop:
            continue
        kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        if {"string", "integer", "number"} & set(kinds):
            properties[name] = {"anyOf": [prop, blank_or_absent()]}
        else:
            properties[name] = {**prop, "type": [*kinds, "null"]}
    return schema


def coordinates(area):
    """lat and lon, inside the service area (SERVICE_AREA)."""
    return {"lat": {"type": "number", "minimum": area.min_lat, "maximum": area.max_lat,
                    "description": "latitude, degrés décimaux (WGS84), dans SERVICE_AREA"},
            "lon": {"type": "number", "minimum": area.min_lon, "maximum": area.max_lon,
                    "description": "longitude, degrés décimaux (WGS84), dans SERVICE_AREA"}}


# --- answers ------------------------------------------------------------------------------

def _error_codes():
    found = {c.code for c in _subclasses(DomainError)} | {DomainError.code}
    return sorted(found | {"method_not_allowed", "csrf_failed", "server_error", "unavailable"})


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _errors(*error_classes):
    """The error answers of an operation, one per status, naming its codes."""
    by_status = {}
    for error in error_classes:
        by_status.setdefault(error.status, []).append(error)
    answers = {}
    for status, errors in sorted(by_status.items()):
        answer = {"description": " ; ".join(f"{e.code} : {e.default_message}" for e in errors),
                  "content": {"application/json": {"schema": _ref("Error")}}}
        if status == 401:
            answer["headers"] = {"WWW-Authenticate": {
                "description": "Bearer realm=\"bienveilleurs\"",
                "schema": {"type": "string", "pattern": "^Bearer "}}}
        answers[str(status)] = answer
    return answers


def _ref(schema):
    return {"$ref": f"#/components/schemas/{schema}"}


def _ok(description, schema=None, status="200", links=None):
    answer = {"description": description,
              "content": {"application/json": {"schema": schema or {"type": "object"}}}}
    if links:
        answer["links"] = links
    return {status: answer}


def _body(schema, example):
    return {"required": True, "content": {"application/json": {
        "schema": _ref(schema), "example": example}}}


def _query(name, description, schema=None, required=False, explode=None):
    parameter = {"name": name, "in": "query", "required": required, "description": description,
                 "schema": schema or {"type": "string"}}
    if explode is not None:
        parameter.update(style="form", explode=explode)
    return parameter


def _link(operation_id, description, parameter="$response.body#/id"):
    return {"operationId": operation_id, "description": description,
            "parameters": {"id": parameter}}


ID = {"name": "id", "in": "path", "required": True, "schema": UUID}
# Lists in a query string can make a request line longer than the web server reads.
URI_TOO_LONG = {"414": {"description": "URI trop longue pour le serveur web (gunicorn lit au "
                                       "plus 4 094 octets de ligne de requête)"}}
WRITE_ERRORS = (BadRequest, Unauthorized, Forbidden, TooLarge, ValidationFailed)
# Every matched item: its walk on the street network (null without one, or off it), and
# for resources the reasons of its rank.
WALK = {"walk_s": {"type": ["integer", "null"], "minimum": 0},
        "walk_m": {"type": ["number", "null"], "minimum": 0},
        "routing": {"type": "string", "enum": ["walk", "straight"]}}
FIT = {"type": "array", "items": {
    "type": "object", "required": ["code", "value"],
    "properties": {"code": {"type": "string", "enum": ["audience", "open_now", "opens_at", "full",
                                                       "language", "accessible"]},
                   "value": {"type": ["string", "boolean"]}}}}


def _flags():
    flag = {"type": "boolean"}
    return [_query("open_now", "ressources ouvertes maintenant", flag),
            _query("accessible", "ressources accessibles", flag),
            _query("available_now", "bienveilleurs disponibles maintenant", flag),
            _query("limit", f"par liste, 5 par défaut, au plus {MAX_LIMIT}",
                   {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
            _query("max_walk_s", "temps de marche maximal en secondes ; ignoré sans réseau "
                   "piéton (routing: straight)",
                   {"type": "integer", "minimum": MAX_WALK_S[0], "maximum": MAX_WALK_S[1]})]


def _match_filters():
    return [_query("audiences", "codes publics, séparés par des virgules",
                   {**_audiences(), "maxItems": 100}, explode=False),
            _query("languages", "codes ISO 639-1, séparés par des virgules", LANGUAGES,
                   explode=False),
            *_flags()]


# --- the operations -----------------------------------------------------------------------

def account_paths():
    return {
        "/api/v1/me": {"get": {
            "operationId": "getMe", "summary": "Le compte authentifié",
            "responses": {**_ok("Le compte", _ref("Me")), **_errors(Unauthorized)}}},
        "/api/v1/me/offline": {"get": {
            "operationId": "getOfflineCopy",
            "summary": "La copie minimale de « Mes personnes » gardée sur le téléphone "
                       "(bienveilleur)",
            "description": "Pour l'application hors ligne : les orientations en cours attribuées "
                           "au bienveilleur, avec seulement l'identifiant, le prénom ou "
                           "pseudonyme et la prochaine étape ; ni notes, ni besoins, ni "
                           "positions. Les autres rôles reçoivent 403.",
            "responses": {**_ok("La copie", _ref("OfflineCopy")),
                          **_errors(Unauthorized, Forbidden)}}},
        "/api/v1/residents/{id}/opposition": {"post": {
            "operationId": "opposeResident",
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
            "parameters": [ID],
            "responses": {**_ok("Données effacées", _ref("Erasure")),
                          **_errors(Unauthorized, Forbidden, NotFound, ResidentErased)}}},
    }


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


# --- the shapes ---------------------------------------------------------------------------

def candidacy_paths():
    return {
        "/api/v1/candidacies": {"post": {
            "operationId": "offerToHelp",
            "summary": "Proposer de devenir bienveilleur (public, sans compte)",
            "description": "Freiné par adresse du client et par adresse e-mail destinataire "
                           "(429). Répond 202 avec le même corps que l'adresse soit connue ou "
                           "non ; un e-mail demande de confirmer l'adresse (double "
                           "confirmation). Sans lat/lon, l'adresse est placée par le service "
                           "d'adresses quand il y en a un (422 sinon).",
            "security": [],
            "requestBody": _body("CandidacyInput", {
                "first_name": "Nadia", "email": "nadia@exemple.fr", "lat": 49.4944,
                "lon": 0.1079, "profile": "resident", "languages": ["fr", "ar"],
                "availability": "le samedi matin", "consent": True}),
            "responses": {**_ok("Reçue", {"type": "object", "required": ["status", "message"],
                                          "properties": {"status": {"const": "accepted"},
                                                         "message": ANY_TEXT}}, "202"),
                          **_errors(BadRequest, TooLarge, ValidationFailed, Throttled)}}},
    }


def candidacy_schemas(area):
    return {
        "CandidacyInput": {
            "type": "object", "required": ["first_name", "email", "profile", "consent", "lat",
                                           "lon"],
            "properties": {
                "first_name": text(FIRST_NAME_MAX, required=True), "email": EMAIL_ADDRESS,
                "phone": PHONE_NUMBER, **coordinates(area), "address": text(ADDRESS_MAX),
                "profile": {"type": "string", "enum": list(PROFILES)},
                "languages": LANGUAGES, "availability": text(AVAILABILITY_MAX),
                "consent": {"const": True,
                            "description": "la personne accepte que ses réponses soient "
                                           "gardées pour étudier sa candidature"}}},
    }


def account_schemas():
    return {
        "Error": {
            "type": "object", "required": ["error"],
            "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": _error_codes()},
                    "message": ANY_TEXT,
                    "details": {"type": "array", "items": {
                        "type": "object", "required": ["message"],
                        "properties": {"field": ANY_TEXT, "message": ANY_TEXT}}}}}},
            "example": {"error": {"code": "validation_error", "message": "Le nom est obligatoire.",
                                  "details": [{"field": "name",
                                               "message": "Le nom est obligatoire."}]}}},
        "OfflineCopy": {
            "type": "object", "required": ["user_id", "relay_id", "saved_at", "people"],
            "properties": {
                "user_id": UUID, "relay_id": NULL_UUID, "saved_at": TIME,
                "people": {"type": "array", "items": {
                    "type": "object", "required": ["id", "name", "next_step", "can_contact"],
                    "properties": {"id": UUID, "name": ANY_TEXT, "next_step": ANY_TEXT,
                                   "can_contact": BOOLEAN}}}}},
        "Me": {
            "type": "object", "required": ["id", "email", "role"],
            "properties": {
                "id": UUID, "email": ANY_TEXT,
                "role": {"type": "string", "enum": [role.value for role in Role]},
                "display_name": NULL_TEXT, "relay_id": UUID,
                "structure_ids": {"type": "array", "items": UUID},
                "territory_ids": {"type": "array", "items": UUID}}},
        "Erasure": {
            "type": "object", "required": ["resident_id", "erased_at", "closed_referral_ids"],
            "properties": {"resident_id": UUID, "erased_at": TIME,
                           "closed_referral_ids": {"type": "array", "items": UUID}}},
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


def _schemas(area, max_radius_m):
    from .openapi_campaigns import campaign_schemas
    schemas = {**account_schemas(), **directory_schemas(area, max_radius_m),
               **referral_schemas(area), **evaluation_schemas(),
               **candidacy_schemas(area), **campaign_schemas()}
    for name, schema in schemas.items():
        if name.endswith("Input"):
            absent_when_blank(schema)
    absent_when_blank(schemas["ReferralInput"]["properties"]["resident"])
    return schemas


def openapi_document(*, area, max_radius_m):
    """The document, with the bounds of this deployment (service area, largest radius)."""
    from .openapi_campaigns import campaign_paths
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bienveilleurs API", "version": "1.0.0",
                 "description": "Interface stable pour les intégrations (voir API.md). Un corps "
                                "JSON de plus de API_MAX_BODY_KB (64 kio par défaut) reçoit "
                                "413 too_large. Les pages de l'application appellent aussi "
                                "l'API avec leur session, l'en-tête X-Requested-With: "
                                "bienveilleurs et une origine identique."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "jeton de `flask users token`"}},
            "schemas": _schemas(area, max_radius_m),
        },
        "security": [{"bearer": []}],
        "paths": {**account_paths(), **directory_paths(area), **referral_paths(),
                  **evaluation_paths(_ok, _errors, _body, _ref, text), **hsds_paths(),
                  **candidacy_paths(), **campaign_paths()},
    }
