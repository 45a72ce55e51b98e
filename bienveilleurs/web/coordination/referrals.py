"""Coordinators' pages: the inbox to assign, referrals waiting too long, the map, a referral.

Lists come from services.referrals (scoped in the query); relays are proposed by matching
(services.referrals.proposed_relays_for: a whole page at once), resources by next-best
matching. Every change goes through services.referrals.transition with the version the
coordinator saw.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...errors import DomainError, NotFound, ResidentErased
from ...models import Role
from ...services import paging
from ...services import referrals as service
from ...services.evaluation import follow_ups
from ..forms import EmptyForm
from ..pages import feature_collection, point_feature, roles_required, since
from ..referrals.forms import AssignForm, ReferForm, version_value
from ..referrals.page import labels, post_move, render_referral

bp = Blueprint("coordination", __name__, url_prefix="/coordination")

# Where a one-click action returns to (a hidden "back" field; anything else → the referral).
BACK_PAGES = {"inbox": "coordination.inbox", "stale": "coordination.stale"}


@bp.before_request
@roles_required(Role.COORDINATOR)
def _only_coordinators():
    return None


# --- inbox -------------------------------------------------------------------------------------

# Matching runs for the first rows only (all of them in one search: matching_many), so that
# a page stays light; the others are one click away (their referral page proposes too).
PROPOSED_ROWS = 25


def _assign_move(user, referral):
    """The assign or reassign move `user` may make now (from the transition table), or None."""
    return next((m for m in service.available_moves(user, referral) if m.target == "assigned"),
                None)


def _inbox_page(*, summary=None, status=200, key=None):
    user = current_user
    rows = []
    page = service.read_inbox(user, after=key)
    returns = service.last_returns(user, [i.referral for i in page if i.kind == "sent_back"])
    for n, item in enumerate(page):
        referral, proposed = item.referral, n < PROPOSED_ROWS
        if item.kind == "to_assign":
            move = _assign_move(user, referral)
            rows.append({"item": item, "move": move, "proposed": proposed,
                         "propose": proposed and move is not None})
        else:
            can_refer = any(m.target == "referred"
                            for m in service.available_moves(user, referral))
            rows.append({"item": item, "proposed": proposed and can_refer,
                         "returned": returns.get(referral.id)})
    # The proposals of the whole page at once: the same statements for two rows as for fifty.
    relays = service.proposed_relays_for(
        user, [row["item"].referral for row in rows if row.get("propose")])
    resources = service.proposed_resources_for(
        user, [row["item"].referral for row in rows
               if row["item"].kind == "sent_back" and row["proposed"]], limit=3)
    for row in rows:
        row["relays"] = relays.get(row["item"].referral.id, [])
        row["resources"] = resources.get(row["item"].referral.id, [])
    to_assign = [row for row in rows if row["item"].kind == "to_assign"]
    sent_back = [row for row in rows if row["item"].kind == "sent_back"]
    return render_template("coordination/inbox.html", to_assign=to_assign, sent_back=sent_back,
                           summary=summary, labels=labels(), since=since, form=EmptyForm(),
                           **_paging(page, key)), status


def _paging(page, key):
    """What the pager and the one-click forms of a paged list need (`_pager.html`)."""
    return {"next_args": page.after.query_args() if page.after else None,
            "here_args": key.query_args() if key else {}}


@bp.get("/a-attribuer")
def inbox():
    return _inbox_page(key=paging.read_key(request.args))


# --- waiting too long --------------------------------------------------------------------------

def _stale_page(*, summary=None, status=200, key=None):
    user = current_user
    rows = []
    page = service.read_stale(user, after=key)
    for n, stale in enumerate(page):
        rows.append({"stale": stale, "move": _assign_move(user, stale.referral),
                     "proposed": n < PROPOSED_ROWS})
    relays = service.proposed_relays_for(
        user, [row["stale"].referral for row in rows
               if row["move"] is not None and row["proposed"]], limit=2)
    for row in rows:
        row["relays"] = relays.get(row["stale"].referral.id, [])
    thresholds = {kind: age for kind, age in service.stale_thresholds().values()}
    return render_template("coordination/stale.html", rows=rows, thresholds=thresholds,
                           summary=summary, labels=labels(), stale_labels=service.STALE_LABELS,
                           form=EmptyForm(), **_paging(page, key),
                           late_follow_ups=follow_ups.read_late_follow_ups(
                               user, service.scoped_referrals(user)),
                           late_shown=follow_ups.LATE_SHOWN), status


@bp.get("/en-attente")
def stale():
    return _stale_page(key=paging.read_key(request.args))


# --- map of open referrals ---------------------------------------------------------------------

# People on the map (and in its list) at once, oldest move first; « suivantes » for more.
MAP_ROWS = 100


@bp.get("/carte", endpoint="map")
def open_map():
    user, key = current_user, paging.read_key(request.args)
    rows, features = [], []
    page = service.read_map(user, after=key, size=MAP_ROWS)
    for referral in page:
        position = service.resident_position(user, referral)
        rows.append({"referral": referral, "position": position})
        if position is None:
            continue
        features.append(point_feature(
            position["lon"], position["lat"], kind="person", label=len(rows),
            name=f"{len(rows)}. {referral.resident.name}",
            detail=labels()["status"][referral.status],
            url=url_for(".referral", referral_id=referral.id),
            link_label="Ouvrir l'orientation"))
    return render_template("coordination/map.html", rows=rows,
                           features=feature_collection(features), labels=labels(), since=since,
                           **_paging(page, key))


# --- one referral ------------------------------------------------------------------------------

@bp.get("/orientations/<uuid:referral_id>")
def referral(referral_id):
    return render_referral("coordination", referral_id)


@bp.post("/orientations/<uuid:referral_id>/etat/<to>")
def move(referral_id, to):
    return post_move("coordination", referral_id, to, list_endpoint="coordination.inbox")


def _back(referral_id, *, summary=None, status=200):
    """Show again the page the one-click action came from (with an error), or go there."""
    page = request.form.get("back")
    key = paging.read_key(request.form) if page in BACK_PAGES else None
    if summary is None:
        if page in BACK_PAGES:  # the same page of the list, without the row just moved
            return redirect(url_for(BACK_PAGES[page], **(key.query_args() if key else {})),
                            303)
        return redirect(url_for(".referral", referral_id=referral_id), 303)
    if page == "stale":
        return _stale_page(summary=summary, status=status, key=key)
    if page == "inbox":
        return _inbox_page(summary=summary, status=status, key=key)
    return render_referral("coordination", referral_id, summary=summary, status=status)


@bp.post("/orientations/<uuid:referral_id>/attribuer")
def assign(referral_id):
    """One click: assign (or reassign) to a proposed relay, with the version seen."""
    form = AssignForm()
    form.validate_on_submit()  # CSRF is checked before the view; nothing else to validate
    try:
        referral = service.transition(current_user, referral_id, "assigned",
                                      relay_id=form.relay_id.data or None,
                                      version=version_value(form))
    except (NotFound, ResidentErased):
        raise
    except DomainError as error:
        return _back(referral_id, summary=error.message, status=error.status)
    flash(f"{referral.resident.name} est attribué·e à {referral.relay.display_name}.", "success")
    return _back(referral_id)


@bp.post("/orientations/<uuid:referral_id>/orienter")
def refer(referral_id):
    """One click: hand a sent-back referral to the next-best resource, with the version seen."""
    form = ReferForm()
    form.validate_on_submit()
    try:
        referral = service.transition(current_user, referral_id, "referred",
                                      resource_id=form.resource_id.data or None,
                                      version=version_value(form))
    except (NotFound, ResidentErased):
        raise
    except DomainError as error:
        return _back(referral_id, summary=error.message, status=error.status)
    flash(f"{referral.resident.name} est orienté·e vers « {referral.resource.name} ».",
          "success")
    return _back(referral_id)
