"""Opposition: the person objects, their data is erased at once.

Who may record it: a coordinator whose scope holds the person, or a relay assigned to every
active referral of the person (and to one at least). A relay who only reported the person,
or who shares them with another relay, asks the coordinators: having reported someone once,
or holding one need among several, never gives the power to erase what others hold.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ... import clock
from ...errors import Forbidden, NotFound, ResidentErased
from ...extensions import db
from ...models import Contact, ErasedId, Referral, Resident, Role
from ..access_log import record_access
from ..transaction import use_case
from .access import coordinator_resident, refuse_if_erased, resident_id
from .registry import scrub

log = logging.getLogger("bienveilleurs.privacy")

ACTIVE_STATUSES = ("assigned", "contacted", "referred", "accepted")
NOT_YOURS = ("Seuls le bienveilleur attribué et les coordinateurs enregistrent une opposition.")
SHARED = ("Un autre bienveilleur suit aussi cette personne : c'est la coordination qui "
          "enregistre son opposition. Prévenez-la.")


@dataclass
class Erasure:
    resident_id: uuid.UUID
    erased_at: datetime
    closed_referral_ids: list


def _locked_resident(rid):
    return db.session.scalar(select(Resident).where(Resident.id == rid).with_for_update()
                             .execution_options(populate_existing=True))


def _locked_open_referrals(rid):
    return db.session.scalars(
        select(Referral).where(Referral.resident_id == rid, Referral.status != "closed")
        .order_by(Referral.id).with_for_update()
        .execution_options(populate_existing=True)).all()


def _relay_may_oppose(user, rid):
    """Lock the person for a relay assigned to all their active referrals; 403 / 404 else.

    The open referrals are locked before they are counted, so that an assignment to
    another relay cannot slip in between the check and the erasure.
    """
    from .. import referrals
    visible = referrals.scoped_referrals(user).where(Referral.resident_id == rid)
    if not db.session.scalar(select(visible.exists())):
        raise NotFound("Personne introuvable.")
    resident = _locked_resident(rid)
    holders = {r.relay_id for r in _locked_open_referrals(rid)
               if r.status in ACTIVE_STATUSES and r.relay_id is not None}
    if user.relay.id not in holders:
        raise Forbidden(NOT_YOURS)
    if holders != {user.relay.id}:
        raise Forbidden(SHARED)
    return resident


def _lock_resident_for_opposition(user, rid):
    """Lock the resident row if `user` may record an opposition; raise 403 / 404 / 410."""
    refuse_if_erased(user, rid)
    if user.role == Role.COORDINATOR.value:
        resident = coordinator_resident(user, rid, lock=True)
        if resident is None:
            raise NotFound("Personne introuvable.")
        return resident
    if user.role == Role.RELAY.value and user.relay is not None:
        return _relay_may_oppose(user, rid)
    raise Forbidden(NOT_YOURS)


@use_case
def oppose(user, resident_id_value):
    """The person opposes: erase their data now, close their open referrals as "opposed".

    Keeps an empty tombstone (the resident row with `erased_at`), the referrals' codes and
    dates for the statistics, and anonymous ErasedId rows for the resident, referral and
    contact ids, so that a late offline replay about them is refused with 410. Messages
    about the person not sent yet are cancelled, and every message's text is scrubbed.
    """
    rid = resident_id(resident_id_value)
    resident = _lock_resident_for_opposition(user, rid)
    if resident.erased_at is not None:
        raise ResidentErased()
    return erase_resident(user, rid, clock.now())


def erase_resident(actor, rid, now):
    """Erase a locked resident at `now`, no scope check: `oppose`, or a restore replaying
    the journal of erasures (services/backups/journal.py)."""
    from .. import referrals
    closed = []
    for referral in _locked_open_referrals(rid):
        referrals.close_for_opposition(actor, referral, now=now)
        closed.append(referral.id)
    db.session.flush()
    referrals.tombstone_resident(rid, now)  # with its territories, before the point goes
    # erased_at first: the table's checks allow an empty row only once it is a tombstone.
    db.session.execute(update(Resident).where(Resident.id == rid).values(erased_at=now)
                       .execution_options(synchronize_session=False))
    from .. import campaigns
    campaigns.forget([rid])  # off the watch register, out of the open campaigns
    campaigns.forget_resident([rid])
    scrub([rid], "erase")
    _tombstones(rid, now)
    record_access(actor, "resident.erase", "resident", rid)
    log.info("resident %s erased on opposition (%d referral(s) closed)", rid, len(closed))
    return Erasure(rid, now, closed)


def _tombstones(rid, now):
    referral_ids = select(Referral.id).where(Referral.resident_id == rid)
    rows = [{"id": rid, "kind": "resident", "erased_at": now}]
    rows += [{"id": i, "kind": "referral", "erased_at": now}
             for i in db.session.scalars(referral_ids)]
    contact_ids = select(Contact.id).where(Contact.referral_id.in_(referral_ids))
    rows += [{"id": i, "kind": "contact", "erased_at": now}
             for i in db.session.scalars(contact_ids)]
    db.session.execute(pg_insert(ErasedId).values(rows)
                       .on_conflict_do_nothing(index_elements=["id"]))
