"""Training sessions: created by coordinators (topic, date, place on the map, capacity),
candidates and relays invited, attendance marked.

A session is placed by its point, like everything coordinators manage (`services.areas`).
Marking someone present records their first training (an indicator), turns the topic into a
skill on their relay profile (at once for a relay, at activation for a candidate), and moves
a candidate who has signed the charter to « trained ».
"""

from sqlalchemy import func, or_, select

from geo.points import lon_lat

from ... import clock
from ...errors import Conflict, NotFound, ValidationFailed
from ...extensions import db
from ...models import Candidacy, Relay, TrainingParticipant, TrainingSession, User
from .. import areas, audit
from ..directory import get_relay, managed_relays
from ..directory.common import like_pattern, parse_uuid, stored
from ..fields import Fields
from ..paging import PAGE_SIZE, NameKey, keyset_page
from ..transaction import use_case
from . import messages, milestones
from .pipeline import apply_move
from .scope import get_candidacy, get_session, managed_candidacies, managed_sessions
from .table import PIPELINE_STAGES

TOPIC_MAX = 100
PLACE_MAX = 200
CAPACITY_MAX = 500
OUTSIDE = ("Ce lieu est en dehors de vos territoires : une session est organisée par la "
           "coordination du territoire où elle a lieu.")
FULL = "La session est complète ({capacity} places) : augmentez sa capacité ou créez-en une autre."


@use_case
def create_session(actor, record, *, area):
    """A coordinator creates a session at a place they manage."""
    fields = Fields(record or {}, strict=False)
    topic = fields.text("topic", label="Le thème", max_length=TOPIC_MAX, required=True)
    starts_at = fields.local_datetime("starts_at", label="La date et l'heure", required=True)
    place = fields.text("place_name", label="Le lieu", max_length=PLACE_MAX, required=True)
    point = fields.point(area=area, required=True,
                         missing_message="Placez le lieu sur la carte (latitude et longitude).")
    capacity = fields.integer("capacity", label="La capacité", minimum=1, maximum=CAPACITY_MAX,
                              required=True)
    fields.done()
    if not areas.point_managed(actor, *point):
        raise ValidationFailed.field("lat", OUTSIDE)
    session = TrainingSession(topic=topic, starts_at=starts_at, place_name=place,
                              point=stored(point), capacity=capacity, created_by_id=actor.id)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "training.created", target_type="training", target_id=session.id,
                 summary=f"Session « {topic} » créée")
    return session


def list_sessions(user, *, limit=200):
    return db.session.scalars(managed_sessions(user).order_by(TrainingSession.starts_at.desc())
                              .limit(limit)).all()


def participants(session):
    return db.session.scalars(
        select(TrainingParticipant).where(TrainingParticipant.session_id == session.id)
        .order_by(TrainingParticipant.invited_at, TrainingParticipant.id)).all()


# Whom a session may invite: candidacies on their way (by first name) or active relays (by
# name), a page at a time, found by name or e-mail.
AMONG = ("candidatures", "bienveilleurs")


def invitable(user, session, *, among="candidatures", search=None, after=None,
              size=PAGE_SIZE):
    """A Page of the candidacies (`among` "candidatures") or active relays ("bienveilleurs")
    `user` manages who are not invited to `session` yet, found by name or e-mail, by name
    then id after the NameKey `after`."""
    taken = select(TrainingParticipant).where(TrainingParticipant.session_id == session.id)
    pattern = like_pattern(search) if search else None
    if among == "bienveilleurs":
        statement = managed_relays(user).where(
            Relay.status == "active",
            ~taken.where(TrainingParticipant.relay_id == Relay.id).exists())
        if pattern:
            statement = statement.outerjoin(User, User.id == Relay.user_id).where(
                or_(Relay.display_name.ilike(pattern), User.email.ilike(pattern)))
        order, name = (Relay.display_name, Relay.id), "display_name"
    else:
        statement = managed_candidacies(user).where(
            Candidacy.stage.in_(PIPELINE_STAGES),
            ~taken.where(TrainingParticipant.candidacy_id == Candidacy.id).exists())
        if pattern:
            statement = statement.where(or_(Candidacy.first_name.ilike(pattern),
                                            Candidacy.email.ilike(pattern)))
        order, name = (Candidacy.first_name, Candidacy.id), "first_name"
    return keyset_page(statement, order, after=(after.name, after.id) if after else None,
                       key=lambda row: NameKey(getattr(row, name), row.id), size=size)


def _ids(fields, name, label):
    return fields.uuids(name, label=label) or []


