"""A resident's file for coordinators: the readable page, the right-of-access export (JSON)
and the opposition button."""

import json

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ... import clock
from ...extensions import db
from ...models import (
    ACCESS_ACTIONS,
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    Role,
    User,
)
from ...services import privacy
from ...services.codes import audience_label, category_label
from ...services.referrals import ROLE_NAMES, STRUCTURE_LINK
from ..pages import roles_required, stored_time

bp = Blueprint("privacy", __name__)


class OppositionForm(FlaskForm):
    confirm = BooleanField(
        "La personne s'oppose au traitement de ses données : les effacer maintenant",
        validators=[DataRequired("Cochez la case pour confirmer l'effacement.")])


def _names(file):
    ids = set()
    for row in file["referral_events"]:
        ids.add(row["actor_id"])
    for row in file["contacts"]:
        ids.add(row["author_id"])
    ids.discard(None)
    if not ids:
        return {}
    return {str(i): name for i, name in db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(list(ids))))}


@bp.get("/personnes/<uuid:resident_id>")
@roles_required(Role.COORDINATOR)
def resident(resident_id):
    person, file = privacy.read_resident(current_user, resident_id)
    referrals = file["referrals"]
    events = {r["id"]: [e for e in file["referral_events"] if e["referral_id"] == r["id"]]
              for r in referrals}
    contacts = {r["id"]: [c for c in file["contacts"] if c["referral_id"] == r["id"]]
                for r in referrals}
    return render_template(
        "privacy/resident.html", person=person, row=file["residents"][0], referrals=referrals,
        events=events, contacts=contacts, reads=file["access_log"], names=_names(file),
        form=OppositionForm(), labels={
            "status": STATUS_LABELS, "outcome": OUTCOME_LABELS, "channel": CHANNEL_LABELS,
            # A structure's link acts without an account: its events say so.
            "role": {**ROLE_LABELS, STRUCTURE_LINK: ROLE_NAMES[STRUCTURE_LINK]},
            "action": ACCESS_ACTIONS},
        category_label=category_label, audience_label=audience_label, when=when)


@bp.get("/personnes/<uuid:resident_id>/export.json")
@roles_required(Role.COORDINATOR)
def export(resident_id):
    document = privacy.export_resident(current_user, resident_id)
    stamp = clock.now().strftime("%Y%m%d")
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json")
    # The file name carries no personal data: the id and the date only.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="droit-acces-{resident_id}-{stamp}.json"')
    return response


@bp.post("/personnes/<uuid:resident_id>/opposition")
@roles_required(Role.COORDINATOR)
def opposition(resident_id):
    privacy.get_resident_for_coordinator(current_user, resident_id)  # out of scope: 404 first
    form = OppositionForm()
    if not form.validate_on_submit():
        flash("Cochez la case de confirmation pour effacer les données de la personne.", "error")
        return redirect(url_for("privacy.resident", resident_id=resident_id), code=303)
    erasure = privacy.oppose(current_user, resident_id)
    flash(f"Les données de la personne ont été effacées ; {len(erasure.closed_referral_ids)} "
          "orientation(s) en cours clôturée(s) pour opposition.", "success")
    # The file is now an empty tombstone: nothing left to show.
    return redirect(url_for("main.home"), code=303)


when = stored_time  # the page's name for it
