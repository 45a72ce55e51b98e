"""Administration pages (blueprint "admin"): accounts, audit log, territories, coverage helpers."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import accounts, territories  # noqa: E402,F401  (routes register on bp)
