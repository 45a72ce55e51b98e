"""The JSON API under /api/v1: authentication rules and the body reader of every API view."""

import json
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, request
from flask_login import current_user
from sqlalchemy.engine import Engine

from ...config import setting
from ...errors import BadRequest, Forbidden, Unauthorized
from ...extensions import db
from ...replica import reads_only  # noqa: F401  (the views of this package import it here)
from ...services.fields import NOT_AN_OBJECT

PUBLIC_ENDPOINTS = {"api.openapi", "api_candidacies.submit"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def make_api_blueprint(name):
    """Create a blueprint under /api/v1 that requires a token or a protected session call."""
    bp = Blueprint(name, __name__, url_prefix="/api/v1")
    bp.before_request(_authenticate)
    return bp


# `@reads_only` (replica.py) marks a GET view whose statements only read. Under /api/v1 it
# also runs them without a transaction: each statement then sees its own snapshot, which is
# all a directory lookup needs, and the request saves the BEGIN and ROLLBACK round trips
# (two of the five a match call made).


def _without_transaction():
    # Before the token lookup, the request's first statement. Tests bind the session to a
    # connection already inside their rolled-back transaction: leave that one as it is.
    if isinstance(db.session.get_bind(), Engine):
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _same_origin(value):
    try:
        parts = urlsplit(value)
    except ValueError:  # "http://[": no origin at all, so not ours
        return False
    here = urlsplit(request.host_url)
    return (parts.scheme, parts.netloc) == (here.scheme, here.netloc)


def _authenticate():
    # Bodies past this size are refused (413) before a byte of them is parsed.
    request.max_content_length = setting("API_MAX_BODY_KB") * 1024
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if request.method == "GET" and getattr(current_app.view_functions.get(request.endpoint),
                                           "reads_only", False):
        _without_transaction()
    if not current_user.is_authenticated:
        if g.get("auth_error"):
            raise Unauthorized(g.auth_error)
        raise Unauthorized("Authentification requise : jeton d'API (Bearer) ou session.")
    if g.get("auth_method") == "token":
        return
    # A session cookie: only the app's own pages may use it, never another site (CSRF).
    if request.headers.get("X-Requested-With") != "bienveilleurs":
        raise Forbidden("Appel refusé : l'en-tête X-Requested-With: bienveilleurs est requis "
                        "avec une session.")
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin):
        raise Forbidden("Appel refusé : origine différente du site.")
    if request.method in UNSAFE_METHODS and origin is None:
        site = request.headers.get("Sec-Fetch-Site")
        if site != "same-origin":
            raise Forbidden("Appel refusé : l'en-tête Origin est requis avec une session.")


def json_body():
    """Return the request's JSON object; any other body is a 400 with a French message.

    Every API view that reads a body calls this: whatever the body holds (bytes that are
    not UTF-8, a number of more than 4,300 digits, arrays nested past the parser's
    recursion limit, a list or a string at the top), the answer is a 400 `bad_request`,
    never a 500. NaN and 1e999 are read (as Python does) and refused by `Fields` on their
    field, like any number out of range.
    """
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise BadRequest("Le corps de la requête doit être du JSON valide.") from None
    if not isinstance(data, dict):
        raise BadRequest(NOT_AN_OBJECT)
    return data
