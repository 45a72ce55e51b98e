"""Territories (import, edit, coordinators) and open referrals outside every territory."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...config import setting
from ...errors import Conflict, TooLarge, ValidationFailed
from ...models import STATUS_LABELS, Role
from ...services import administration, coverage, paging, territories
from ..pages import (
    MANAGERS,
    errors_on_form,
    point_feature,
    roles_required,
    territory_outlines,
)
from . import bp
from .forms import ImportForm, NewTerritoryForm, OutlineForm, TerritoryForm


def _uploaded(form):
    """The outline drawn on the map, else the uploaded file's bytes (empty: neither)."""
    upload = form.geojson.data
    return (form.drawn.data or "").strip() or (upload.read() if upload else b"")


def _territory_form(item, **kwargs):
    """The edit form of a territory, its coordinators to choose among every coordinator."""
    form = TerritoryForm(**kwargs, data={
        "name": item.name, "code": item.code or "",
        "coordinators": [str(u.id) for u in item.coordinators]})
    coordinators = administration.list_accounts(role=Role.COORDINATOR, limit=None)
    # (value, label) pairs: the template lays these checkboxes out itself.
    form.coordinators.choices = [
        (str(u.id), f"{u.name} ({u.email})" + ("" if u.active else " — désactivé"))
        for u in coordinators]
    return form


# Territories listed (and drawn) at once, by name; « suivants » for the others.
TERRITORY_ROWS = 50
# Referrals outside every territory at once, oldest move first (with the outlines near them).
OUTSIDE_ROWS = 100


@bp.route("/territoires", methods=["GET", "POST"], endpoint="territories")
@roles_required(Role.ADMIN)
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
                errors_on_form(form, exc, fallback="geojson")
            else:
                flash(f"Territoires : {summary['created']} créé(s), {summary['updated']} mis à "
                      "jour.", "success")
                return redirect(url_for("admin.territories"), code=303)
    elif request.method == "POST":
        status = 422
    most, total = setting("TERRITORIES_MAX"), territories.count_territories()
    key = paging.read_name_key(request.args)
    items = territories.territories_page(after=key, size=TERRITORY_ROWS)
    if total > most:  # only rows written outside the app pass the limit
        flash(f"{total} territoires : au-delà de {most} (réglage TERRITORIES_MAX), la "
              "couverture ne se calcule plus : regroupez ou supprimez des territoires.",
              "warning")
    return render_template("admin/territories.html", items=items, form=form, total=total,
                           outlines=territory_outlines(items),
                           next_args=items.after.query_args() if items.after else None,
                           here_args=key.query_args() if key else {},
                           max_mb=setting("MAX_UPLOAD_MB")), status


@bp.route("/territoires/nouveau", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_territory():
    form = NewTerritoryForm()
    status, error = 200, None
    if form.validate_on_submit():
        data = _uploaded(form)
        try:
            if not data:
                raise ValidationFailed.field("geojson", "Dessinez le contour sur la carte (au "
                                             "moins 3 points) ou choisissez un fichier GeoJSON.")
            item = territories.create_territory(current_user, name=form.name.data,
                                                code=form.code.data, data=data)
        except (ValidationFailed, Conflict) as exc:
            status = exc.status
            error = errors_on_form(form, exc)
        else:
            flash("Territoire créé : rattachez-lui ses coordinateurs.", "success")
            return redirect(url_for("admin.territory", territory_id=item.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/new_territory.html", form=form, error=error,
                           outlines=territory_outlines(territories.list_territories())), status


@bp.route("/territoires/<territory_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def territory(territory_id):
    item = territories.get_territory(territory_id)
    form = _territory_form(item)
    status, error = 200, None
    if form.validate_on_submit():
        try:
            territories.update_territory(current_user, item.id, name=form.name.data,
                                         code=form.code.data,
                                         coordinator_ids=form.coordinators.data or ())
        except (ValidationFailed, Conflict) as exc:
            status = exc.status
            error = errors_on_form(form, exc)
        else:
            flash("Territoire enregistré.", "success")
            return redirect(url_for("admin.territory", territory_id=item.id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("admin/territory.html", item=item, form=form, error=error,
                           outline_form=OutlineForm(formdata=None),
                           outlines=territory_outlines([item])), status


@bp.route("/territoires/<territory_id>/contour", methods=["POST"])
@roles_required(Role.ADMIN)
def territory_outline(territory_id):
    item = territories.get_territory(territory_id)
    form = OutlineForm()
    if form.validate_on_submit():
        data = _uploaded(form)
        try:
            if not data:
                raise ValidationFailed.field("geojson", "Choisissez un fichier GeoJSON ou dessinez "
                                             "le contour sur la carte (au moins 3 points).")
            territories.replace_outline(current_user, item.id, data)
        except ValidationFailed as exc:
            errors_on_form(form, exc, fallback="geojson")
        else:
            flash("Contour remplacé.", "success")
            return redirect(url_for("admin.territory", territory_id=item.id), code=303)
    return render_template("admin/territory.html", item=item,
                           form=_territory_form(item, formdata=None), error=None,
                           outline_form=form, outlines=territory_outlines([item])), 422


@bp.route("/hors-territoire")
@roles_required(*MANAGERS)
def outside():
    key = paging.read_key(request.args)
    rows = coverage.referrals_outside_territories(current_user, after=key, size=OUTSIDE_ROWS)
    near = territories.territories_near((r["lon"], r["lat"]) for r in rows)
    features = territory_outlines(ids=near)
    features["features"] += [
        point_feature(r["lon"], r["lat"], kind="person", name=STATUS_LABELS[r["status"]],
                      label=str(n))
        for n, r in enumerate(rows, 1) if r["lon"] is not None]
    return render_template("admin/outside.html", rows=rows, features=features,
                           STATUS_LABELS=STATUS_LABELS,
                           next_args=rows.after.query_args() if rows.after else None,
                           here_args=key.query_args() if key else {})
