"""Public pages every footer links to: the accessibility statement and each role's help."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from ..models import ROLE_LABELS, Role

bp = Blueprint("info", __name__)

# The help page's slug for each role, in the order the general help lists them.
HELP_SLUGS = {
    "bienveilleur": Role.RELAY,
    "coordination": Role.COORDINATOR,
    "structure": Role.SOCIAL_WORKER,
    "administration": Role.ADMIN,
    "observation": Role.OBSERVER,
}


@bp.route("/accessibilite")
def accessibility():
    return render_template("info/accessibility.html")


@bp.route("/aide")
def help_index():
    """The signed-in reader's own help; everyone else chooses theirs."""
    if current_user.is_authenticated:
        return _help(Role(current_user.role))
    return render_template("info/help_index.html", slugs=HELP_SLUGS, labels=ROLE_LABELS)


@bp.route("/aide/<slug>")
def help_for(slug):
    role = HELP_SLUGS.get(slug)
    if role is None:
        abort(404)
    return _help(role)


def _help(role):
    return render_template(f"info/help_{role.value}.html", role=role, slugs=HELP_SLUGS,
                           labels=ROLE_LABELS)
