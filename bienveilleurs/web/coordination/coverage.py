"""Coverage for coordinators: per territory, the uncovered cells and the relays that reach
it, as the job last computed them; the map fetches its cells and relays by what is in view."""

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ...config import setting
from ...errors import ValidationFailed
from ...services import coverage, coverage_map, paging
from ...services.viewport import read_viewport
from ..pages import (
    MANAGERS,
    cluster_feature,
    feature_collection,
    point_feature,
    roles_required,
    territory_outlines,
)

bp = Blueprint("coverage", __name__, url_prefix="/couverture")

# Territories listed at once, by name; « suivants » for the others.
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
    report = coverage.summaries(territories)
    computed = [t.computed_at for t in report if t.computed_at is not None]
    return render_template("coverage/index.html", report=report,
                           outlines=territory_outlines(territories),
                           uncovered=coverage.uncovered_count([t.id for t in territories]),
                           computed_at=min(computed) if computed else None, total=total,
                           next_args=territories.after.query_args() if territories.after
                           else None, here_args=key.query_args() if key else {})


@bp.get("/carte")
@roles_required(*MANAGERS)
def map_features():
    """The coverage map's features for the visible box (`zone`) at a zoom: uncovered cells
    of the user's territories and the relays they manage, gathered by zoom (GeoJSON)."""
    viewport = read_viewport(request.args)
    features = []
    for cell in coverage_map.uncovered_clusters(current_user, viewport):
        if cell.shape is not None:
            features.append({"type": "Feature", "geometry": cell.shape,
                             "properties": {"area": "uncovered", "name": "Zone non couverte"}})
        else:
            features.append(cluster_feature(cell, f"{cell.count} zones non couvertes"))
    for relay in coverage_map.relay_clusters(current_user, viewport):
        if relay.relay_id is None:
            features.append(cluster_feature(relay, f"{relay.count} bienveilleurs actifs"))
        else:
            features.append(point_feature(
                relay.lon, relay.lat, kind="relay", name=relay.name,
                detail=f"{relay.free} place(s) libre(s)",
                url=url_for("network.edit_relay", relay_id=relay.relay_id)))
    return feature_collection(features)
