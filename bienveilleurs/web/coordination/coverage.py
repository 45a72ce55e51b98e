"""Coverage for coordinators: per territory, the relays that reach it and the uncovered cells."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from ...config import setting
from ...errors import ValidationFailed
from ...services import coverage, paging
from ..pages import MANAGERS, roles_required, territory_outlines

bp = Blueprint("coverage", __name__, url_prefix="/couverture")

# Territories whose grid is computed and drawn at once, by name; « suivants » for the others.
TERRITORY_ROWS = 10


@bp.route("/")
@roles_required(*MANAGERS)
def index():
    total = coverage.count_territories_for(current_user)
    if total > setting("TERRITORIES_MAX"):
        # Only rows written outside the app pass the limit.
        raise ValidationFailed(f"{total} territoires : la couverture n'est calculée "
                               f"que jusqu'à {setting('TERRITORIES_MAX')} (réglage "
                               "TERRITORIES_MAX). Regroupez des territoires.")
    key = paging.read_name_key(request.args)
    territories = coverage.territories_page(current_user, after=key, size=TERRITORY_ROWS)
    report = coverage.coverage(territories)
    relays = coverage.relay_points(report)
    features = territory_outlines(territories)
    features["features"] += coverage.features(report, relays=relays)["features"]
    return render_template("coverage/index.html", report=report, features=features,
                           uncovered=coverage.uncovered_cells(report), total=total,
                           next_args=territories.after.query_args() if territories.after
                           else None, here_args=key.query_args() if key else {})
