"""Public directory pages (resources near a point, resource detail) and the Leaflet files."""

import xstatic.pkg.leaflet as leaflet_package
from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("directory", __name__)

LEAFLET_MAX_AGE_S = 365 * 24 * 3600


# Template globals (not context variables) so that imported macros (_map.html) see them.
@bp.app_template_global()
def leaflet_version():
    return leaflet_package.VERSION


@bp.app_template_global()
def map_center():
    """Return (lat, lon) of the middle of the service area, where empty maps start."""
    area = current_app.config["SERVICE_AREA"]
    return (round((area.min_lat + area.max_lat) / 2, 6), round((area.min_lon + area.max_lon) / 2, 6))


@bp.route("/vendor/leaflet/<path:filename>")
def leaflet(filename):
    """Serve Leaflet from the xstatic-leaflet package (never a CDN); public and cacheable.

    URLs carry the package version (`?v=`), so a new Leaflet is fetched after an upgrade.
    """
    response = send_from_directory(leaflet_package.BASE_DIR, filename, max_age=LEAFLET_MAX_AGE_S)
    response.headers["Cache-Control"] = f"public, max-age={LEAFLET_MAX_AGE_S}, immutable"
    return response
