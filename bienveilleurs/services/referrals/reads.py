"""The pages that show lists of people, as use cases: each page view is access-logged.

A list that shows people (a name, a position) is a read of their files as much as opening
one: each function below returns what `lists` finds and writes one access-log row per
referral shown (identifiers only), committed with the read, the same way for every page
and the API, as `scope.get_referral` does for one referral. Counts (the daily digest)
call `lists` directly: they show nobody.
"""

from ..access_log import record_accesses
from ..transaction import use_case
from .lists import (
    coordinator_inbox,
    open_referrals,
    relay_referrals,
    stale_referrals,
    structure_referrals,
)


def _shown(user, action, referrals):
    record_accesses(user, action, "referral", [r.id for r in referrals])


@use_case(reads=True)
def read_inbox(user, *, after=None):
    """A page of the coordinator's « À attribuer » (`lists.coordinator_inbox`), logged."""
    items = coordinator_inbox(user, after=after)
    _shown(user, "referral.inbox", [item.referral for item in items])
    return items


@use_case(reads=True)
def read_stale(user, now=None, *, after=None):
    """A page of the coordinator's « En attente » (`lists.stale_referrals`), logged."""
    rows = stale_referrals(user, now=now, after=after)
    _shown(user, "referral.stale", [row.referral for row in rows])
    return rows


@use_case(reads=True)
def read_map(user, *, after=None, size=None, zone=None):
    """A page of the open referrals of the coordinator's map (`lists.open_referrals`, in
    `zone` when given), logged."""
    referrals = open_referrals(user, after=after, zone=zone, **({"size": size} if size else {}))
    _shown(user, "referral.map", referrals)
    return referrals


@use_case(reads=True)
def read_structure_referrals(user):
    """A social worker's « Orientations reçues » (`lists.structure_referrals`), logged."""
    groups = structure_referrals(user)
    _shown(user, "referral.structure_list", [r for rows in groups.values() for r in rows])
    return groups


@use_case(reads=True)
def read_my_people(user, *, offline=False):
    """A relay's « Mes personnes » (open and closed), or with `offline` the open ones the
    phone keeps (`lists.relay_referrals`), logged."""
    referrals = relay_referrals(user, include_closed=not offline)
    _shown(user, "referral.offline_copy" if offline else "referral.my_people", referrals)
    return referrals
