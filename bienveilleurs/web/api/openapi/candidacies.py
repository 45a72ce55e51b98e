"""« Devenir bienveilleur » in the OpenAPI document: the public offer to help."""

from ....errors import (
    BadRequest,
    Throttled,
    TooLarge,
    ValidationFailed,
)
from ....models import PROFILES
from ....services.candidacies.public import ADDRESS_MAX, AVAILABILITY_MAX, FIRST_NAME_MAX
from .answers import (
    _body,
    _errors,
    _ok,
)
from .values import (
    ANY_TEXT,
    EMAIL_ADDRESS,
    LANGUAGES,
    PHONE_NUMBER,
    coordinates,
    text,
)


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
