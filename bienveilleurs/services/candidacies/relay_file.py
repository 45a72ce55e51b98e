"""What a relay's file shows of their path: the charter signed (which version, when, how),
the trainings they were invited to and attended, and the candidacy they came from."""

from sqlalchemy import select

from ...extensions import db
from ...models import Candidacy
from .charter import current_version, signatures_of_relay
from .trainings import trainings_of

SIGNATURE_METHODS = {"meeting": "pendant la rencontre", "link": "par le lien reçu par e-mail",
                     "sign_in": "depuis son compte"}


def relay_file(relay):
    """For a relay the reader already manages (the caller found it in scope)."""
    signatures = signatures_of_relay(relay.id)
    current = current_version()
    return {
        "signatures": signatures,
        "signed_current": bool(current and any(s.version_id == current.id for s in signatures)),
        "current": current,
        "trainings": trainings_of(relay_id=relay.id),
        "candidacy": db.session.scalar(select(Candidacy).where(Candidacy.relay_id == relay.id)),
        "methods": SIGNATURE_METHODS,
    }
