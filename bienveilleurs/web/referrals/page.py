"""What the referral pages of every role share: the referral page, its move forms, labels.

A referral page shows what `visibility` allows (services.referrals), the timeline with the
notes the reader may see, the logged contacts, and one form per move the reader may make
now — taken from `available_moves`, i.e. from the service's transition table, never from a
second list here. A move is posted to `<blueprint>.move` with the target status in the URL;
the service decides (404, 403, 409, 422…) and the page is shown again with its error and
the error's status. `referral_context` is the page for any reader, a structure's one-time
link included (web/referrals/structure_link.py).
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ...errors import DomainError, NotFound, ResidentErased
from ...models import CHANNEL_LABELS, OUTCOME_LABELS, STATUS_LABELS, STATUSES, Role
from ...services import referrals as service
from ...services.codes import audience_label, category_label
from ..pages import errors_on_form, feature_collection, point_feature
from .forms import MISSING, MoveForm

# Who answers for a structure: its social workers, and its one-time link (no account).
STRUCTURE_VIEWERS = (Role.SOCIAL_WORKER, service.STRUCTURE_LINK)

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

# A social worker answers for their structure: refusing is theirs to say, in their words.
STRUCTURE_BUTTON_LABELS = {**BUTTON_LABELS, "send_back": "Refuser cette orientation"}

# The reasons each role gives when a referral comes back from a resource: a structure
# refuses (not answering is not something it says); the relay and the coordination record
# what the structure said, or that it did not answer. One reason: no question asked.
SEND_BACK_CHOICES = {  # a structure (social worker, link): services' STRUCTURE_SEND_BACK_REASONS
    Role.RELAY: {"declined": "La structure a refusé", "no_answer": "La structure ne répond pas"},
    Role.COORDINATOR: {"declined": "La structure a refusé",
                       "no_answer": "La structure ne répond pas"},
}

FLASH_AFTER_MOVE = {
    "assigned": "Orientation attribuée.",
    "reported": "Orientation remise à attribuer.",
    "contacted": "Orientation passée à « Contact établi ».",
    "referred": "Orientation envoyée à la ressource.",
    "accepted": "Prise en charge confirmée.",
    "closed": "Orientation clôturée.",
}


def flash_after_move(to, reason, role):
    """What happened, in the words of the one who did it."""
    if to != "contacted" or reason not in service.SEND_BACK_REASONS:
        return FLASH_AFTER_MOVE.get(to, "Orientation mise à jour.")
    if role in STRUCTURE_VIEWERS:
        return ("Vous avez refusé cette orientation ; la coordination proposera une autre "
                "ressource.")
    said = ("Refus de la structure noté" if reason == "declined"
            else "Absence de réponse de la structure notée")
    if role == Role.RELAY:
        return f"{said} : proposez une autre ressource, ou laissez la coordination le faire."
    return f"{said} : proposez une autre ressource à la personne."


def labels():
    return {"status": STATUS_LABELS, "outcome": OUTCOME_LABELS, "channel": CHANNEL_LABELS,
            "next": service.NEXT_STEPS, "category": category_label, "audience": audience_label}


def move_forms(user, referral, *, posted=None):
    """Return [(AvailableMove, MoveForm)] for the moves `user` may make now."""
    moves = service.available_moves(user, referral)
    needs = {name for move in moves for name in move.needs}
    relays = service.proposed_relays(user, referral, limit=5) if "relay_id" in needs else []
    resources = (service.proposed_resources(user, referral)
                 if "resource_id" in needs and user.role == Role.COORDINATOR else [])
    forms = []
    for move in moves:
        if posted is not None and posted._prefix == f"{move.target}-":
            form = posted
        else:
            form = MoveForm(prefix=move.target, formdata=None)
        reasons = (service.STRUCTURE_SEND_BACK_REASONS if user.role in STRUCTURE_VIEWERS
                   else SEND_BACK_CHOICES.get(user.role))
        form.fill(move, referral=referral, relays=relays, resources=resources, reasons=reasons)
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
    return feature_collection([point_feature(
        position["lon"], position["lat"], kind="person", name="La personne",
        detail="Position exacte" if position["exact"] else "Position approchée")])


def referral_context(blueprint, user, referral, *, posted=None, summary=None):
    """What the referral page shows `user`, a reader of `referral` already read (and logged).

    `blueprint` (relay, coordination, structure, structure_link) takes the move forms.
    """
    view = service.visibility(user, referral)
    position = service.resident_position(user, referral)
    coordinator = user.role == Role.COORDINATOR
    relay = user.role == Role.RELAY
    back_endpoint, back_label = BACK.get(blueprint, (None, None))
    return dict(
        blueprint=blueprint, referral=referral, view=view,
        back_endpoint=back_endpoint, back_label=back_label,
        privacy_link=(url_for("privacy.resident", resident_id=referral.resident_id)
                      if coordinator else None),
        map_features=_person_features(position) if view == "full" else None,
        # The contact page is the relay's; log_contact decides who may really log one.
        can_log_contact=(blueprint == "relay" and view == "full"
                         and referral.status in service.ACTIVE_STATUSES),
        person=referral.resident if view != "status_only" else None,
        position=position, timeline=service.timeline(user, referral),
        contacts=service.visible_contacts(user, referral),
        moves=move_forms(user, referral, posted=posted),
        relay_contact=service.relay_contact(referral) if view == "structure" else None,
        posted=posted, summary=summary, labels=labels(), is_relay=relay,
        button_labels=(RELAY_BUTTON_LABELS if relay else STRUCTURE_BUTTON_LABELS
                       if user.role in STRUCTURE_VIEWERS else BUTTON_LABELS),
        is_coordinator=coordinator,
        resource=referral.resource if view != "status_only" else None,
        correct_link=(url_for("referral_corrections.correct", referral_id=referral.id)
                      if service.may_correct(user, referral) else None),
        structure_link=service.link_summary(user, referral),
    )


def render_referral(blueprint, referral_id, *, posted=None, summary=None, status=200):
    """Render the referral page of `blueprint` (relay, coordination, structure)."""
    referral = service.get_referral(current_user, referral_id)
    return render_template("referrals/referral.html", **referral_context(
        blueprint, current_user, referral, posted=posted, summary=summary)), status


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
        summary = errors_on_form(form, error, aliases=aliases, missing=MISSING)
        return render_referral(blueprint, referral_id, posted=form, summary=summary,
                               status=error.status)
    flash(flash_after_move(to, form.values()["reason"], current_user.role), "success")
    if service.can_see(current_user, referral.id):
        return redirect(url_for(f"{blueprint}.referral", referral_id=referral.id), 303)
    return redirect(url_for(list_endpoint), 303)
