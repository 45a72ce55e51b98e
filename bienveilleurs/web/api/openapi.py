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
