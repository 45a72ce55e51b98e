"""Whose territory something lies in: the one rule of a coordinator's scope, in the query.

A point belongs to the territories that cover it (`geo.queries.point_in_area`); a
coordinator attached to territories holds what those cover; a coordinator attached to none
is city-wide and holds everything; a point that no staffed territory covers goes to the
city-wide coordinators, or to every coordinator when there is none (never to nobody). The
same rule decides who sees a person's referrals (`referrals.scope`), who manages a relay
(`directory.relays`) and who manages a structure (`directory.structures`): only the way an
object is placed changes, so each caller passes a `Placement`.

- `Placement`: how an object is placed, as SQL: `covered(territory_condition)` (a territory
  matching the condition covers it) and `placed` (it has a place at all);
- `by_point(model, key=)`: the placement of rows by their point column, tested from the
  territories' side so that the indexes answer both ways (see `by_point`);
- `at_point(point)`: the placement of one constant point (`geog_point`);
- `coordinator_area(user, placement)`: condition for a coordinator (None: everywhere);
- `managed(user, placement)`: condition for management (admins and city-wide: everything);
- `point_managed(user, lon, lat)`: tell whether a new point would be in `user`'s management.
"""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, exists, false, func, or_, select, true
from sqlalchemy.orm import aliased

from geo.queries import geog_point, point_in_area

from ..extensions import db
from ..models import Role, Territory, User, coordinator_territories


@dataclass(frozen=True)
class Placement:
    """How an object is placed among the territories, as SQL conditions on its row."""

    covered: Callable  # territory condition -> "a territory matching it covers the object"
    placed: object = None  # condition "the object has a place" (None: always)


def by_point(model, *, key=None):
    """The placement of `model`'s rows by their `point` column (a person, a relay…).

    `key` is the outer column holding the row's id (`model.id` by default; a referral's
    `resident_id`). The condition is an EXISTS over territories joined to the rows they
    cover (a second, aliased `model`), so PostgreSQL may run it either way round, and
    chooses by the size of the scope: from the few territories of a coordinator through
    the points' GiST index (every row they cover, then the page), or from each row of an
    ordered list through the territories' index until the page is full (a coordinator of
    a third of the country). Negated (a point no staffed territory covers), it is an
    anti-join probing the territories' index row by row.
    """
    covered_row = aliased(model)
    key = model.id if key is None else key

    def covered(territory_condition):
        return exists(select(covered_row.id)
                      .join(Territory, point_in_area(covered_row.point, Territory.area))
                      .where(covered_row.id == key, territory_condition))
    return Placement(covered)


def at_point(point):
    """The placement of one constant point (`geo.queries.geog_point`)."""
    def covered(territory_condition):
        return exists(select(Territory.id).where(territory_condition,
                                                 point_in_area(point, Territory.area)))
    return Placement(covered)


def is_city_wide(user):
    """Tell whether `user` is a coordinator attached to no territory (city-wide)."""
    return user.role == Role.COORDINATOR.value and not user.territories


def _city_wide_coordinator_exists():
    attached = select(coordinator_territories.c.user_id).where(
        coordinator_territories.c.user_id == User.id)
    return db.session.scalar(select(exists().where(
        User.role == Role.COORDINATOR.value, User.active.is_(True), ~exists(attached)))) is True


def coordinator_area(user, placement):
    """Condition: the object lies in coordinator `user`'s area; None means everywhere.

    Their territories' objects; and, when no city-wide coordinator exists, the objects
    placed where no staffed territory covers them (never to nobody).
    """
    territory_ids = [t.id for t in user.territories]
    if not territory_ids:
        return None
    condition = placement.covered(Territory.id.in_(territory_ids))
    if not _city_wide_coordinator_exists():
        staffed = Territory.id.in_(
            select(coordinator_territories.c.territory_id)
            .join(User, User.id == coordinator_territories.c.user_id)
            .where(User.role == Role.COORDINATOR.value, User.active.is_(True)))
        unstaffed = ~placement.covered(staffed)
        if placement.placed is not None:
            unstaffed = and_(placement.placed, unstaffed)
        condition = or_(condition, unstaffed)
    return condition


def managed(user, placement):
    """Condition: `user` manages the object (admins and city-wide coordinators: all of them)."""
    if user.role == Role.ADMIN.value:
        return true()
    if user.role == Role.COORDINATOR.value:
        condition = coordinator_area(user, placement)
        return true() if condition is None else condition
    return false()


def point_managed(user, lon, lat):
    """Tell whether the point (lon, lat) lies in what `user` manages."""
    condition = managed(user, at_point(geog_point(lon, lat)))
    return db.session.scalar(select(condition)) is True



def reporting_territory(point):
    """The id of the territory a referral is counted in: the one covering `point` (a
    geography column or subquery) with the smallest area, ties to the lowest code; None when
    no territory covers it (API.md, "Territory of a referral")."""
    return db.session.scalar(
        select(Territory.id).where(point_in_area(point, Territory.area))
        .order_by(func.ST_Area(Territory.area), Territory.code.asc().nulls_last(), Territory.id)
        .limit(1))
