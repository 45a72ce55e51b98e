"""What the referral pages of every role share: the referral page, its move forms, filters.

A referral page shows what `visibility` allows (services.referrals), the timeline with the
notes the reader may see, the logged contacts, and one form per move the reader may make
now — taken from `available_moves`, i.e. from the service's transition table, never from a
second list here. A move is posted to `<blueprint>.move` with the target status in the URL;
the service decides (404, 403, 409, 422…) and the page is shown again with its error and
the error's status.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import clock
from ..errors import DomainError, NotFound, ResidentErased
from ..models import CHANNEL_LABELS, OUTCOME_LABELS, STATUS_LABELS, STATUSES, Role
from ..services import referrals as service
from ..services.codes import audience_label, category_label
from .referral_forms import MISSING, MoveForm, distance_text

# Button wording where the service's move label names a state rather than an action.
BUTTON_LABELS = {
    "contact": "Marquer le contact établi",
    "accept": "Confirmer la prise en charge",
    "send_back": "Refuser, ou signaler l'absence de réponse",
}

# A relay records what the structure said (by phone): worded as such.
RELAY_BUTTON_LABELS = {
    **BUTTON_LABELS,
    "accept": "La structure a confirmé la prise en charge",
    "send_back": "La structure a refusé, ou ne répond pas",
}

FLASH_AFTER_MOVE = {
    "assigned": "Orientation attribuée.",
    "reported": "Orientation remise à attribuer.",
    "contacted": "Orientation passée à « Contact établi ».",
    "referred": "Orientation envoyée à la ressource.",
    "accepted": "Prise en charge confirmée.",
    "closed": "Orientation clôturée.",
}


def register_filters(bp):
    """Template filters for times (Europe/Paris), ages and distances, app-wide."""

    @bp.app_template_filter("paris")
    def paris(moment, fmt="%d/%m/%Y à %H:%M"):
        return clock.local(moment).strftime(fmt) if moment is not None else "—"

    @bp.app_template_filter("age")
    def age(delta):
        seconds = int(delta.total_seconds())
        days, rest = divmod(max(seconds, 0), 86400)
        hours = rest // 3600
        if days:
            return f"{days} j {hours} h" if hours else f"{days} j"
        minutes = (rest % 3600) // 60
        return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"

    @bp.app_template_filter("distance")
    def distance(metres):
        return distance_text(metres)


def since(moment):
    """Return the time elapsed since `moment` (for "il y a …")."""
    return clock.now() - moment


def labels():
    return {"status": STATUS_LABELS, "outcome": OUTCOME_LABELS, "channel": CHANNEL_LABELS,
            "next": service.NEXT_STEPS, "category": category_label, "audience": audience_label}


def move_forms(user, referral, *, posted=None):
    """Return [(AvailableMove, MoveForm)] for the moves `user` may make now."""
    moves = service.available_moves(user, referral)
    needs = {name for move in moves for name in move.needs}
    relays = service.proposed_relays(user, referral, limit=5) if "relay_id" in needs else []
    resources = (service.proposed_resources(user, referral)
                 if "resource_id" in needs and user.role == Role.COORDINATOR.value else [])
    forms = []
    for move in moves:
        if posted is not None and posted._prefix == f"{move.target}-":
            form = posted
        else:
            form = MoveForm(prefix=move.target, formdata=None)
        form.fill(move, referral=referral, relays=relays, resources=resources)
        form.version.data = str(referral.version)  # what the reader now sees
        forms.append((move, form))
    return forms


BACK = {
    "relay": ("relay.my_people", "Mes personnes"),
    "coordination": ("coordination.inbox", "À attribuer"),
    "structure": ("structure.referrals", "Orientations reçues"),
}


def _person_features(position):
    if position is None:
        return None
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [position["lon"], position["lat"]]},
        "properties": {"kind": "person", "name": "La personne",
                       "detail": "Position exacte" if position["exact"] else "Position approchée"},
    }]}


def render_referral(blueprint, referral_id, *, posted=None, summary=None, status=200):
    """Render the referral page of `blueprint` (relay, coordination, structure)."""
    user = current_user
    referral = service.get_referral(user, referral_id)
    view = service.visibility(user, referral)
    position = service.resident_position(user, referral)
    views = current_app.view_functions
    show_map = view == "full" and "directory.leaflet" in views
    coordinator = user.role == Role.COORDINATOR.value
    privacy_link = (url_for("privacy.resident", resident_id=referral.resident_id)
                    if coordinator and "privacy.resident" in views else None)
    back_endpoint, back_label = BACK[blueprint]
    return render_template(
        "referrals/referral.html", blueprint=blueprint, referral=referral, view=view,
        back_endpoint=back_endpoint, back_label=back_label, privacy_link=privacy_link,
        map_features=_person_features(position) if show_map else None,
        # The contact page is the relay's; log_contact decides who may really log one.
        can_log_contact=(blueprint == "relay" and view == "full"
                         and referral.status in service.ACTIVE_STATUSES),
        person=referral.resident if view != "status_only" else None,
        position=position, timeline=service.timeline(user, referral),
        contacts=service.visible_contacts(user, referral),
        moves=move_forms(user, referral, posted=posted),
        relay_contact=service.relay_contact(referral) if view == "structure" else None,
        posted=posted, summary=summary, labels=labels(), is_relay=user.role == Role.RELAY.value,
        button_labels=RELAY_BUTTON_LABELS if user.role == Role.RELAY.value else BUTTON_LABELS,
        is_coordinator=user.role == Role.COORDINATOR.value,
        resource=referral.resource if view != "status_only" else None,
        correct_link=(url_for("referral_corrections.correct", referral_id=referral.id)
                      if "referral_corrections.correct" in views
                      and service.may_correct(user, referral) else None),
    ), status


def error_into(form, error, aliases=None):
    """Put a domain error on the form's visible fields; return the text for the summary.

    An error about no visible field (a stale version, a conflict, a refused move) is
    said in the summary with the service's message.
    """
    aliases = aliases or {}
    visible = {name for name, f in form._fields.items()
               if f.type not in ("HiddenField", "CSRFTokenField")}
    attached, rest = False, []
    for detail in error.details or []:
        name = aliases.get(detail.get("field"), detail.get("field"))
        message = detail.get("message") or error.message
        if name in visible:
            if error.status == 400 and name in MISSING:
                message = MISSING[name]  # a field the service found missing, in the page's words
            form[name].errors = list(form[name].errors) + [message]
            attached = True
        else:
            rest.append(message)
    if not attached:
        return " ".join([error.message] + [m for m in rest if m != error.message])
    return " ".join(rest) or None


def post_move(blueprint, referral_id, to, *, list_endpoint):
    """Handle a move posted from a referral page; redirect 303, or show the page again."""
    if to not in STATUSES:
        abort(404)
    form = MoveForm(prefix=to)
    if not form.validate_on_submit():  # CSRF is checked before (CSRFProtect): lengths here
        return render_referral(blueprint, referral_id, posted=form, status=422)
    try:
        referral = service.transition(current_user, referral_id, to, **form.values())
    except (NotFound, ResidentErased):
        raise
    except DomainError as error:
        aliases = {"reason": "reason" if to == "contacted" else "reason_text"}
        summary = error_into(form, error, aliases)
        return render_referral(blueprint, referral_id, posted=form, summary=summary,
                               status=error.status)
    flash(FLASH_AFTER_MOVE.get(to, "Orientation mise à jour."), "success")
    if service.can_see(current_user, referral.id):
        return redirect(url_for(f"{blueprint}.referral", referral_id=referral.id), 303)
    return redirect(url_for(list_endpoint), 303)
