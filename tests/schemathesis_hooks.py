"""What schemathesis cannot know about this API, said once, each with its reason.

Loaded by the fuzz runs (SCHEMATHESIS_HOOKS=tests.schemathesis_hooks, see test_fuzz_api.py
and `make fuzz`). The OpenAPI document describes every value rule a JSON Schema can say
(types, bounds, lengths, patterns, enums, oneOf); the rules below depend on something no
schema can carry, so a schema-valid request may rightly be refused. Only a refusal of
positive data (check `positive_data_acceptance`) whose every detail names one of these
(operation, field) pairs is dropped; any other finding fails the run.
"""

import json
import os

import schemathesis

# (operationId, field) → why a schema-valid value may be refused (422, or 400 where said).
WORLD_RULES = {
    # A grammar that is not a regular language: the schema gives the syntax's name only.
    ("createResource", "opening_hours"): "la syntaxe OpenStreetMap opening_hours",
    ("createRelay", "availability"): "la syntaxe OpenStreetMap opening_hours",
    # An identifier in a body that names nothing in this database (API.md: 422).
    ("createResource", "structure_id"): "une structure qui n'existe pas",
    ("createReferral", "resident_id"): "une personne inconnue ou hors du périmètre",
    ("moveReferral", "relay_id"): "un bienveilleur inconnu, en pause, ou déjà attribué",
    ("moveReferral", "resource_id"): "une ressource inconnue ou inactive",
    # An account that must exist with the right role and no relay yet.
    ("createRelay", "email"): "un compte bienveilleur existant et libre",
    # What a move needs depends on the referral's current state (API.md's lifecycle table):
    # a field it needs and lacks is a 400, an outcome it does not allow a 422.
    ("moveReferral", "outcome"): "l'issue permise dépend de l'état de départ",
    ("moveReferral", "version"): "obligatoire pour une réattribution seulement",
    ("moveReferral", "reason"): "obligatoire selon l'état de départ",
    # Time: a contact or a measure cannot be dated in the future; a report kept offline is
    # at most 7 days old.
    ("addContact", "at"): "une date dans le futur",
    ("addWellbeing", "at"): "une date dans le futur",
    ("createReferral", "reported_at"): "une heure dans le futur ou de plus de 7 jours",
    # One baseline per referral (API.md, Follow-up): a second one, whatever its id, is refused.
    ("addWellbeing", "moment"): "les réponses de ce moment sont déjà notées",
    # Management scope: a point outside the caller's territories (a territorial coordinator),
    # or a (source, source_id) naming a resource managed elsewhere.
    ("createStructure", "lat"): "un point hors des territoires de l'appelant",
    ("createResource", "lat"): "un point hors des territoires de l'appelant",
    ("createRelay", "lat"): "un point hors des territoires de l'appelant",
    ("createResource", "source_id"): "une ressource gérée par une autre coordination",
    # A period: the end is the last day of its month (28 to 31, leap years), not before the
    # start, at most ten years after it (API.md, Indicators).
    ("getIndicators", "to"): "le dernier jour du mois, après le début, au plus dix ans",
    ("getIndicatorsCsv", "to"): "le dernier jour du mois, après le début, au plus dix ans",
    # Check-in campaigns: the deadline is in the future, the territories the caller's own,
    # and a call is not dated in the future.
    ("launchCampaign", "deadline"): "une échéance passée",
    ("previewCampaign", "deadline"): "une échéance passée",
    ("launchCampaign", "territory_ids"): "un territoire inconnu ou hors du périmètre",
    ("previewCampaign", "territory_ids"): "un territoire inconnu ou hors du périmètre",
    ("recordCall", "at"): "une date dans le futur",
    ("assignCheck", "relay_id"): "un bienveilleur inconnu ou inactif",
    # A box: min before max, at most 0.5 degree a side (not expressible on a comma list).
    ("listResourcesInBox", "bbox"): "l'ordre et la taille de la zone",
}
# Error codes that say the request met the state of the database, not a value rule.
STATE_CODES = {
    "idempotency_mismatch": "un id client déjà servi pour un autre contenu (le fuzzer rejoue "
                            "les id des exemples avec d'autres valeurs)",
    "resident_erased": "la personne s'est opposée plus tôt dans la même promenade (lien vers "
                       "opposeResident) : toute écriture à son sujet reçoit 410, comme le veut "
                       "API.md",
}


def _error(response):
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return {}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every finding except a world rule's refusal of schema-valid data."""
    if type(failure).__name__ != "RejectedPositiveData" or \
            response.status_code not in (400, 410, 422):
        return True
    error = _error(response)
    details = error.get("details")
    operation = case.operation.definition.raw.get("operationId")
    keep = error.get("code") not in STATE_CODES and not (details and all(
        (operation, detail.get("field")) in WORLD_RULES for detail in details))
    if not keep and os.environ.get("FUZZ_DROPPED_LOG"):  # what was dropped, for a person
        with open(os.environ["FUZZ_DROPPED_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps({"operation": operation, "status": response.status_code,
                                  "error": error}, ensure_ascii=False) + "\n")
    return keep

