"""Request hooks, security headers and the one error handler, for pages and API alike."""

import logging

from flask import (
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException

from .. import clock
from ..config import setting
from ..errors import BadRequest, Forbidden, Throttled, TooLarge, Unauthorized
from ..extensions import login_manager
from ..services import accounts
from ..services.fields.rules import has_forbidden_character
from .pages import is_api_request

log = logging.getLogger("bienveilleurs.web")


def _said_by(error_class):
    return error_class.code, error_class.default_message


HTTP_MESSAGES = {
    400: _said_by(BadRequest),
    401: _said_by(Unauthorized),
    403: ("forbidden", "Vous n'avez pas accès à cette page."),
    404: ("not_found", "Cette page n'existe pas ou ne vous est pas accessible."),
    405: ("method_not_allowed", "Cette méthode n'est pas permise ici."),
    413: _said_by(TooLarge),
    415: ("bad_request", "Le format du contenu envoyé n'est pas pris en charge."),
    429: _said_by(Throttled),
    500: ("server_error", "Une erreur inattendue s'est produite. L'équipe a été prévenue."),
    503: ("unavailable", "Le service est momentanément indisponible. Réessayez dans un instant."),
}

# Public files with their own long cache headers (not pages: no session refresh, no no-store).
PUBLIC_STATIC_ENDPOINTS = {"static", "directory.leaflet"}


# --- who is asking ------------------------------------------------------------------------

def load_bearer_user(req):
    """Authenticate API calls by `Authorization: Bearer`; pages never accept tokens."""
    header = req.headers.get("Authorization", "")
    if not header or not req.path.startswith("/api/"):
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        g.auth_error = "En-tête Authorization invalide : utilisez « Bearer <jeton> »."
        return None
    user = accounts.user_for_token(token.strip())
    if user is None:
        g.auth_error = "Jeton d'API invalide ou révoqué."
        return None
    g.auth_method = "token"
    return user


def refuse_unreadable_input():
    """Refuse (400) a query string or a form that holds what no person types.

    NUL, other control characters and lone surrogates: PostgreSQL fails on the first, and
    some pages hand a form's text to a query without a service reading it through `Fields`.
    Checked once here for every page; an API body is read by its view (`api.json_body`).
    """
    if request.endpoint in PUBLIC_STATIC_ENDPOINTS:
        return None
    sources = [request.args] if is_api_request() else [request.args, request.form]
    for values in sources:
        for name, value in values.items(multi=True):
            if has_forbidden_character(name) or has_forbidden_character(value):
                field = "?" if has_forbidden_character(name) else name
                raise BadRequest(
                    "La demande contient des caractères invalides (caractères de contrôle ou mal "
                    "encodés) : corrigez le texte saisi et réessayez.",
                    details=[{"field": field, "message": f"Champ « {field} » : caractère de "
                                                         "contrôle ou mal encodé."}])
    return None


def session_timeouts():
    """End a session idle too long, or older than its absolute lifetime."""
    if request.endpoint in PUBLIC_STATIC_ENDPOINTS or "_user_id" not in session:
        return None
    now = clock.now().timestamp()
    idle = setting("SESSION_IDLE_MINUTES") * 60
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    seen = session.get("seen", now)
    started = session.get("started", now)
    if now - seen > idle or now - started > lifetime:
        logout_user()
        session.clear()
        if not is_api_request():
            flash("Votre session a expiré. Reconnectez-vous.", "info")
        return None
    # Refresh at most once a minute to keep cookie churn down.
    if now - seen > 60:
        session["seen"] = now
    return None


# What an account that must still give or set up its second factor may open.
SECOND_FACTOR_EXEMPT = PUBLIC_STATIC_ENDPOINTS | {"two_factor.enrol", "auth.logout",
                                                  "main.health"}


def second_factor_gate():
    """Keep a session without its second factor away from everything else.

    An admin or a coordinator who has not enrolled yet is sent to enrolment from every page
    (the API answers 403); a session of an account whose second factor is on but was not
    given in it (opened before it was turned on) ends. API tokens are not concerned.
    """
    if (request.endpoint in SECOND_FACTOR_EXEMPT or "_user_id" not in session
            or session.get("second_factor")):
        return None
    user = current_user
    if not user.is_authenticated or g.get("auth_method") == "token":
        return None
    if user.two_factor_enabled:
        logout_user()
        session.clear()
        raise Unauthorized("Reconnectez-vous : votre compte demande maintenant un code de "
                           "double authentification.")
    if user.two_factor_required:
        if is_api_request():
            raise Forbidden("Activez d'abord la double authentification (page « Mon compte »).")
        return redirect(url_for("two_factor.enrol"), code=303)
    return None


# --- headers ------------------------------------------------------------------------------

def security_headers(response):
    tile_origin = _tile_origin()
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
           f"img-src 'self' data:{' ' + tile_origin if tile_origin else ''}; "
           "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
    h = response.headers
    h.setdefault("Content-Security-Policy", csp)
    h["X-Content-Type-Options"] = "nosniff"
    h.setdefault("Referrer-Policy", "same-origin")  # a page may be stricter (no-referrer)
    h["X-Frame-Options"] = "DENY"
    h["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["HSTS"]:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Only look at a user already loaded by the request: never query from here. Not
    # `is_authenticated`: it reads the account's columns, which a use case's commit expired
    # (a reload, with a connection of its own, after every write).
    user = g.get("_login_user")
    if (request.endpoint not in PUBLIC_STATIC_ENDPOINTS and user is not None
            and not user.is_anonymous):
        h["Cache-Control"] = "no-store"
    return response


def _tile_origin():
    url = setting("TILE_URL")
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}"


# --- errors -------------------------------------------------------------------------------

def _respond(status, code, message, details=None, headers=None):
    headers = {**(headers or {}), **_challenge(status)}
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        body = {"error": {"code": code, "message": message}}
        if details:
            body["error"]["details"] = details
        response = jsonify(body)
    else:
        response = current_app.make_response(
            (render_template("error.html", status=status, message=message,
                             details=details or []), status))
    response.status_code = status
    # An error is about this request only: no shared cache keeps it (/hsds is public).
    response.headers["Cache-Control"] = "no-store"
    for key, value in headers.items():
        response.headers[key] = value
    return response


def _challenge(status):
    """The scheme an API client should use after a 401 (RFC 9110, RFC 6750)."""
    if status != 401 or not is_api_request():
        return {}
    challenge = 'Bearer realm="bienveilleurs"'
    if g.get("auth_error"):  # a token (or an Authorization header) was sent and refused
        challenge += ', error="invalid_token"'
    return {"WWW-Authenticate": challenge}


def domain_error(error):
    # The use case that raised it has rolled its work back already.
    if error.status == 401 and not is_api_request():
        flash(error.message, "info")
        return redirect(url_for("auth.login",
                                next=request.full_path if request.method == "GET" else None))
    return _respond(error.status, error.code, error.message, error.details, error.headers)


def csrf_error(error):
    return _respond(400, "csrf_failed",
                    "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez.")


def http_error(error):
    code, message = HTTP_MESSAGES.get(error.code, ("error", error.description or "Erreur."))
    if error.code == 401 and not is_api_request():
        return redirect(url_for("auth.login"))
    headers = {}
    if getattr(error, "valid_methods", None):  # 405: the methods this address accepts
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return _respond(error.code or 500, code, message, headers=headers)


def database_down(error):
    log.error("database unavailable: %s", error.__class__.__name__)
    # Rendering the page must not ask the database who is signed in.
    g._login_user = login_manager.anonymous_user()
    return _respond(503, *HTTP_MESSAGES[503])


def unexpected(error):
    if isinstance(error, HTTPException):
        return http_error(error)
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _respond(500, *HTTP_MESSAGES[500])
