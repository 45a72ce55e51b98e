"""Blueprints, request hooks, security headers and the one error handler."""

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
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import clock
from ..errors import DomainError, Unauthorized
from ..extensions import csrf, db, login_manager
from ..models import ROLE_LABELS, Role
from ..services import accounts
from .common import is_api_request
from .nav import navigation

log = logging.getLogger("bienveilleurs.web")

HTTP_MESSAGES = {
    400: ("bad_request", "La demande est mal formée."),
    401: ("unauthorized", "Identifiants absents ou invalides."),
    403: ("forbidden", "Vous n'avez pas accès à cette page."),
    404: ("not_found", "Cette page n'existe pas ou ne vous est pas accessible."),
    405: ("method_not_allowed", "Cette méthode n'est pas permise ici."),
    413: ("too_large", "Le contenu envoyé est trop volumineux."),
    415: ("bad_request", "Le format du contenu envoyé n'est pas pris en charge."),
    429: ("throttled", "Trop de tentatives. Réessayez dans quelques instants."),
    500: ("server_error", "Une erreur inattendue s'est produite. L'équipe a été prévenue."),
    503: ("unavailable", "Le service est momentanément indisponible. Réessayez dans un instant."),
}


# Public files with their own long cache headers (not pages: no session refresh, no no-store).
PUBLIC_STATIC_ENDPOINTS = {"static", "directory.leaflet"}


def register_web(app):
    if app.config["TRUSTED_PROXIES"] > 0:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are rotated and versioned ourselves
    login_manager.user_loader(accounts.load_session_user)
    login_manager.request_loader(_load_bearer_user)

    for blueprint in page_blueprints():
        app.register_blueprint(blueprint)
    for blueprint in api_blueprints():
        app.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # the API has its own protection (bearer token, or header + Origin)

    app.before_request(_session_timeouts)
    app.after_request(_security_headers)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(Exception, _unexpected)

    @app.context_processor
    def _globals():
        return {"nav": navigation(), "ROLE_LABELS": {r.value: label for r, label in ROLE_LABELS.items()},
                "local_time": clock.local}


def page_blueprints():
    from .account import bp as account
    from .admin import bp as admin
    from .auth import bp as auth
    from .booklets import bp as booklets
    from .coordination import bp as coordination
    from .coverage import bp as coverage
    from .directory import bp as directory
    from .imports import bp as imports
    from .invitations import bp as invitations
    from .main import bp as main
    from .manage import bp as manage
    from .network import bp as network
    from .notifications_admin import bp as notifications_admin
    from .offline import bp as offline
    from .preferences import bp as preferences
    from .privacy import bp as privacy
    from .profile import bp as profile
    from .referral_corrections import bp as referral_corrections
    from .relay import bp as relay
    from .relays_admin import bp as relays_admin
    from .structure import bp as structure
    from .structure_members import bp as structure_members
    from .structure_merge import bp as structure_merge
    from .tokens import bp as tokens
    return [referral_corrections, booklets, imports, account, auth, privacy, main, directory, preferences, notifications_admin, manage, network, profile,
            admin, coverage, invitations, tokens, relays_admin, structure_members,
            relay, coordination, structure, structure_merge, offline]


def api_blueprints():
    from .api.account import bp as account
    from .api.directory import bp as api_directory
    from .api.offline import bp as api_offline
    from .api.privacy import bp as api_privacy
    from .api.referrals import bp as api_referrals
    from .hsds import bp as hsds
    return [account, api_privacy, api_directory, api_referrals, api_offline, hsds]


def _load_bearer_user(req):
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


def _session_timeouts():
    """End a session idle too long, or older than its absolute lifetime."""
    if request.endpoint in PUBLIC_STATIC_ENDPOINTS or "_user_id" not in session:
        return None
    now = clock.now().timestamp()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
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


def _security_headers(response):
    tile_origin = _tile_origin()
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
           f"img-src 'self' data:{' ' + tile_origin if tile_origin else ''}; "
           "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
    h = response.headers
    h.setdefault("Content-Security-Policy", csp)
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["X-Frame-Options"] = "DENY"
    h["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["HSTS"]:
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Only look at a user already loaded by the request: never query from here.
    user = g.get("_login_user")
    if request.endpoint not in PUBLIC_STATIC_ENDPOINTS and user is not None and user.is_authenticated:
        h["Cache-Control"] = "no-store"
    return response


def _tile_origin():
    url = current_app.config.get("TILE_URL", "")
    if not url:
        return ""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return f"{scheme}://{host}"


def _respond(status, code, message, details=None, headers=None):
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        body = {"error": {"code": code, "message": message}}
        if details:
            body["error"]["details"] = details
        response = jsonify(body)
    else:
        response = current_app.make_response(
            (render_template("error.html", status=status, message=message, details=details or []),
             status))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _domain_error(error):
    db.session.rollback()
    if error.status == 401 and not is_api_request():
        flash(error.message, "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return _respond(error.status, error.code, error.message, error.details, error.headers)


def _csrf_error(error):
    return _respond(400, "csrf_failed",
                    "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez.")


def _http_error(error):
    code, message = HTTP_MESSAGES.get(error.code, ("error", error.description or "Erreur."))
    if error.code == 401 and not is_api_request():
        return redirect(url_for("auth.login"))
    return _respond(error.code or 500, code, message)


def _database_down(error):
    log.error("database unavailable: %s", error.__class__.__name__)
    # Rendering the page must not ask the database who is signed in.
    g._login_user = login_manager.anonymous_user()
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone entirely
        pass
    return _respond(503, *HTTP_MESSAGES[503])


def _unexpected(error):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unexpected error on %s %s", request.method, request.path)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        pass
    return _respond(500, *HTTP_MESSAGES[500])
