"""Coverage for coordinators: per territory, the relays that reach it and the uncovered cells."""

from flask import Blueprint, render_template
from flask_login import current_user

from ...config import setting
from ...errors import ValidationFailed
from ...services import coverage
from ..pages import MANAGERS, roles_required, territory_outlines

bp = Blueprint("coverage", __name__, url_prefix="/couverture")


@bp.route("/")
@roles_required(*MANAGERS)
def index():
    territories = coverage.territories_for(current_user)
    if len(territories) > setting("TERRITORIES_MAX"):
        # Only rows written outside the app pass the limit; the grid would take minutes.
        raise ValidationFailed(f"{len(territories)} territoires : la couverture n'est calculée "
                               f"que jusqu'à {setting('TERRITORIES_MAX')} (réglage "
                               "TERRITORIES_MAX). Regroupez des territoires.")
    report = coverage.coverage(territories)
    relays = coverage.relay_points(report)
    features = territory_outlines(territories)
    features["features"] += coverage.features(report, relays=relays)["features"]
    return render_template("coverage/index.html", report=report, features=features,
                           uncovered=coverage.uncovered_cells(report))
