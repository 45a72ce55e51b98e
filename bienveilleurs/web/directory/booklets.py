"""Livrets ressources: a neighbourhood's (or a point's) nearby resources on paper, and the
one-page "Près de chez vous" sheet for one person (its point is posted, never in a URL)."""

import os

from flask import Blueprint, current_app, make_response, render_template, request
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ... import clock
from ...errors import BadRequest, ValidationFailed
from ...models import Role
from ...services import booklets
from ...services.directory import locate_address
from ...services.matching import point_from
from ...services.territories import list_territories
from ..forms import DECIMAL, CheckboxesField
from ..pages import errors_on_form, geocoder, roles_required, service_area

bp = Blueprint("booklets", __name__, url_prefix="/livrets")
ROLES = (Role.COORDINATOR, Role.RELAY, Role.SOCIAL_WORKER)


class NeighbourhoodForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only GET form: the booklet of a neighbourhood can be shared

    territoire = SelectField("Quartier", choices=[], validate_choice=False)
    categories = CheckboxesField("Besoins (aucun coché : toutes les ressources)", choices=[])


class PointForm(FlaskForm):
    address = StringField("Adresse", validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "off"})
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    radius_m = IntegerField("Rayon (mètres)", default=1000,
                            validators=[InputRequired("Indiquez un rayon en mètres."),
                                        NumberRange(100, booklets.MAX_RADIUS_M, "Entre 100 et "
                                                    f"{booklets.MAX_RADIUS_M} mètres.")],
                            render_kw={"inputmode": "numeric"})
    categories = CheckboxesField("Besoins (aucun coché : toutes les ressources)", choices=[])


class NearYouForm(FlaskForm):
    address = StringField("Adresse de la personne", validators=[Optional(), Length(max=200)],
                          render_kw={"autocomplete": "off"})
    lat = StringField("Latitude", render_kw=DECIMAL)
    lon = StringField("Longitude", render_kw=DECIMAL)
    categories = CheckboxesField("Ses besoins", choices=[])


def _with_categories(form):
    form.categories.choices = [SelectChoice(code, label)
                               for code, label in booklets.category_choices()]
    return form


def _stylesheet():
    return os.path.join(current_app.static_folder, "css", "booklet.css")


@bp.context_processor
def _helpers():
    return {"category_options": booklets.category_choices(),
            "distance_text": booklets.distance_text,
            "today": clock.local(clock.now()).strftime("%d/%m/%Y")}


def _respond(booklet, *, template, pdf, back, pdf_query=None, pdf_form=None):
    if pdf:
        html = render_template("booklets/pdf.html", booklet=booklet, template=template)
        response = make_response(booklets.render_pdf(html, stylesheet=_stylesheet()))
        response.headers["Content-Type"] = "application/pdf"
        response.headers.set("Content-Disposition", "inline", filename=booklets.pdf_filename(
            booklet, clock.local(clock.now()).date()))
        return response
    return render_template("booklets/page.html", booklet=booklet, template=template, back=back,
                           pdf_query=pdf_query, pdf_form=pdf_form)


def _repost(endpoint, form, names):
    """Hidden fields to ask for the same booklet as a PDF (in a POST body, never in the URL)."""
    fields = [(name, form[name].data) for name in names if form[name].data not in (None, "")]
    fields += [("categories", code) for code in form.categories.data or []]
    return {"endpoint": endpoint, "fields": fields}


def _point(form):
    """The point of a form: typed coordinates, or the address through the geocoder."""
    if (form.lat.data or "").strip() or (form.lon.data or "").strip():
        try:
            return point_from(form.lat.data, form.lon.data, area=service_area())
        except (BadRequest, ValidationFailed) as exc:
            errors_on_form(form, exc, fallback="lat")
            return None
    if (form.address.data or "").strip():
        location = locate_address(form.address.data.strip(), geocoder=geocoder(),
                                  area=service_area())
        if location.point is None:
            form.address.errors.append(f"Position introuvable : {location.note}. "
                                       "Indiquez la latitude et la longitude.")
        return location.point
    form.address.errors.append("Indiquez une adresse, ou la latitude et la longitude.")
    return None


def _neighbourhood_form():
    form = _with_categories(NeighbourhoodForm(formdata=None))
    form.territoire.choices = [SelectChoice(str(t.id), t.name) for t in list_territories()]
    return form


@bp.get("/")
@roles_required(*ROLES)
def index():
    return render_template("booklets/index.html", neighbourhood=_neighbourhood_form(),
                           point=_with_categories(PointForm(formdata=None)))


@bp.get("/quartier")
@roles_required(*ROLES)
def neighbourhood():
    form = _with_categories(NeighbourhoodForm(request.args))
    booklet = booklets.neighbourhood_booklet(form.territoire.data, form.categories.data or [])
    query = {"territoire": form.territoire.data, "categories": form.categories.data or [],
             "format": "pdf"}
    return _respond(booklet, template="booklet", pdf=request.args.get("format") == "pdf",
                    back="booklets.index", pdf_query=query)


@bp.post("/point")
@roles_required(*ROLES)
def around_point():
    form = _with_categories(PointForm())
    point = _point(form) if form.validate_on_submit() else None
    if point is None:
        return render_template("booklets/index.html", neighbourhood=_neighbourhood_form(),
                               point=form), 422
    booklet = booklets.point_booklet(point[0], point[1], form.radius_m.data,
                                     form.categories.data or [])
    return _respond(booklet, template="booklet", pdf=request.form.get("format") == "pdf",
                    back="booklets.index",
                    pdf_form=_repost("booklets.around_point", form,
                                     ("address", "lat", "lon", "radius_m")))


@bp.route("/pres-de-chez-vous", methods=["GET", "POST"])
@roles_required(*ROLES)
def near_you():
    form = _with_categories(NearYouForm())
    if request.method == "POST" and form.validate_on_submit():
        if not form.categories.data:
            form.categories.errors.append("Choisissez au moins un besoin.")
        point = _point(form)
        if point is not None and form.categories.data:
            booklet = booklets.near_you_sheet(point[0], point[1], form.categories.data)
            return _respond(booklet, template="sheet", pdf=request.form.get("format") == "pdf",
                            back="booklets.near_you",
                            pdf_form=_repost("booklets.near_you", form, ("address", "lat", "lon")))
        return render_template("booklets/near_you.html", form=form), 422
    return render_template("booklets/near_you.html", form=form)
