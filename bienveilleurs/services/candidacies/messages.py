"""What a candidacy tells whom, through the notifications outbox (never committing).

The candidate hears at their e-mail address (no account yet): the confirmation link, the
charter's signing link, an invitation to a training session. The coordinators of the
candidate's territory hear of a confirmed candidacy and of one left without a move for a
year. Texts get a first name, dates, a place's name and links only.
"""

from geo.points import lon_lat

from ... import clock
from .. import notifications
from ..territories import coordinators_for_point

# Kinds of message about a candidacy (sent to the candidate's address or to coordinators).
KINDS = ("candidacy_confirm", "candidacy_confirmed", "charter_link", "training_invitation",
         "candidacy_stale")
# Those sent to the candidate's address are erased with the candidacy
# (privacy.registry.CANDIDATE_MESSAGE_KINDS).


def _when(moment):
    return clock.local(moment).strftime("%d/%m/%Y à %H:%M")


def confirmation(candidacy, link, secret):
    """The double opt-in e-mail: the link confirms the address and opens the candidacy."""
    path = notifications.link_path(("candidacy_public.open_link", {"token": secret}),
                                   default=f"/candidature/{secret}")
    return notifications.enqueue(
        "candidacy_confirm", dedup_key=f"candidacy_confirm:{link.id}",
        context={"name": candidacy.first_name}, email=candidacy.email, path=path)


def charter_link(candidacy, link, secret):
    path = notifications.link_path(("candidacy_public.open_charter_link", {"token": secret}),
                                   default=f"/charte/{secret}")
    return notifications.enqueue(
        "charter_link", dedup_key=f"charter_link:{link.id}",
        context={"name": candidacy.first_name, "expires": _when(link.expires_at)},
        email=candidacy.email, path=path)


def training_invitation(session, *, candidacy=None, relay_user=None):
    """Invite a candidate (at their address) or a relay (their account) to a session."""
    context = {"name": candidacy.first_name if candidacy is not None else relay_user.name,
               "topic": session.topic, "when": _when(session.starts_at),
               "place": session.place_name}
    who = f"c{candidacy.id}" if candidacy is not None else f"u{relay_user.id}"
    if candidacy is not None:
        return notifications.enqueue("training_invitation",
                                     dedup_key=f"training_invitation:{session.id}:{who}",
                                     context=context, email=candidacy.email,
                                     path=notifications.link_path(("candidacy_public.page", {})))
    path = notifications.link_path(("relay.my_people", {}))
    return notifications.enqueue("training_invitation",
                                 dedup_key=f"training_invitation:{session.id}:{who}",
                                 context=context, user=relay_user, path=path)


def _coordinators(candidacy):
    point = lon_lat(candidacy.point)
    return coordinators_for_point(*(point or (None, None)))


def _tell(kind, candidacy, context, suffix):
    path = notifications.link_path(("candidacies.show", {"candidacy_id": candidacy.id}))
    return sum(notifications.enqueue(kind, dedup_key=f"{kind}:{candidacy.id}:{suffix}:{user.id}",
                                     context=context, user=user, path=path)
               for user in _coordinators(candidacy))


def tell_coordinators_confirmed(candidacy):
    return _tell("candidacy_confirmed", candidacy, {"name": candidacy.first_name},
                 candidacy.confirmed_at.isoformat() if candidacy.confirmed_at else "")


def tell_coordinators_stale(candidacy):
    return _tell("candidacy_stale", candidacy,
                 {"name": candidacy.first_name, "since": _when(candidacy.stage_changed_at)},
                 candidacy.flagged_at.isoformat())
