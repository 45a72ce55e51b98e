"""Pages and JSON API: wire the discovered blueprints, the hooks and the template helpers.

Every module of this package that defines a module-level `bp = Blueprint(...)` is
registered, in the order of the modules' names; those under `web/api/` are the JSON API
(exempt from CSRF: a bearer token, or a session with the app's own header, instead).
A new page family is a new module with its `bp`: nothing to add here.
"""

import importlib
import pkgutil

from flask import Blueprint
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..errors import DomainError
from ..extensions import csrf, login_manager
from ..services import accounts
from . import hooks
from .nav import navigation
from .pages import TEMPLATE_FILTERS, TEMPLATE_GLOBALS

API_PACKAGE = f"{__name__}.api"


def register_web(app):
    if app.config["TRUSTED_PROXIES"] > 0:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are rotated and versioned ourselves
    login_manager.user_loader(accounts.load_session_user)
    login_manager.request_loader(hooks.load_bearer_user)

    for module_name, blueprint in discover_blueprints():
        app.register_blueprint(blueprint)
        if module_name == API_PACKAGE or module_name.startswith(API_PACKAGE + "."):
            csrf.exempt(blueprint)

    app.before_request(hooks.refuse_unreadable_input)
    app.before_request(hooks.session_timeouts)
    app.before_request(hooks.second_factor_gate)
    app.after_request(hooks.security_headers)
    app.register_error_handler(DomainError, hooks.domain_error)
    app.register_error_handler(CSRFError, hooks.csrf_error)
    app.register_error_handler(HTTPException, hooks.http_error)
    app.register_error_handler(OperationalError, hooks.database_down)
    app.register_error_handler(Exception, hooks.unexpected)

    app.jinja_env.filters.update(TEMPLATE_FILTERS)
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    app.context_processor(lambda: {"nav": navigation()})


def discover_blueprints():
    """Return [(module name, blueprint)] for every module-level `bp` of this package.

    Every module is imported first, so that a blueprint whose routes sit in several
    modules of its package (admin) has them all; each blueprint is listed once.
    """
    modules = [importlib.import_module(info.name)
               for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}.")]
    found, seen = [], set()
    for module in sorted(modules, key=lambda m: m.__name__):
        blueprint = getattr(module, "bp", None)
        if isinstance(blueprint, Blueprint) and id(blueprint) not in seen:
            seen.add(id(blueprint))
            found.append((module.__name__, blueprint))
    return found
