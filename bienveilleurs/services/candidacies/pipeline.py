"""The coordinators' pipeline: candidacies by stage, moved as the stage table says.

`apply_move` is the one place a candidacy changes stage: it checks the move against the
table (`table.TRANSITIONS`) and the actor's capacity, and writes its event through
`events.change_stage`. The use cases of the pages (`move`, `add_note`) and those of the
charter, the trainings and the activation call it; nothing here commits but the use cases.
"""

from sqlalchemy import exists, func, select

from ...errors import Forbidden, InvalidTransition, ValidationFailed
from ...extensions import db
from ...models import STAGE_LABELS, Candidacy, CandidacyEvent, TrainingParticipant
from ..fields import Fields
from ..paging import PAGE_SIZE, PageKey, keyset_page
from ..transaction import use_case
from .events import change_stage, write_event
from .scope import get_candidacy, managed_candidacies
from .table import (
    CANDIDATE,
    COORDINATOR,
    MOVE_LABELS,
    MOVES,
    NOTE_MAX,
    NOTE_REASON,
    PIPELINE_STAGES,
    REASON_MAX,
)


def _capacity(actor):
    """The table's actor an account or the candidate's link (None) acts as."""
    return CANDIDATE if actor is None else COORDINATOR


def apply_move(actor, candidacy, to, *, reason=None, note=None, made_by=()):
    """Check and apply one move of the table on a candidacy already found in scope.

    `actor` is the account (a coordinator or an admin found managing it by the caller) or
    None for the candidate's link; `made_by` names the steps the caller made for the moves
    that need them ("signature", "attendance", "profile"). Returns the event.
    """
    move = MOVES.get((candidacy.stage, to))
    if move is None:
        raise InvalidTransition(f"Passage impossible de « {STAGE_LABELS[candidacy.stage]} » à "
                                f"« {STAGE_LABELS.get(to, to)} ».")
    if _capacity(actor) not in move.actors:
        raise Forbidden("Ce changement ne vous revient pas.")
    missing = [need for need in move.needs if need != "reason" and need not in made_by]
    if missing:
        raise InvalidTransition(f"« {MOVE_LABELS[move.name]} » se fait depuis sa propre page.")
    if "reason" in move.needs and not reason:
        raise ValidationFailed.field("reason", "Indiquez la raison (elle reste dans le dossier).")
    return change_stage(actor, candidacy, to, reason=reason, note=note)


def _made_by(candidacy):
    """The steps already made for a candidacy: a training attended."""
    attended = db.session.scalar(select(exists().where(
        TrainingParticipant.candidacy_id == candidacy.id,
        TrainingParticipant.attended.is_(True))))
    return ("attendance",) if attended else ()


def available_moves(candidacy):
    """[(target, label, needs a reason)] the pipeline's buttons offer a coordinator."""
    moves, made = [], set(_made_by(candidacy)) | {"reason"}
    for (source, target), move in sorted(MOVES.items(), key=lambda i: i[1].name):
        if (source == candidacy.stage and COORDINATOR in move.actors
                and set(move.needs) <= made):
            moves.append((target, MOVE_LABELS[move.name], "reason" in move.needs))
    return moves


def _read_text(record):
    fields = Fields(record or {}, strict=False)
    reason = fields.text("reason", label="La raison", max_length=REASON_MAX)
    note = fields.text("note", label="La note", max_length=NOTE_MAX, multiline=True)
    fields.done()
    return reason, note


@use_case
def move(actor, candidacy_id, to, record=None):
    """A coordinator moves a candidacy they manage (404 outside their territories)."""
    candidacy = get_candidacy(actor, candidacy_id, lock=True)
    reason, note = _read_text(record)
    apply_move(actor, candidacy, to, reason=reason, note=note, made_by=_made_by(candidacy))
    return candidacy


@use_case
def add_note(actor, candidacy_id, record):
    """Meeting notes: an event that moves nothing, read by the coordinators only."""
    candidacy = get_candidacy(actor, candidacy_id, lock=True)
    _, note = _read_text(record)
    if not note:
        raise ValidationFailed.field("note", "Écrivez la note.")
    write_event(actor, candidacy, candidacy.stage, source=candidacy.stage, reason=NOTE_REASON,
                note=note)
    return candidacy


def pipeline(user, *, stage=None, after=None, size=PAGE_SIZE):
    """A Page of the candidacies `user` manages, oldest move first (`after`: the PageKey
    where the page starts), and their counts by stage."""
    statement = managed_candidacies(user)
    counts = dict(db.session.execute(
        statement.with_only_columns(Candidacy.stage, func.count()).group_by(Candidacy.stage)
        .order_by(None)).all())
    if stage:
        statement = statement.where(Candidacy.stage == stage)
    else:
        statement = statement.where(Candidacy.stage.in_(PIPELINE_STAGES))
    page = keyset_page(statement, (Candidacy.stage_changed_at, Candidacy.id),
                       after=(after.at, after.id) if after else None,
                       key=lambda c: PageKey(c.stage_changed_at, c.id), size=size)
    return page, counts


def history(candidacy):
    return db.session.scalars(select(CandidacyEvent)
                              .where(CandidacyEvent.candidacy_id == candidacy.id)
                              .order_by(CandidacyEvent.id)).all()
