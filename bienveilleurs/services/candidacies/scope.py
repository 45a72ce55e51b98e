"""Whose candidacy it is: the coordinators of the candidate's territory, in the query.

A candidacy is placed by its point (`services.areas`, the one rule of every scope): the
coordinators of the territories covering it manage it, city-wide coordinators and admins
manage every one, and a point no staffed territory covers goes to the city-wide
coordinators. A candidacy still waiting for its address to be confirmed is nobody's yet.
Out of scope is a 404.
"""

from sqlalchemy import select

from ...extensions import db
from ...models import Candidacy, TrainingSession
from .. import areas
from ..directory.common import one_in

NOT_FOUND = "Candidature introuvable."
SESSION_NOT_FOUND = "Session de formation introuvable."
CANDIDACY_PLACEMENT = areas.by_point(Candidacy)
SESSION_PLACEMENT = areas.by_point(TrainingSession)


def managed_candidacies(user):
    """A select() of the candidacies `user` manages (confirmed or further)."""
    return select(Candidacy).where(areas.managed(user, CANDIDACY_PLACEMENT),
                                   Candidacy.stage != "submitted")


def get_candidacy(user, candidacy_id, *, lock=False):
    """A candidacy `user` manages (locked with `lock`); NotFound otherwise."""
    return one_in(managed_candidacies(user), Candidacy, candidacy_id, lock=lock,
                  missing=NOT_FOUND)


def managed_sessions(user):
    """A select() of the training sessions `user` manages (placed by their point)."""
    return select(TrainingSession).where(areas.managed(user, SESSION_PLACEMENT))


def get_session(user, session_id, *, lock=False):
    return one_in(managed_sessions(user), TrainingSession, session_id, lock=lock,
                  missing=SESSION_NOT_FOUND)


def managed_ids(user, ids):
    """The ids among `ids` of candidacies `user` manages."""
    if not ids:
        return set()
    return set(db.session.scalars(managed_candidacies(user).with_only_columns(Candidacy.id)
                                  .where(Candidacy.id.in_(ids))))
