"""Helpers shared by the blueprints: role checks, JSON detection, client address."""

from functools import wraps

from flask import request
from flask_login import current_user

from ..errors import Forbidden, Unauthorized
from ..models import Role


def is_api_request():
    return request.path.startswith("/api/") or request.path.startswith("/hsds/")


def roles_required(*roles):
    """Allow the view only to signed-in users with one of these roles (403 otherwise)."""
    allowed = {Role(r).value for r in roles}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                raise Unauthorized("Connectez-vous pour accéder à cette page.")
            if current_user.role not in allowed:
                raise Forbidden()
            return view(*args, **kwargs)
        return wrapped
    return decorator


def login_required_any(view):
    return roles_required(*Role)(view)
