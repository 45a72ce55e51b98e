"""A structure's one-time link: its pages (no account) and the coordinator's two buttons.

The e-mail's link (`open`) is checked, its row id held in the session, keyed by the
referral, and the browser sent to the referral's page without the secret (as account links
are: the secret stays out of the history, of any Referer and of the signed session cookie).
The page is the referral page of the structure's social workers (`referral_context`, with
the link as the reader), each opening logged as « lien structure »; its forms carry the
session's CSRF token (Flask-WTF works without an account: the session exists from the
first opening). Every answer of this blueprint says `Referrer-Policy: no-referrer`,
`X-Robots-Tag: noindex` and `Cache-Control: no-store`.

A link that no longer works says why in plain French and whom to write to at the
coordination. Coordinators re-send (« Renvoyer le lien ») or stop (« Désactiver le lien »)
it from the referral's page, within their territories (404 elsewhere).
"""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from ...errors import Conflict, DomainError, ResidentErased, Throttled
from ...models import STATUSES, Role
from ...services.referrals import LinkRefused, link_coordination
from ...services.referrals import structure_link as links
from ..forms import EmptyForm
from ..pages import errors_on_form, roles_required
from .forms import MISSING, MoveForm
from .page import BUTTON_LABELS, FLASH_AFTER_MOVE, referral_context

bp = Blueprint("structure_link", __name__)

SESSION_KEY = "structure_links"
HELD_AT_MOST = 20  # links one browser holds (a structure answering several referrals)

# The structure answers for itself.
LINK_BUTTON_LABELS = {**BUTTON_LABELS, "send_back": "Refuser cette orientation"}
LINK_FLASH = {**FLASH_AFTER_MOVE,
              "contacted": "Vous avez refusé cette orientation ; la coordination proposera une "
                           "autre ressource à la personne."}


@bp.after_request
def _private(response):
    """Nothing of these pages leaves in a Referer, is indexed or kept by a cache."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


def _held(referral_id):
    return (session.get(SESSION_KEY) or {}).get(str(referral_id))


def _hold(link_id, referral_id):
    held = dict(session.get(SESSION_KEY) or {})
    held.pop(str(referral_id), None)
    held[str(referral_id)] = str(link_id)
    session[SESSION_KEY] = dict(list(held.items())[-HELD_AT_MOST:])


def _refused(error):
    """The page of a link that cannot be used: why, and how to reach the coordination."""
    served = isinstance(error, LinkRefused) and error.served
    status = 200 if served else error.status
    response = current_app.make_response((render_template(
        "structure_link/refused.html", message=error.message, served=served,
        coordination=getattr(error, "contacts", []), noindex=True), status))
    response.headers.update(error.headers)
    return response


@bp.get("/lien-structure/<token>", endpoint="open")
def open_from_email(token):
    try:
        link_id, referral_id = links.open_link(token, address=request.remote_addr)
    except (LinkRefused, ResidentErased, Throttled) as error:
        return _refused(error)
    _hold(link_id, referral_id)
    return redirect(url_for("structure_link.referral", referral_id=referral_id), code=303)


def _page(referral_id, *, posted=None, summary=None, status=200):
    try:
        view = links.read(_held(referral_id), referral_id)
    except (LinkRefused, ResidentErased, Throttled) as error:
        return _refused(error)
    context = referral_context("structure_link", view.actor, view.referral, posted=posted,
                               summary=summary)
    context.update(button_labels=LINK_BUTTON_LABELS, link_view=view, noindex=True)
    return render_template("referrals/referral.html", **context), status


@bp.get("/lien-structure/orientations/<uuid:referral_id>")
def referral(referral_id):
    return _page(referral_id)


@bp.post("/lien-structure/orientations/<uuid:referral_id>/etat/<to>")
def move(referral_id, to):
    if to not in STATUSES:
        return _refused(LinkRefused(links.UNKNOWN))
    form = MoveForm(prefix=to)
    if not form.validate_on_submit():  # CSRF is checked before (CSRFProtect): lengths here
        return _page(referral_id, posted=form, status=422)
    values = form.values()
    try:
        _, moved = links.act(_held(referral_id), referral_id, to, version=values["version"],
                             reason=values["reason"], outcome=values["outcome"],
                             note=values["note"], note_professional=values["note_professional"])
    except (LinkRefused, ResidentErased, Throttled) as error:
        return _refused(error)
    except DomainError as error:
        summary = errors_on_form(form, error, aliases={"reason": "reason"}, missing=MISSING)
        return _page(referral_id, posted=form, summary=summary, status=error.status)
    flash(LINK_FLASH.get(to, "Orientation mise à jour.") if moved
          else "C'était déjà fait : rien n'a changé.", "success")
    return redirect(url_for("structure_link.referral", referral_id=referral_id), code=303)


# --- the coordinator's buttons -----------------------------------------------------------------

def _coordinator_action(referral_id, action, done):
    """Run a coordinator's action on the link; 404/403/410 as any of their moves, a conflict
    (nothing to disable, no contact address…) said on the referral's page."""
    if EmptyForm().validate_on_submit():  # CSRFProtect has checked the token already
        try:
            action(current_user, referral_id)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(done, "success")
    return redirect(url_for("coordination.referral", referral_id=referral_id), code=303)


@bp.post("/coordination/orientations/<uuid:referral_id>/lien-structure/renvoyer")
@roles_required(Role.COORDINATOR)
def resend(referral_id):
    return _coordinator_action(referral_id, link_coordination.resend,
                               "Nouveau lien envoyé à la structure ; l'ancien ne fonctionne plus.")


@bp.post("/coordination/orientations/<uuid:referral_id>/lien-structure/desactiver")
@roles_required(Role.COORDINATOR)
def disable(referral_id):
    return _coordinator_action(referral_id, link_coordination.disable,
                               "Lien désactivé : la structure ne peut plus s'en servir.")
