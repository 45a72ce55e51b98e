"""Territories (import, edit, coordinators) and open referrals outside every territory."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import HiddenField, StringField
from wtforms.validators import Length

from ...errors import Conflict, TooLarge, ValidationFailed
from ...extensions import db
from ...models import STATUS_LABELS, Role, User
from ...services import coverage, territories
from ..common import roles_required
from . import bp
from .accounts import show_errors
from .forms import CheckboxesField


class ImportForm(FlaskForm):
    geojson = FileField("Fichier GeoJSON (polygones, propriété « name », « code » facultative)")


class OutlineForm(FlaskForm):
    geojson = FileField("Nouveau contour (GeoJSON : un polygone)")
    drawn = HiddenField()  # the GeoJSON Polygon drawn on the map (static/js/territory-draw.js)


class TerritoryForm(FlaskForm):
    name = StringField("Nom", validators=[Length(max=120)])
    code = StringField("Code (facultatif, unique)", validators=[Length(max=40)])
    coordinators = CheckboxesField("Coordinateurs rattachés", choices=[])


def _outlines(items):
    from geoalchemy2.shape import to_shape
    from shapely.geometry import mapping
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(to_shape(t.area)),
         "properties": {"name": t.name, "area": "territory"}} for t in items]}


@bp.route("/territoires", methods=["GET", "POST"], endpoint="territories")
@roles_required("admin")
def territories_page():
    form = ImportForm()
    status, error = 200, None
    if form.validate_on_submit():
        upload = form.geojson.data
        data = upload.read() if upload else b""
        if not data:
            status, error = 422, "Choisissez un fichier GeoJSON."
            form.geojson.errors = [error]
        else:
            try:
                summary = territories.import_territories(data, actor=current_user)
            except (ValidationFailed, TooLarge) as exc:
                status = 422
                form.geojson.errors = [exc.message]
            else:
                flash(f"Territoires : {summary['created']} créé(s), {summary['updated']} mis à jour.", "success")
                return redirect(url_for("admin.territories"), code=303)
    elif request.method == "POST":
        status = 422
    items = territories.list_territories()
    return render_template("admin/territories.html", items=items, form=form,
                           outlines=_outlines(items),
                           max_mb=current_app.config["MAX_UPLOAD_MB"]), status


class NewTerritoryForm(FlaskForm):
    name = StringField("Nom", validators=[Length(max=120)])
    code = StringField("Code (facultatif, unique)", validators=[Length(max=40)])
    geojson = FileField("Ou un fichier GeoJSON (un polygone)")
    drawn = HiddenField()  # the GeoJSON Polygon drawn on the map (static/js/territory-draw.js)


@bp.route("/territoires/nouveau", methods=["GET", "POST"])
@roles_required("admin")
def new_territory():
    form = NewTerritoryForm()
    status, error = 200, None
    if form.validate_on_submit():
        upload = form.geojson.data
        data = (form.drawn.data or "").strip() or (upload.read() if upload else b"")
        try:
            if not data:
                raise ValidationFailed.field("geojson", "Dessinez le contour sur la carte (au moins 3 points) "
                                             "ou choisissez un fichier GeoJSON.")
            item = territories.create_territory(current_user, name=form.name.data, code=form.code.data,
                                                data=data)
        except (ValidationFailed, Conflict) as exc:
            status = exc.status
            error = show_errors(form, exc)
        else:
            flash("Territoire créé : rattachez-lui ses coordinateurs.", "success")
            return redirect(url_for("admin.territory", territory_id=item.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/new_territory.html", form=form, error=error,
                           outlines=_outlines(territories.list_territories())), status


@bp.route("/territoires/<territory_id>", methods=["GET", "POST"])
@roles_required("admin")
def territory(territory_id):
    item = territories.get_territory(territory_id)
    coordinators = db.session.scalars(select(User).where(User.role == Role.COORDINATOR.value)
                                      .order_by(User.email)).all()
    form = TerritoryForm(data={"name": item.name, "code": item.code or "",
                               "coordinators": [str(u.id) for u in item.coordinators]})
    form.coordinators.choices = [(str(u.id), f"{u.name} ({u.email})" + ("" if u.active else " — désactivé"))
                                 for u in coordinators]
    status, error = 200, None
    if form.validate_on_submit():
        try:
            territories.update_territory(current_user, item.id, name=form.name.data, code=form.code.data,
                                         coordinator_ids=form.coordinators.data or ())
        except (ValidationFailed, Conflict) as exc:
            status = exc.status
            error = show_errors(form, exc)
        else:
            flash("Territoire enregistré.", "success")
            return redirect(url_for("admin.territory", territory_id=item.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/territory.html", item=item, form=form, error=error,
                           outline_form=OutlineForm(formdata=None), outlines=_outlines([item])), status


@bp.route("/territoires/<territory_id>/contour", methods=["POST"])
@roles_required("admin")
def territory_outline(territory_id):
    item = territories.get_territory(territory_id)
    form = OutlineForm()
    if form.validate_on_submit():
        upload = form.geojson.data
        data = (form.drawn.data or "").strip() or (upload.read() if upload else b"")
        try:
            if not data:
                raise ValidationFailed.field("geojson", "Choisissez un fichier GeoJSON ou dessinez le "
                                             "contour sur la carte (au moins 3 points).")
            territories.replace_outline(current_user, item.id, data)
        except ValidationFailed as exc:
            form.geojson.errors = [exc.message]
        else:
            flash("Contour remplacé.", "success")
            return redirect(url_for("admin.territory", territory_id=item.id), code=303)
    coordinators = db.session.scalars(select(User).where(User.role == Role.COORDINATOR.value)
                                      .order_by(User.email)).all()
    edit = TerritoryForm(formdata=None, data={"name": item.name, "code": item.code or "",
                                              "coordinators": [str(u.id) for u in item.coordinators]})
    edit.coordinators.choices = [(str(u.id), f"{u.name} ({u.email})") for u in coordinators]
    return render_template("admin/territory.html", item=item, form=edit, error=None, outline_form=form,
                           outlines=_outlines([item])), 422


@bp.route("/hors-territoire")
@roles_required("admin", "coordinator")
def outside():
    rows = coverage.referrals_outside_territories()
    features = _outlines(territories.list_territories())
    features["features"] += [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
         "properties": {"kind": "person", "name": STATUS_LABELS[r["status"]], "label": str(n)}}
        for n, r in enumerate(rows, 1) if r["lon"] is not None]
    return render_template("admin/outside.html", rows=rows, features=features,
                           STATUS_LABELS=STATUS_LABELS)
