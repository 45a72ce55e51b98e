"""The anonymous facts the indicators count, and the territory a point is counted in.

`candidacies_received` (API.md, indicators) counts the candidacies confirmed in a period by
the candidate's territory; `relays_trained` the candidates and relays whose first training
attendance falls in it. Both read `network_milestones`, written here when a candidacy is
confirmed and when an attendance is marked: the facts (a kind, an opaque key of the person,
a time, a territory) outlive the candidacy, deleted by retention or at the person's request.
"""

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from geo.queries import point_in_area

from ...extensions import db
from ...models import NetworkMilestone, Territory


def territory_at(point):
    """The id of the territory covering `point` (a geography value) with the smallest area
    (ties: the lowest code), or None outside every territory."""
    return db.session.scalar(
        select(Territory.id).where(point_in_area(point, Territory.area))
        .order_by(func.ST_Area(func.geography(Territory.area)), Territory.code.asc().nulls_last(),
                  Territory.id)
        .limit(1))


def record(kind, person_key, *, at, territory_id):
    """Record the fact `kind` for a person, keeping the earliest time (no commit)."""
    statement = insert(NetworkMilestone).values(
        kind=kind, person_key=person_key, at=at, territory_id=territory_id)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["kind", "person_key"],
        set_={"at": func.least(NetworkMilestone.at, statement.excluded.at),
              "territory_id": statement.excluded.territory_id},
        where=statement.excluded.at < NetworkMilestone.at))


def forget(kind, person_key):
    db.session.execute(delete(NetworkMilestone).where(NetworkMilestone.kind == kind,
                                                      NetworkMilestone.person_key == person_key))


def rekey(old_key, new_key):
    """A candidate became a relay: their facts follow them under the relay's key."""
    db.session.execute(update(NetworkMilestone).where(NetworkMilestone.person_key == old_key)
                       .values(person_key=new_key))


def _counts(kind, start, end):
    rows = db.session.execute(
        select(NetworkMilestone.territory_id, func.count())
        .where(NetworkMilestone.kind == kind, NetworkMilestone.at >= start,
               NetworkMilestone.at < end)
        .group_by(NetworkMilestone.territory_id)).all()
    return {territory_id: count for territory_id, count in rows}


def candidacies_received(start, end):
    """{territory id or None: candidacies confirmed in [start, end)} (the indicator's data)."""
    return _counts("candidacy_confirmed", start, end)


def relays_trained(start, end):
    """{territory id or None: people whose first training attendance is in [start, end)}."""
    return _counts("first_training", start, end)
