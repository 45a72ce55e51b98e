"""What every page family shares: access by role, the settings pages use, points and maps,
template filters, and the one way to put a service's errors on a form.

Page modules import from here (and from `forms.py`), never from one another.
"""

from datetime import datetime
from functools import wraps

import xstatic.pkg.leaflet as leaflet_package
from flask import current_app, request, session
from flask_login import current_user, login_user

from geo.geocoding import make_geocoder
from geo.points import lon_lat
from geo.viewport import format_box

from .. import clock
from ..config import setting
from ..errors import Forbidden, Unauthorized
from ..models import ROLE_LABELS, Role
from ..security import device_cookie_value, new_device_nonce, read_device_cookie
from ..services import fit
from ..services.directory import locate_address
from ..services.notifications import kept_for_development
from ..services.territories import map_outlines

# Who manages the directory and the network of relays.
MANAGERS = (Role.ADMIN, Role.COORDINATOR)

# Where the form fields of a point live when the service names both coordinates at once.
POINT_ALIASES = {"lat,lon": "lat"}


# --- access ------------------------------------------------------------------------------

def is_api_request():
    return request.path.startswith("/api/") or request.path.startswith("/hsds/")


def roles_required(*roles):
    """Allow the view only to signed-in users with one of these roles (403 otherwise)."""
    allowed = frozenset(Role(role) for role in roles)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                raise Unauthorized("Connectez-vous pour accéder à cette page.")
            if current_user.role not in allowed:
                raise Forbidden()
            return view(*args, **kwargs)
        return wrapped
    return decorator


def login_required_any(view):
    return roles_required(*Role)(view)


def start_session(user, *, second_factor=False):
    """Give the browser a brand-new session for `user` (nothing from before survives).

    `second_factor`: the account gave its code (or has just enrolled) in this sign-in. An
    account that has a second factor, or must have one, reaches nothing else without it
    (web/hooks.second_factor_gate).
    """
    session.clear()
    login_user(user)
    session.permanent = True
    session["started"] = session["seen"] = clock.now().timestamp()
    if second_factor:
        session["second_factor"] = True


# --- device cookies (sign-in throttling, see services/accounts) ----------------------------

def _device_cookie_name():
    # __Host- requires Secure (production); the plain name elsewhere, as for the session.
    return "__Host-device" if current_app.config["SESSION_COOKIE_SECURE"] else "bv_device"


def known_devices():
    """{account id: nonce} of the accounts that signed in from this browser (a valid cookie)."""
    return read_device_cookie(current_app.secret_key, request.cookies.get(_device_cookie_name()),
                              max_age=setting("DEVICE_COOKIE_DAYS") * 86400)


def remember_device(response, user):
    """After a complete sign-in: this browser is now known for `user` (a fresh nonce)."""
    devices = {user.id: new_device_nonce()}
    devices.update((k, v) for k, v in known_devices().items() if k != user.id)
    response.set_cookie(
        _device_cookie_name(), device_cookie_value(current_app.secret_key, devices),
        max_age=setting("DEVICE_COOKIE_DAYS") * 86400, path="/", httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Strict")
    return response


# --- settings the pages use ----------------------------------------------------------------

def service_area():
    return setting("SERVICE_AREA")


def geocoder():
    return make_geocoder(setting("GEOCODER_URL"))


def geocoding_enabled():
    return bool(setting("GEOCODER_URL"))


def invitation_sent(email, detail):
    """What to say once an invitation to `email` is queued; in development without a mail
    server, where to read it."""
    if kept_for_development():
        return (f"Invitation préparée pour {email} ({detail}). Sans serveur d'e-mails, elle "
                "n'est pas envoyée : l'administration la lit, lien compris, dans « E-mails de "
                "développement ».")
    return f"Invitation envoyée à {email} ({detail})."


# --- points and maps -----------------------------------------------------------------------

def point_text(model):
    """Return the (lat, lon) of a model's point as form values, or empty texts."""
    point = lon_lat(model.point)
    return (f"{point[1]:.6f}", f"{point[0]:.6f}") if point else ("", "")


def form_center(form):
    """Return (lat, lon) from the form's fields when they are plain numbers in range, else None."""
    try:
        lat = float(str(form.lat.data or "").replace(",", "."))
        lon = float(str(form.lon.data or "").replace(",", "."))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return (round(lat, 6), round(lon, 6))


def locate_into(form):
    """Geocode the form's address into its lat/lon fields; return a status message."""
    address = (form.address.data or "").strip()
    if not address:
        form.address.errors = list(form.address.errors) + ["Indiquez une adresse à localiser."]
        return None
    location = locate_address(address, geocoder=geocoder(), area=service_area())
    if location.point is None:
        return (f"{location.note[0].upper()}{location.note[1:]}. Indiquez la latitude et la "
                "longitude, ou placez le point sur la carte.")
    form.lon.data, form.lat.data = f"{location.point[0]:.6f}", f"{location.point[1]:.6f}"
    return f"Adresse localisée : {location.label}. Vérifiez le point puis enregistrez."


def point_feature(lon, lat, **properties):
    """A GeoJSON point for map.js (`kind`, `name`, `label`, `detail`, `url`… as properties)."""
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties}


