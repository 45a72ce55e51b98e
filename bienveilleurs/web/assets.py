"""Static files' URLs carry a digest of their content (`/static/css/app.css?v=…`).

A new deployment changes the URL of every file it changes, so nginx may serve `/static/`
with a year of caching whenever `v` is present (deploy/nginx/bienveilleurs.conf): phones on a
poor network then never ask again for a file they have. Nothing to do in the templates:
`url_for("static", filename=…)` adds it.
"""

import hashlib
import os
from functools import lru_cache

from flask import Blueprint, current_app
from werkzeug.security import safe_join

bp = Blueprint("assets", __name__)


@bp.app_url_defaults
def version_static_urls(endpoint, values):
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(current_app.static_folder, values["filename"])
        if version:
            values["v"] = version


def static_version(folder, filename):
    """Return a short digest of the file's content, or None when there is no such file."""
    path = safe_join(folder, filename)
    try:
        stat = os.stat(path) if path else None
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size) if stat else None


@lru_cache(maxsize=256)
def _digest(path, mtime_ns, size):  # re-read only when the file changes
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]
