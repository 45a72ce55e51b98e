"""Directory management for admins and coordinators: resources and structures.

Each page shows and changes only what the user manages (services.directory scopes it in the
query: admins and city-wide coordinators everything, a coordinator their territories).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...errors import BadRequest, ValidationFailed
from ...services import directory, paging
from ...services.codes import category_label, grouped_thematiques, publics
from ..forms import EmptyForm, SearchForm
from ..pages import (
    MANAGERS,
    errors_on_form,
    form_center,
    geocoder,
    locate_into,
    point_text,
    roles_required,
    service_area,
)
from .forms import ResourceForm, StructureForm

bp = Blueprint("manage", __name__, url_prefix="/gestion")


@bp.before_request
@roles_required(*MANAGERS)
def _only_managers():
    return None


# Rows of a management list at once, by name; « suivantes » for the others.
MANAGE_ROWS = 50


def _paging(page, key):
    """The pager's links: the search kept, the page's key changed (`_pager.html`)."""
    search = {k: v for k, v in request.args.items() if k not in ("apres", "apres_nom")}
    return {"next_args": {**search, **page.after.query_args()} if page.after else None,
            "here_args": key.query_args() if key else {}, "first_args": search}


# --- resources --------------------------------------------------------------------------------

@bp.get("/")
def index():
    search = SearchForm(request.args)
    query = (search.q.data or "").strip()[:200]
    key = paging.read_name_key(request.args)
    resources = directory.list_resources(current_user, search=query or None,
                                         inactive=bool(search.inactive.data),
                                         limit=MANAGE_ROWS, after=key)
    return render_template("manage/index.html", search=search, resources=resources, query=query,
                           category_label=category_label, toggle_form=EmptyForm(),
                           **_paging(resources, key))


def _resource_page(form, *, resource=None, status=200, summary=None, located=None):
    search = (form.structure_q.data or "").strip()[:200]
    structures = directory.structure_choices(current_user, search=search or None,
                                             selected=form.structure_id.data)
    return render_template("manage/resource_form.html", form=form, resource=resource,
                           groups=grouped_thematiques(), publics=publics(),
                           structures=structures, structure_search=search,
                           summary=summary, located=located, toggle_form=EmptyForm(),
                           map_center_point=form_center(form)), status


def _save_resource(form, resource=None):
    """Common POST handling: locate the address, or save; None when redirected."""
    if not form.validate_on_submit():
        return _resource_page(form, resource=resource,
                              status=422 if request.method == "POST" else 200)
    if "locate" in request.form:
        return _resource_page(form, resource=resource, located=locate_into(form))
    if "find_structure" in request.form:  # the structures found, the rest as typed
        return _resource_page(form, resource=resource)
    try:
        if resource is None:
            saved = directory.create_resource(current_user, form.record(),
                                              area=service_area(), geocoder=geocoder())
        else:
            saved = directory.update_resource(current_user, resource.id, form.record(),
                                              area=service_area(), geocoder=geocoder())
    except (BadRequest, ValidationFailed) as error:
        summary = errors_on_form(form, error)
        return _resource_page(form, resource=resource, status=422, summary=summary)
    message = "Ressource créée." if saved.created else "Ressource enregistrée."
    if saved.note:
        flash(f"{message} Attention : {saved.note}.", "warning")
    else:
        flash(message, "success")
    return None


@bp.route("/ressources/nouvelle", methods=["GET", "POST"])
def new_resource():
    form = ResourceForm()
    if request.method == "GET":
        return _resource_page(form)
    page = _save_resource(form)
    return page or redirect(url_for(".index"), 303)


@bp.route("/ressources/<resource_id>", methods=["GET", "POST"])
def edit_resource(resource_id):
    resource = directory.managed_resource(current_user, resource_id)
    if request.method == "GET":
        lat, lon = point_text(resource)
        form = ResourceForm(data={
            "name": resource.name, "structure_id": str(resource.structure_id),
            "description": resource.description, "categories": list(resource.categories or []),
            "audiences": list(resource.audiences or []), "address": resource.address,
            "postal_code": resource.postal_code, "city": resource.city, "lat": lat, "lon": lon,
            "phone": resource.phone, "email": resource.email, "website": resource.website,
            "opening_hours": resource.opening_hours,
            "languages": ", ".join(resource.languages or []),
            "accessible": {True: "true", False: "false"}.get(resource.accessible, ""),
            "capacity": "" if resource.capacity is None else str(resource.capacity),
            "saturation": resource.saturation or ""})
        return _resource_page(form, resource=resource)
    form = ResourceForm()
    page = _save_resource(form, resource)
    return page or redirect(url_for(".edit_resource", resource_id=resource.id), 303)


@bp.post("/ressources/<resource_id>/desactiver")
def deactivate_resource(resource_id):
    return _set_active(resource_id, False)


@bp.post("/ressources/<resource_id>/reactiver")
def reactivate_resource(resource_id):
    return _set_active(resource_id, True)


def _set_active(resource_id, active):
    form = EmptyForm()
    if not form.validate_on_submit():
        raise BadRequest("Le formulaire a expiré. Rechargez la page et réessayez.")
    resource = directory.set_resource_active(current_user, resource_id, active)
    flash(f"« {resource.name} » est "
          + ("de nouveau active." if active
             else "désactivée : elle n'apparaît plus dans les recherches."), "success")
    return redirect(url_for(".edit_resource", resource_id=resource.id), 303)


# --- structures -------------------------------------------------------------------------------

@bp.get("/structures")
def structures():
    search = SearchForm(request.args)
    query = (search.q.data or "").strip()[:200]
    key = paging.read_name_key(request.args)
    found = directory.list_structures(current_user, search=query or None, limit=MANAGE_ROWS,
                                      after=key)
    return render_template("manage/structures.html", search=search, query=query,
                           structures=found, **_paging(found, key))


def _structure_page(form, *, structure=None, status=200, summary=None, located=None):
    return render_template("manage/structure_form.html", form=form, structure=structure,
                           summary=summary, located=located,
                           map_center_point=form_center(form)), status


def _save_structure(form, structure=None):
    if not form.validate_on_submit():
        return _structure_page(form, structure=structure, status=422)
    if "locate" in request.form:
        return _structure_page(form, structure=structure, located=locate_into(form))
    try:
        if structure is None:
            structure = directory.create_structure(current_user, form.record(),
                                                   area=service_area())
        else:
            structure = directory.update_structure(current_user, structure.id, form.record(),
                                                   area=service_area())
    except (BadRequest, ValidationFailed) as error:
        summary = errors_on_form(form, error)
        return _structure_page(form, structure=structure, status=422, summary=summary)
    flash("Structure enregistrée.", "success")
    return structure


@bp.route("/structures/nouvelle", methods=["GET", "POST"])
def new_structure():
    form = StructureForm()
    if request.method == "GET":
        return _structure_page(form)
    result = _save_structure(form)
    if isinstance(result, tuple):
        return result
    return redirect(url_for(".structures"), 303)


@bp.route("/structures/<structure_id>", methods=["GET", "POST"])
def edit_structure(structure_id):
    structure = directory.get_structure(current_user, structure_id)
    if request.method == "GET":
        lat, lon = point_text(structure)
        form = StructureForm(data={"name": structure.name, "siret": structure.siret,
                                   "address": structure.address, "lat": lat, "lon": lon,
                                   "phone": structure.phone, "email": structure.email,
                                   "website": structure.website})
        return _structure_page(form, structure=structure)
    result = _save_structure(StructureForm(), structure)
    if isinstance(result, tuple):
        return result
    return redirect(url_for(".edit_structure", structure_id=structure.id), 303)