def feature_collection(features):
    return {"type": "FeatureCollection", "features": list(features)}


def cluster_feature(cluster, name, **properties):
    """A point for map.js standing for `cluster.count` things gathered at its centre (kind
    "cluster", the count as its label)."""
    return point_feature(cluster.lon, cluster.lat, kind="cluster", label=cluster.count,
                         name=name, **properties)


def zone_args(zone):
    """The query string of a list limited to `zone` (west, south, east, north), or {}."""
    return {"zone": format_box(zone)} if zone is not None else {}


def territory_outlines(territories=(), *, ids=()):
    """The outlines of territories (or of these ids) as a FeatureCollection for map.js
    (drawn at map scale)."""
    return feature_collection(
        {"type": "Feature", "geometry": geometry,
         "properties": {"name": name, "area": "territory"}}
        for name, geometry in map_outlines([t.id for t in territories] + list(ids)))


def map_center():
    """Return (lat, lon) of the middle of the service area, where empty maps start."""
    area = service_area()
    return (round((area.min_lat + area.max_lat) / 2, 6),
            round((area.min_lon + area.max_lon) / 2, 6))


def leaflet_version():
    return leaflet_package.VERSION


# --- words and numbers on pages -----------------------------------------------------------

def distance_text(metres):
    """Return '350 m' or '1,2 km'."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{int(round(metres))} m"
    return f"{metres / 1000:.1f} km".replace(".", ",")


def since(moment):
    """Return the time elapsed since `moment` (for "il y a …")."""
    return clock.now() - moment


def paris_time(moment, fmt="%d/%m/%Y à %H:%M"):
    """Format an aware time in Europe/Paris, or a dash."""
    return clock.local(moment).strftime(fmt) if moment is not None else "—"


def stored_time(value, fmt="%d/%m/%Y à %H:%M"):
    """Format a time written in ISO 8601 (the files and exports) in Europe/Paris, or a dash."""
    if not value:
        return "—"
    return clock.local(datetime.fromisoformat(value)).strftime(fmt)


def age_text(delta):
    """Return a duration as '2 j 3 h', '4 h 05' or '12 min'."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    if days:
        return f"{days} j {hours} h" if hours else f"{days} j"
    minutes = (rest % 3600) // 60
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


# Registered on the application by `web.register_web`, so that every template (and the
# macros it imports) sees them.
TEMPLATE_FILTERS = {"paris": paris_time, "age": age_text, "distance": distance_text,
                    "iso_paris": stored_time, "why": fit.describe}
TEMPLATE_GLOBALS = {"leaflet_version": leaflet_version, "map_center": map_center,
                    "local_time": clock.local, "Role": Role, "ROLE_LABELS": ROLE_LABELS,
                    "on_foot": fit.distance_words, "CITY_TIMEZONE": clock.PARIS.key}


# --- a service's errors on a form -----------------------------------------------------------

def errors_on_form(form, error, *, aliases=None, missing=None, fallback=None):
    """Put a domain error's details on the form's visible fields; return the summary text.

    A detail names a service field: `aliases` maps it to the form's field when the names
    differ (the two coordinates named together go on the latitude). For a 400 (something
    missing), `missing` gives the page's own words for a field. A problem about no visible
    field goes on the `fallback` field when there is one, else into the summary, which is
    None when every problem sits on a field and starts with the error's message when none
    does.
    """
    aliases = {**POINT_ALIASES, **(aliases or {})}
    visible = {name for name, field in form._fields.items()
               if field.type not in ("HiddenField", "CSRFTokenField")}
    details = error.details or [{"field": None, "message": error.message}]
    attached, rest = False, []
    for detail in details:
        name = aliases.get(detail.get("field"), detail.get("field"))
        message = detail.get("message") or error.message
        if name not in visible:
            name = fallback
        if name is None:
            rest.append(message)
            continue
        if error.status == 400 and missing and name in missing:
            message = missing[name]
        form[name].errors = list(form[name].errors) + [message]
        attached = True
    if not attached:
        return " ".join([error.message] + [m for m in rest if m != error.message])
    return " ".join(rest) or None


def csv_response(text, filename):
    """A CSV file (text from services.csv_safe) as a download."""
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
