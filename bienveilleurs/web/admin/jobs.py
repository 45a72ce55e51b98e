"""Administrators: the scheduled jobs, their last run, duration, outcome and error."""

from flask import Blueprint, render_template

from ...models import Role
from ...services import jobs
from ..pages import roles_required

bp = Blueprint("jobs_admin", __name__, url_prefix="/admin/taches")

@bp.route("")
@roles_required(Role.ADMIN)
def index():
    return render_template("jobs_admin/index.html", states=jobs.states())
