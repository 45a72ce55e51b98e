"""A candidate's data: their right of access, erasure, and the deletions of retention.

Driven by the registry (`privacy.registry.CANDIDATE_DATA`): every table holding data about
candidates, and which of its rows now belong to a relay's file (a signature, a training
attended) and stay when the candidacy goes.
"""

from sqlalchemy import and_, delete, not_

from ... import clock
from ...extensions import db
from ...models import Candidacy
from ..privacy.access import rows_about
from ..privacy.registry import CANDIDATE_DATA

FORMAT = "bienveilleurs-candidature/1"


def candidacy_file(candidacy):
    """Everything stored about one candidacy, table by table (the candidate's export)."""
    ids = [candidacy.id]
    return {"format": FORMAT, "generated_at": clock.now().isoformat(),
            "tables": {name: rows_about(entry, ids) for name, entry in CANDIDATE_DATA.items()}}


def delete_candidacies(ids):
    """Delete these candidacies and every row about them (no commit); return how many.

    Rows that now belong to a relay (their signature, their trainings) stay, without the
    link to the candidacy.
    """
    ids = list(ids)
    if not ids:
        return 0
    for name, entry in CANDIDATE_DATA.items():
        if name == "candidacies":
            continue
        condition = entry.about(ids)
        if entry.kept is not None:
            condition = and_(condition, not_(entry.kept()))
        db.session.execute(delete(entry.model).where(condition)
                           .execution_options(synchronize_session=False))
    return db.session.execute(delete(Candidacy).where(Candidacy.id.in_(ids))
                              .execution_options(synchronize_session=False)).rowcount
