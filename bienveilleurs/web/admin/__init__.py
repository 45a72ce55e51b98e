"""Administration pages. The "admin" blueprint (accounts, audit log, territories) has its
routes in this package's modules; imports and sent e-mails have blueprints of their own."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
