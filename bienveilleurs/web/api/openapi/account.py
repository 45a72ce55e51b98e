"""Accounts in the OpenAPI document: who is asking, their tokens and their own data."""

from ....errors import (
    Forbidden,
    NotFound,
    ResidentErased,
    Unauthorized,
)
from ....models import Role
from .answers import (
    ID,
    _error_codes,
    _errors,
    _ok,
    _ref,
)
from .values import (
    ANY_TEXT,
    BOOLEAN,
    NULL_TEXT,
    NULL_UUID,
    TIME,
    UUID,
)


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
