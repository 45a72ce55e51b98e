"""Merge a duplicate structure into another (admins and coordinators)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from ...errors import NotFound, ValidationFailed
from ...services import directory, structure_merge
from ..forms import SearchForm
from ..pages import MANAGERS, roles_required

bp = Blueprint("structure_merge", __name__, url_prefix="/gestion/structures")


class MergeForm(FlaskForm):
    duplicate = HiddenField("Structure en double")


def _page(keep, *, plan=None, form=None, error=None, status=200):
    search = (SearchForm(request.args) if "q" in request.args
              else SearchForm(formdata=None, data={"q": keep.name}))
    query = (search.q.data or "").strip()[:200]
    candidates = [] if plan else [
        s for s in directory.list_structures(current_user, search=query or None, limit=50)
        if s.id != keep.id]
    return render_template("manage/structure_merge.html", keep=keep, plan=plan, search=search,
                           query=query, candidates=candidates, form=form or MergeForm(),
                           error=error), status


@bp.route("/<structure_id>/fusion", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def merge(structure_id):
    keep = directory.get_structure(current_user, structure_id)
    if request.method == "GET":
        duplicate = request.args.get("doublon")
        if not duplicate:
            return _page(keep)
        try:
            plan = structure_merge.merge_plan(current_user, keep.id, duplicate)
        except (ValidationFailed, NotFound) as exc:
            return _page(keep, error=exc.message, status=exc.status)
        return _page(keep, plan=plan, form=MergeForm(data={"duplicate": str(plan["merged"].id)}))
    form = MergeForm()
    if not form.validate_on_submit():
        return _page(keep, error="Le formulaire a expiré : recommencez.", status=422)
    if not form.duplicate.data:
        return _page(keep, error="Choisissez la structure en double à fusionner.", status=422)
    try:
        result = structure_merge.merge_structures(current_user, keep.id, form.duplicate.data)
    except ValidationFailed as exc:
        return _page(keep, error=exc.message, status=422)
    except NotFound:
        return _page(keep, error="La structure en double n'existe plus.", status=422)
    flash(f"Fusion faite : {result['resources']} service(s) et {result['members']} membre(s) "
          "rattachés à cette structure.", "success")
    return redirect(url_for("manage.edit_structure", structure_id=result["keep_id"]), 303)