@use_case
def invite(actor, session_id, record):
    """Invite candidates and relays `actor` manages to a session they manage (e-mailed)."""
    session = get_session(actor, session_id, lock=True)
    fields = Fields(record or {}, strict=False)
    candidacy_ids = _ids(fields, "candidacy_ids", "Les candidatures")
    relay_ids = _ids(fields, "relay_ids", "Les bienveilleurs")
    fields.done()
    if not candidacy_ids and not relay_ids:
        raise ValidationFailed.field("candidacy_ids", "Choisissez au moins une personne.")
    count = db.session.scalar(select(func.count()).where(
        TrainingParticipant.session_id == session.id)) or 0
    if count + len(candidacy_ids) + len(relay_ids) > session.capacity:
        raise Conflict(FULL.format(capacity=session.capacity))
    for candidacy_id in candidacy_ids:
        candidacy = get_candidacy(actor, candidacy_id)
        if candidacy.stage not in PIPELINE_STAGES:
            raise Conflict(f"La candidature de {candidacy.first_name} est terminée.")
        _add(session, candidacy=candidacy)
        messages.training_invitation(session, candidacy=candidacy)
    for relay_id in relay_ids:
        relay = get_relay(actor, relay_id)
        _add(session, relay=relay)
        if relay.user is not None and relay.user.active:
            messages.training_invitation(session, relay_user=relay.user)
    return session


def _add(session, *, candidacy=None, relay=None):
    exists = db.session.scalar(select(TrainingParticipant.id).where(
        TrainingParticipant.session_id == session.id,
        TrainingParticipant.candidacy_id == candidacy.id if candidacy is not None
        else TrainingParticipant.relay_id == relay.id))
    if exists is None:
        db.session.add(TrainingParticipant(session_id=session.id,
                                           candidacy_id=getattr(candidacy, "id", None),
                                           relay_id=getattr(relay, "id", None)))
        db.session.flush()


def _person(participant):
    """(person key, territory id) of a participant for the indicators."""
    candidacy = participant.candidacy
    if participant.relay_id is not None:
        relay = participant.relay
        return relay.id, milestones.territory_at(relay.point)
    return candidacy.id, candidacy.territory_id


def _refresh_first_training(participant):
    """The person's first attended session, recomputed from their attendances."""
    key, territory_id = _person(participant)
    person = (TrainingParticipant.relay_id == key) | (TrainingParticipant.candidacy_id == key)
    first = db.session.scalar(
        select(func.min(TrainingSession.starts_at))
        .join(TrainingParticipant, TrainingParticipant.session_id == TrainingSession.id)
        .where(person, TrainingParticipant.attended.is_(True)))
    milestones.forget("first_training", key)
    if first is not None:
        milestones.record("first_training", key, at=first, territory_id=territory_id)


def add_skill(relay, topic):
    if topic not in (relay.skills or []):
        relay.skills = [*(relay.skills or []), topic]


@use_case
def mark_attendance(actor, session_id, participant_id, attended):
    """Mark a participant present or absent; effects of a presence as the module says."""
    session = get_session(actor, session_id, lock=True)
    participant = db.session.scalar(
        select(TrainingParticipant).where(TrainingParticipant.id == parse_uuid(participant_id),
                                          TrainingParticipant.session_id == session.id)
        .with_for_update(of=TrainingParticipant))
    if participant is None:
        raise NotFound("Participant introuvable.")
    participant.attended, participant.marked_at = bool(attended), clock.now()
    db.session.flush()
    _refresh_first_training(participant)
    if not attended:
        return participant
    if participant.relay_id is not None:
        add_skill(db.session.get(Relay, participant.relay_id), session.topic)
    candidacy = participant.candidacy
    if candidacy is not None and candidacy.stage == "charter_signed":
        apply_move(actor, candidacy, "trained", made_by=("attendance",),
                   note=f"Présent·e à « {session.topic} »")
    return participant


def train_if_attended(actor, candidacy):
    """A candidate who signs the charter after attending a session is trained at once."""
    if candidacy.stage == "charter_signed" and attended_topics(candidacy.id):
        apply_move(actor, candidacy, "trained", made_by=("attendance",),
                   note="Formation déjà suivie")


def trainings_of(*, relay_id=None, candidacy_id=None):
    """The sessions a relay or a candidate was invited to, with their attendance."""
    condition = (TrainingParticipant.relay_id == relay_id if relay_id is not None
                 else TrainingParticipant.candidacy_id == candidacy_id)
    return db.session.scalars(
        select(TrainingParticipant).join(TrainingSession)
        .where(condition).order_by(TrainingSession.starts_at.desc())).all()


def attended_topics(candidacy_id):
    return list(dict.fromkeys(
        p.session.topic for p in reversed(trainings_of(candidacy_id=candidacy_id)) if p.attended))


def session_point(session):
    point = lon_lat(session.point)
    return (point[1], point[0]) if point else None
