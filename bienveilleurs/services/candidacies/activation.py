"""Activation: from a trained candidate, one action makes the relay.

The relay profile is created from the candidacy (point, languages, and the rest as the
coordinator edits them), the account invitation is sent (services/invitations, through
relays_admin, audited), and the candidacy keeps the link to the relay. The candidate's
signatures and trainings join the relay's file; the topics attended become skills.
"""

from sqlalchemy import update

from geo.points import lon_lat

from ...extensions import db
from ...models import CharterSignature, TrainingParticipant
from .. import relays_admin
from ..transaction import use_case
from . import milestones
from .pipeline import apply_move
from .scope import get_candidacy
from .trainings import attended_topics


def proposed_profile(candidacy):
    """The relay profile the activation form starts from (every field editable)."""
    lon, lat = lon_lat(candidacy.point)
    return {"display_name": candidacy.first_name, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
            "languages": ", ".join(candidacy.languages or []),
            "skills": ", ".join(attended_topics(candidacy.id)), "radius_m": "1000",
            "capacity": "3"}


@use_case
def activate(actor, candidacy_id, record, *, area, max_radius_m, geocoder=None):
    """Create the relay profile and send the account invitation; return (candidacy, relay,
    invited)."""
    candidacy = get_candidacy(actor, candidacy_id, lock=True)
    apply_move(actor, candidacy, "active", made_by=("profile",),
               note="Profil de bienveilleur créé, invitation envoyée")
    record = {**(record or {}), "email": candidacy.email}
    relay, invited = relays_admin.register_relay(actor, record, area=area,
                                                 max_radius_m=max_radius_m, geocoder=geocoder)
    relay.phone = candidacy.phone
    candidacy.relay_id = relay.id
    for model in (CharterSignature, TrainingParticipant):
        db.session.execute(update(model).where(model.candidacy_id == candidacy.id)
                           .values(relay_id=relay.id))
    milestones.rekey(candidacy.id, relay.id)
    db.session.flush()
    return candidacy, relay, invited
