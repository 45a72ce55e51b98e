"""Directory pages for every signed-in role (resources near a point, a resource's page) and
the Leaflet files the maps use."""

import xstatic.pkg.leaflet as leaflet_package
from flask import Blueprint, render_template, request, send_from_directory, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from geo.points import lon_lat

from ... import clock
from ...errors import BadRequest, ValidationFailed
from ...replica import reads_only
from ...services import codes, directory, matching, weekly_hours
from ...services.codes import grouped_thematiques, publics
from ..forms import DECIMAL
from ..pages import (
    MANAGERS,
    distance_text,
    errors_on_form,
    feature_collection,
    geocoder,
    geocoding_enabled,
    login_required_any,
    point_feature,
    service_area,
)

bp = Blueprint("directory", __name__)

LEAFLET_MAX_AGE_S = 365 * 24 * 3600


@bp.route("/vendor/leaflet/<path:filename>")
def leaflet(filename):
    """Serve Leaflet from the xstatic-leaflet package (never a CDN); public and cacheable.

    URLs carry the package version (`?v=`), so a new Leaflet is fetched after an upgrade.
    """
    response = send_from_directory(leaflet_package.BASE_DIR, filename, max_age=LEAFLET_MAX_AGE_S)
    response.headers["Cache-Control"] = f"public, max-age={LEAFLET_MAX_AGE_S}, immutable"
    return response


# --- pages -------------------------------------------------------------------------------

LIMIT_CHOICES = (5, 10, 20, 50)
DEFAULT_LIMIT = 10
ACCESSIBLE_LABELS = {True: "Oui", False: "Non", None: "Non renseigné"}


class ResourceSearchForm(FlaskForm):
    """Filters of the directory search; sent by GET (a place and filters, no personal data)."""

    class Meta:
        csrf = False

    address = StringField("Adresse", validators=[Length(max=200)],
                          render_kw={"autocomplete": "street-address"})
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    categories = SelectField("Thématique", choices=[], validate_choice=False)
    audiences = SelectField("Public", choices=[], validate_choice=False)
    languages = StringField("Langues parlées", validators=[Length(max=100)],
                            render_kw={"autocapitalize": "none", "spellcheck": "false"})
    open_now = BooleanField("Ouvert maintenant")
    accessible = BooleanField("Accessible aux personnes à mobilité réduite")
    limit = SelectField("Nombre de résultats", default=str(DEFAULT_LIMIT), validate_choice=False,
                        choices=[SelectChoice(str(n), str(n)) for n in LIMIT_CHOICES])

    def fill_choices(self):
        options = [SelectChoice("", "Toutes les thématiques")]
        for code, label, subs in grouped_thematiques():
            options.append(SelectChoice(code, f"{label} (toute la thématique)", optgroup=label))
            options.extend(SelectChoice(sub, sub_label, optgroup=label) for sub, sub_label in subs)
        self.categories.choices = options
        self.audiences.choices = [SelectChoice("", "Tous les publics")] + [
            SelectChoice(code, label)
            for code, label in sorted(publics().items(), key=lambda i: i[1])]


ANYWHERE = ("Indiquez une adresse, ou la latitude et la longitude du point (vous pouvez aussi "
            "toucher la carte).")


def _search_point(form):
    """Return (lon, lat, note): the address when it is found, else the typed or picked point;
    (None, None, note) with the problem on the form when there is no usable point."""
    note = None
    address = (form.address.data or "").strip()
    if address:
        location = directory.locate_address(address, geocoder=geocoder(), area=service_area())
        if location.point:
            lon, lat = location.point
            form.lat.data, form.lon.data = f"{lat:.6f}", f"{lon:.6f}"
            return lon, lat, f"Adresse trouvée : {location.label}."
        note = location.note[:1].upper() + location.note[1:] + "."
    lat, lon = (form.lat.data or "").strip(), (form.lon.data or "").strip()
    if not lat and not lon:
        form.address.errors = [note + " Indiquez la latitude et la longitude, ou touchez la carte."
                               if address else ANYWHERE]
        return None, None, None
    if not lat or not lon:
        field = "lat" if not lat else "lon"
        form[field].errors = ["Indiquez aussi la "
                              + ("latitude." if field == "lat" else "longitude.")]
        return None, None, None
    try:
        lon_value, lat_value = matching.point_from(lat, lon, area=service_area())
    except (BadRequest, ValidationFailed) as error:
        errors_on_form(form, error, fallback="lat")
        return None, None, None
    if note:
        note += " La recherche utilise la latitude et la longitude indiquées."
    return lon_value, lat_value, note


FILTERS = (
    ("categories", lambda v: codes.expand_categories([v]) if v else []),
    ("audiences", lambda v: codes.check_audiences([v]) if v else []),
    ("languages", lambda v: matching.parse_languages(matching.split_list(v))),
    ("limit", lambda v: matching.parse_limit(v, default=DEFAULT_LIMIT)),
)


def _search(form):
    """Read the point and the filters; return (query or None, note), the problems on the form."""
    lon, lat, note = _search_point(form)
    parsed = {}
    for name, parse in FILTERS:
        try:
            parsed[name] = parse((form[name].data or "").strip())
        except (BadRequest, ValidationFailed) as error:
            errors_on_form(form, error, fallback=name)
    if any(field.errors for field in form):
        return None, note
    return matching.MatchQuery(lon=lon, lat=lat, open_now=bool(form.open_now.data),
                               accessible=bool(form.accessible.data), **parsed), note


def result_features(results):
    """The results as a GeoJSON FeatureCollection for map.js, numbered like the list."""
    return feature_collection(
        point_feature(r["lon"], r["lat"], kind="resource", name=r["name"], label=index,
                      detail=f"{r['structure_name']} — {distance_text(r['distance_m'])}",
                      url=url_for("directory.resource", resource_id=r["id"]))
        for index, r in enumerate(results, start=1))


@bp.route("/ressources")
@reads_only
@login_required_any
def search():
    """Resources near an address or a point, nearest first: a map and the same list."""
    submitted = any(request.args.get(name) for name in ("address", "lat", "lon"))
    form = ResourceSearchForm(formdata=request.args if request.args else None)
    form.fill_choices()
    results, note, status = None, None, 200
    if submitted:
        query, note = _search(form)
        if query is None:
            status = 422
        else:
            results = matching.match_resources(query)
    elif request.args:
        form.address.errors = [ANYWHERE]
        status = 422
    return render_template(
        "directory/search.html", form=form, results=results, note=note,
        features=result_features(results or []), category_label=codes.category_label,
        geocoding=geocoding_enabled()), status


@bp.route("/ressources/<uuid:resource_id>")
@reads_only
@login_required_any
def resource(resource_id):
    """One resource with every field, its opening hours and a small map (404 if inactive,
    except for those who manage the directory)."""
    managers = current_user.role in MANAGERS
    item = directory.get_resource(resource_id, include_inactive=managers)
    position = lon_lat(item.point)
    features = None
    if position:
        features = feature_collection([point_feature(*position, kind="resource", name=item.name)])
    return render_template(
        "directory/resource.html", resource=item, structure=item.structure, position=position,
        features=features, open_now=matching.is_open_safely(item.opening_hours, clock.now()),
        hours_lines=weekly_hours.french_lines(item.opening_hours) if item.opening_hours else [],
        category_label=codes.category_label, audience_label=codes.audience_label,
        language_name=codes.language_name,
        accessible_label=ACCESSIBLE_LABELS.get(item.accessible, "Non renseigné"),
        saturation_label=directory.SATURATIONS.get(item.saturation or ""),
        can_manage=managers)
