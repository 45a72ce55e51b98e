"""The OpenAPI 3.1 document of the stable interface (shared API.md): the whole contract.

Data, built once per call from what defines it: the values a field accepts come from the
models and services (statuses, outcomes, channels, roles, data·inclusion codes, error
codes), the bounds from the field rules (`services/fields`) and the settings (the service
area, the largest radius). Every operation has an operationId, its 4xx answers (each named
by its domain errors), an example body; the referral flow is linked (create → read, move,
contacts, matches, opposition) so that a client, or a fuzzer, can walk it. The HSDS answers
point at the copy of the HSDS 3.0 schemas the application serves (/hsds/schemas/).

One module per family of operations (account, directory, referrals, evaluation, candidacies,
campaigns), each giving its paths and its schemas; `values` and `answers` hold what they share.

A text is described as the field rules read it: no control character (tab and line breaks
aside), at most so many characters; a required one has a character other than white space.
"""

from .account import account_paths, account_schemas
from .answers import _body, _errors, _ok, _ref
from .campaigns import campaign_paths, campaign_schemas
from .candidacies import candidacy_paths, candidacy_schemas
from .directory import directory_paths, directory_schemas, hsds_paths
from .evaluation import evaluation_paths, evaluation_schemas
from .referrals import referral_paths, referral_schemas
from .values import absent_when_blank, text


def _schemas(area, max_radius_m):
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
