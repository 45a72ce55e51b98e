"""Home page: a landing page that points each role to what it has to do; the health check."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("home.html")


@bp.route("/healthz")
def health():
    db.session.execute(text("select 1"))
    return {"status": "ok"}
