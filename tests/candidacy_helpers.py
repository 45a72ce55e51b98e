"""Shared helpers of the candidacy tests: a valid form, the links the e-mails carry."""

from sqlalchemy import select

from bienveilleurs.config import setting
from bienveilleurs.extensions import db
from bienveilleurs.models import Notification
from bienveilleurs.services.candidacies import public

NORTH = [(0.100, 49.490), (0.120, 49.490), (0.120, 49.500), (0.100, 49.500)]
SOUTH = [(0.130, 49.500), (0.150, 49.500), (0.150, 49.510), (0.130, 49.510)]
IN_NORTH = (0.11, 49.495)   # (lon, lat)
IN_SOUTH = (0.14, 49.505)


def form(**values):
    """A valid offer to help, in the north territory."""
    record = {"first_name": "Nadia", "email": "nadia@exemple.fr", "phone": "06 12 34 56 78",
              "lat": IN_NORTH[1], "lon": IN_NORTH[0], "profile": "shopkeeper",
              "languages": ["fr", "ar"], "availability": "Le mercredi après-midi",
              "consent": True}
    record.update(values)
    return record


def submit(address="203.0.113.7", **values):
    return public.submit(form(**values), address=address, area=setting("SERVICE_AREA"))


def mails(kind, email=None):
    query = select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    if email:
        query = query.where(Notification.recipient_email == email)
    return db.session.scalars(query).all()


def secret_of(kind, email):
    """The secret of the last link of `kind` sent to `email` (in the outbox until sent)."""
    return mails(kind, email)[-1].link_path.rsplit("/", 1)[1]


def confirmed(email="nadia@exemple.fr", **values):
    """A candidacy submitted and confirmed through its link; returns it."""
    submit(email=email, **values)
    link_id = public.open_link(secret_of("candidacy_confirm", email))
    return public.confirm(link_id)
