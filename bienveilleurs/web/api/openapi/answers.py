"""The answers of the OpenAPI document: errors named by their domain errors, bodies, queries,
links, shared by every family of operations."""

from ....errors import (
    BadRequest,
    DomainError,
    Forbidden,
    TooLarge,
    Unauthorized,
    ValidationFailed,
)
from ....services.matching import MAX_LIMIT, MAX_WALK_S
from .values import (
    LANGUAGES,
    UUID,
    _audiences,
)


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
