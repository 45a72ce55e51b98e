"""The installable relay app: service worker, manifest and the offline shells.

The service worker (static/js/sw.js) is served from the root so that its scope covers every
page. It is prefixed with the list of files to precache and a version computed from their
contents, so that any change to the static files, the shells or the worker installs a new
worker with a fresh cache.

The shells (`/hors-ligne…`) are public pages without any personal data, nor any account: the
worker fetches them without cookies and shows them when the network is gone; their JavaScript
fills them from what the phone keeps (outbox.js). docs/privacy.md, "L'exception au no-store", says
what the phone keeps and why.
"""

import hashlib
import json
import os
from functools import lru_cache

from flask import Blueprint, current_app, render_template, request, url_for

from ...services.codes import publics
from ..pages import leaflet_version
from ..referrals.forms import ContactForm, ReportForm

bp = Blueprint("offline", __name__)

STATIC_PRECACHE = (
    "css/app.css",
    "js/outbox-core.js",
    "js/outbox.js",
    "js/campaign.js",
    "js/nav.js",
    "js/map.js",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
)
SHELL_ENDPOINTS = ("offline.index", "offline.people", "offline.contact", "offline.report")
LEAFLET_FILES = ("leaflet.js", "leaflet.css")
SHELL_TEMPLATES = ("offline/index.html", "offline/people.html", "offline/contact.html",
                   "relay/report.html", "_map.html")


def _leaflet_urls():
    return [url_for("directory.leaflet", filename=name, v=leaflet_version())
            for name in LEAFLET_FILES]


def precache_urls():
    """Return the URLs the service worker stores at install (the app shell)."""
    urls = [url_for("static", filename=name) for name in STATIC_PRECACHE]
    urls += [url_for(endpoint) for endpoint in SHELL_ENDPOINTS]
    urls.append(url_for("offline.manifest"))
    return urls + _leaflet_urls()


def _sources():
    """Paths of every file whose change must install a new service worker."""
    static = current_app.static_folder
    templates = current_app.template_folder
    paths = [os.path.join(static, name) for name in STATIC_PRECACHE]
    paths += [os.path.join(static, "js", "sw.js"), os.path.join(static, "manifest.webmanifest")]
    paths += [os.path.join(templates, name) for name in SHELL_TEMPLATES]
    paths += [os.path.join(templates, "base.html"), os.path.join(templates, "_forms.html")]
    return paths


@lru_cache(maxsize=8)
def _digest(stamps):
    digest = hashlib.sha256()
    for path, _ in stamps:
        digest.update(path.encode())
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


def shell_version(extra=""):
    """Return a short hash of the shell's files (re-read only when a file changes)."""
    stamps = tuple((path, os.stat(path).st_mtime_ns) for path in _sources() if os.path.exists(path))
    return hashlib.sha256((_digest(stamps) + extra).encode()).hexdigest()[:16]


def _static_text(*parts):
    with open(os.path.join(current_app.static_folder, *parts), encoding="utf-8") as handle:
        return handle.read()


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the root so that its scope is the whole site."""
    urls = precache_urls()
    version = shell_version(json.dumps(urls))
    etag = f'"sw-{version}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = current_app.response_class(status=304)
    else:
        source = _static_text("js", "sw.js")
        head = (f"const VERSION = {json.dumps(version)};\n"
                f"const PRECACHE = {json.dumps(urls)};\n")
        response = current_app.response_class(head + source, mimetype="text/javascript")
    response.headers["ETag"] = etag
    # Always revalidated: a new deployment reaches the phones at the next page they open.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    response = current_app.response_class(_static_text("manifest.webmanifest"),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _shell(template, **context):
    response = current_app.make_response(render_template(template, offline_shell=True, **context))
    # Public and identical for everyone; the service worker keeps its own copy.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/hors-ligne")
def index():
    """Shown for any page the phone cannot open without the network."""
    return _shell("offline/index.html")


@bp.get("/hors-ligne/mes-personnes")
def people():
    """'Mes personnes' without the network: filled from the minimal copy on the phone."""
    return _shell("offline/people.html")


@bp.get("/hors-ligne/contact")
def contact():
    """'Noter un contact' without the network; the person comes from the address (outbox.js)."""
    form = ContactForm(meta={"csrf": False}, formdata=None)
    return _shell("offline/contact.html", form=form)


@bp.get("/hors-ligne/signaler")
def report():
    """'Signaler une personne' without the network: the same form, kept by the outbox."""
    form = ReportForm(meta={"csrf": False}, formdata=None)
    return _shell("relay/report.html", form=form, summary=None, publics=publics(),
                  map_center_point=None)
