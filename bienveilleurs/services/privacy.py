"""Privacy use cases: a resident's file and its export (right of access), opposition
(erasure at once), and the retention job (anonymisation, purge of old traces).

`PERSONAL_DATA` is the registry of every table holding data about residents: how to find
the rows about given residents, and what happens to each column on erasure (opposition)
and on anonymisation (retention); every other column is listed as kept. The export and
both scrubbing passes are driven by it, and a test introspects the schema so that a new
table referring to residents (directly or through referrals), or a new column in one of
these tables, fails until it is classified here.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geo.points import lon_lat, stored_point
from geo.privacy import approximate_point

from .. import clock
from ..config import setting
from ..errors import Forbidden, NotFound, ResidentErased
from ..extensions import db
from ..models import (
    AccessLog,
    AccountToken,
    ApiToken,
    Contact,
    ErasedId,
    LoginThrottle,
    Notification,
    Referral,
    ReferralEvent,
    Relay,
    Resident,
    Role,
    User,
)
from .access_log import record_access
from .fields import parse_uuid
from .transaction import use_case

log = logging.getLogger("bienveilleurs.privacy")

ANONYMISED_NAME = "Personne anonymisée"
ANONYMISED_RELAY = "Bienveilleur anonymisé"
# Event reasons are codes ("declined", "no_answer", "opposition"…) or free text typed by a
# person; only codes survive a scrub.
REASON_CODE = r"^[a-z][a-z0-9_]*$"
EMPTY_DIGEST = bytes(32)
# Open referrals closed by the retention job: the person was not seen for the whole period.
RETENTION_OUTCOME = "no_longer_needed"
RETENTION_REASON = "retention"
ACTIVE_STATUSES = ("assigned", "contacted", "referred", "accepted")


def _scrubbed_reason():
    return case((ReferralEvent.reason.op("~")(REASON_CODE), ReferralEvent.reason), else_=None)


@dataclass(frozen=True)
class PersonalTable:
    """One table with data about residents, as the export and the scrubbing passes see it."""

    model: type
    # A condition on the table selecting the rows about these resident ids (a subquery).
    about: Callable
    # column -> new value (a constant or an SQL expression) when the person opposes.
    erase: dict
    # column -> new value when the retention job anonymises; a subset of `erase`.
    anonymise: dict
    # Columns left as they are (identifiers, states, dates, codes: the statistics).
    keep: frozenset
    # Columns not worth exporting (digests of the creation payload).
    internal: frozenset = field(default_factory=frozenset)

    @property
    def table(self):
        return self.model.__table__


def _referrals_of(resident_ids):
    return select(Referral.id).where(Referral.resident_id.in_(resident_ids))


PERSONAL_DATA = {
    "residents": PersonalTable(
        Resident, lambda ids: Resident.id.in_(ids),
        erase={"first_name": None, "pseudonym": None, "phone": None, "point": None,
               "approx_point": None, "languages": [], "audiences": [], "newcomer": False,
               "consent_at": None, "consent_by_id": None, "reported_by_id": None,
               "last_contact_at": None},
        anonymise={"first_name": None, "pseudonym": ANONYMISED_NAME, "phone": None,
                   # The exact point goes; the stored ~200 m point stays for the statistics.
                   "point": Resident.approx_point},
        keep=frozenset({"id", "erased_at", "anonymised_at", "created_at", "updated_at"})),
    "referrals": PersonalTable(
        Referral, lambda ids: Referral.resident_id.in_(ids),
        erase={"payload_digest": None, "reported_name": None},
        anonymise={"payload_digest": None, "reported_name": None},
        keep=frozenset({"id", "resident_id", "category", "status", "outcome", "relay_id",
                        "resource_id", "reporter_id", "version", "status_changed_at",
                        "created_at", "updated_at"}),
        internal=frozenset({"payload_digest"})),
    "referral_events": PersonalTable(
        ReferralEvent, lambda ids: ReferralEvent.referral_id.in_(_referrals_of(ids)),
        erase={"note": None, "reason": _scrubbed_reason()},
        anonymise={"note": None, "reason": _scrubbed_reason()},
        keep=frozenset({"id", "referral_id", "at", "actor_id", "actor_role", "from_status",
                        "to_status", "note_professional", "relay_id", "resource_id", "outcome"})),
    "contacts": PersonalTable(
        Contact, lambda ids: Contact.referral_id.in_(_referrals_of(ids)),
        erase={"note": None, "payload_digest": EMPTY_DIGEST},
        anonymise={"note": None, "payload_digest": EMPTY_DIGEST},
        keep=frozenset({"id", "referral_id", "author_id", "at", "channel", "reached",
                        "created_at"}),
        internal=frozenset({"payload_digest"})),
}


def _scrub(resident_ids, which):
    """Apply the registry's `erase` or `anonymise` values to every row about these residents."""
    for entry in PERSONAL_DATA.values():
        values = getattr(entry, which)
        if values:
            db.session.execute(update(entry.model).where(entry.about(resident_ids))
                               .values(**values).execution_options(synchronize_session=False))


# --- scope --------------------------------------------------------------------------------

def _resident_id(value):
    rid = parse_uuid(value)
    if rid is None:
        raise NotFound("Personne introuvable.")
    return rid


def _coordinator_resident(user, rid, *, lock=False):
    from . import referrals
    statement = referrals.scoped_residents(user).where(Resident.id == rid)
    if lock:
        statement = statement.with_for_update(of=Resident).execution_options(populate_existing=True)
    return db.session.scalar(statement)


def _refuse_if_erased(rid):
    if db.session.get(ErasedId, rid) is not None:
        raise ResidentErased()


def get_resident_for_coordinator(user, resident_id):
    """Return the resident if `user` is a coordinator whose scope holds them (403 / 404 else)."""
    rid = _resident_id(resident_id)
    if user.role != Role.COORDINATOR.value:
        raise Forbidden("Seuls les coordinateurs consultent le dossier complet d'une personne.")
    resident = _coordinator_resident(user, rid)
    if resident is None:
        _refuse_if_erased(rid)
        raise NotFound("Personne introuvable.")
    return resident


# --- the file and the export (right of access) --------------------------------------------

def _json_value(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, (bytes, memoryview)):
        return None
    try:  # a geography point
        lon, lat = lon_lat(value)
        return {"lon": round(lon, 6), "lat": round(lat, 6)}
    except Exception:  # noqa: BLE001 - anything else is shown as text
        return str(value)


def _rows_about(entry, resident_ids):
    table = entry.table
    columns = [c for c in table.columns if c.name not in entry.internal]
    order = [table.c[name] for name in ("created_at", "at", "id") if name in table.c][:2]
    rows = db.session.execute(select(*columns).where(entry.about(resident_ids)).order_by(*order))
    return [{c.name: _json_value(row._mapping[c]) for c in columns} for row in rows]


def resident_file(resident):
    """Return everything stored about one resident, table by table (no access logged here)."""
    ids = [resident.id]
    tables = {name: _rows_about(entry, ids) for name, entry in PERSONAL_DATA.items()}
    referral_ids = [r["id"] for r in tables["referrals"]]
    object_ids = [resident.id] + [uuid.UUID(r) for r in referral_ids]
    reads = db.session.execute(
        select(AccessLog.at, AccessLog.action, AccessLog.object_type, AccessLog.object_id,
               User.role, User.display_name)
        .outerjoin(User, User.id == AccessLog.user_id)
        .where(AccessLog.object_id.in_(object_ids))
        .order_by(AccessLog.at, AccessLog.id)).all()
    tables["access_log"] = [
        {"at": r.at.isoformat(), "action": r.action, "object_type": r.object_type,
         "object_id": str(r.object_id), "by": {"role": r.role, "display_name": r.display_name}}
        for r in reads]
    return tables


@use_case
def export_resident(user, resident_id):
    """Return the right-of-access export of one resident (coordinators in scope); logged."""
    resident = get_resident_for_coordinator(user, resident_id)
    if resident.erased_at is not None:
        raise ResidentErased()
    record_access(user, "resident.export", "resident", resident.id)
    document = {
        "format": "bienveilleurs-droit-d-acces/1",
        "generated_at": clock.now().isoformat(),
        "generated_by": {"id": str(user.id), "role": user.role},
        "resident_id": str(resident.id),
        "tables": resident_file(resident),
    }
    return document


@use_case
def read_resident(user, resident_id):
    """Return (resident, file) for the coordinator's page; the read is logged."""
    resident = get_resident_for_coordinator(user, resident_id)
    record_access(user, "resident.read", "resident", resident.id)
    return resident, resident_file(resident)


# --- opposition ---------------------------------------------------------------------------

@dataclass
class Erasure:
    resident_id: uuid.UUID
    erased_at: datetime
    closed_referral_ids: list


def _lock_resident_for_opposition(user, rid):
    """Lock the resident row if `user` may record an opposition; raise 403 / 404 / 410."""
    _refuse_if_erased(rid)
    if user.role == Role.COORDINATOR.value:
        resident = _coordinator_resident(user, rid, lock=True)
        if resident is None:
            raise NotFound("Personne introuvable.")
        return resident
    if user.role == Role.RELAY.value and user.relay is not None:
        assigned = select(exists().where(Referral.resident_id == rid,
                                         Referral.relay_id == user.relay.id,
                                         Referral.status.in_(ACTIVE_STATUSES)))
        if db.session.scalar(assigned):
            return db.session.scalar(select(Resident).where(Resident.id == rid).with_for_update()
                                     .execution_options(populate_existing=True))
        from . import referrals
        visible = referrals.scoped_referrals(user).where(Referral.resident_id == rid)
        if db.session.scalar(select(visible.exists())):
            raise Forbidden("Seuls le bienveilleur attribué et les coordinateurs enregistrent "
                            "une opposition.")
        raise NotFound("Personne introuvable.")
    raise Forbidden("Seuls le bienveilleur attribué et les coordinateurs enregistrent "
                    "une opposition.")


@use_case
def oppose(user, resident_id):
    """The person opposes: erase their data now, close their open referrals as "opposed".

    Keeps an empty tombstone (the resident row with `erased_at`), the referrals' codes and
    dates for the statistics, and anonymous ErasedId rows for the resident, referral and
    contact ids, so that a late offline replay about them is refused with 410.
    """
    from . import referrals
    rid = _resident_id(resident_id)
    resident = _lock_resident_for_opposition(user, rid)
    if resident.erased_at is not None:
        raise ResidentErased()
    now = clock.now()
    open_referrals = db.session.scalars(
        select(Referral).where(Referral.resident_id == rid, Referral.status != "closed")
        .order_by(Referral.id).with_for_update()
        .execution_options(populate_existing=True)).all()
    closed = []
    for referral in open_referrals:
        referrals.close_for_opposition(user, referral, now=now)
        closed.append(referral.id)
    db.session.flush()
    # erased_at first: the table's checks allow an empty row only once it is a tombstone.
    db.session.execute(update(Resident).where(Resident.id == rid).values(erased_at=now)
                       .execution_options(synchronize_session=False))
    _scrub([rid], "erase")
    _tombstones(rid, now)
    record_access(user, "resident.erase", "resident", rid)
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


# --- retention ----------------------------------------------------------------------------

def _last_activity():
    """SQL expression: the last sign of life of a resident (contact, referral event, creation)."""
    last_contact = (select(func.max(Contact.at)).join(Referral, Referral.id == Contact.referral_id)
                    .where(Referral.resident_id == Resident.id)
                    .correlate(Resident).scalar_subquery())
    last_event = (select(func.max(ReferralEvent.at))
                  .join(Referral, Referral.id == ReferralEvent.referral_id)
                  .where(Referral.resident_id == Resident.id)
                  .correlate(Resident).scalar_subquery())
    return func.greatest(Resident.created_at, Resident.last_contact_at, last_contact, last_event)


def residents_due(now, retention_days):
    """Ids of residents with no sign of life for `retention_days`, not yet anonymised."""
    cutoff = now - timedelta(days=retention_days)
    return db.session.scalars(
        select(Resident.id).where(Resident.erased_at.is_(None), Resident.anonymised_at.is_(None),
                                  _last_activity() < cutoff)
        .order_by(Resident.id)).all()


def _close_for_retention(resident_ids, now):
    """Close the open referrals of these residents; free their relays' capacity."""
    referrals = db.session.scalars(
        select(Referral).where(Referral.resident_id.in_(resident_ids), Referral.status != "closed")
        .order_by(Referral.id).with_for_update().execution_options(populate_existing=True)).all()
    relay_ids = sorted({r.relay_id for r in referrals
                        if r.status in ACTIVE_STATUSES and r.relay_id is not None}, key=str)
    relays = {relay.id: relay for relay in db.session.scalars(
        select(Relay).where(Relay.id.in_(relay_ids)).order_by(Relay.id).with_for_update(of=Relay)
        .execution_options(populate_existing=True))} if relay_ids else {}
    for referral in referrals:
        source = referral.status
        if source in ACTIVE_STATUSES and referral.relay_id in relays:
            relays[referral.relay_id].active_referrals -= 1
        referral.status, referral.outcome = "closed", RETENTION_OUTCOME
        referral.status_changed_at = now
        db.session.add(ReferralEvent(
            referral_id=referral.id, at=now, actor_id=None, actor_role="system",
            from_status=source, to_status="closed", reason=RETENTION_REASON,
            relay_id=referral.relay_id, resource_id=referral.resource_id,
            outcome=RETENTION_OUTCOME))
    db.session.flush()
    return len(referrals)


def _anonymise_relays(now, retention_days):
    cutoff = now - timedelta(days=retention_days)
    relays = db.session.scalars(
        select(Relay).where(Relay.status == "ended", Relay.anonymised_at.is_(None),
                            func.coalesce(Relay.ended_at, Relay.updated_at) < cutoff)
        .order_by(Relay.id).with_for_update(of=Relay).execution_options(populate_existing=True)).all()
    for relay in relays:
        lon, lat = approximate_point(*lon_lat(relay.point))
        relay.display_name = ANONYMISED_RELAY
        relay.point = stored_point(lon, lat)
        relay.availability = None
        relay.skills = []
        relay.anonymised_at = now
        if relay.user_id is not None:
            db.session.execute(update(User).where(User.id == relay.user_id).values(
                email=f"anonymise-{relay.user_id}@anonymise.invalid", display_name="",
                password_hash=None, active=False, session_version=User.session_version + 1))
            db.session.execute(delete(ApiToken).where(ApiToken.user_id == relay.user_id))
            db.session.execute(delete(Notification)
                               .where(Notification.recipient_user_id == relay.user_id))
    return len(relays)


def _purge_messages(now, retention_days):
    """Delete delivered or abandoned notifications older than the retention period, and
    one-time account links (invitations, resets) expired for more than a day."""
    cutoff = now - timedelta(days=retention_days)
    purged = db.session.execute(delete(Notification).where(
        Notification.state != "pending", Notification.created_at < cutoff)).rowcount
    db.session.execute(delete(AccountToken)
                       .where(AccountToken.expires_at < now - timedelta(days=1)))
    return purged


def purge_access_log(access_log_days):
    """Delete access-log rows older than `access_log_days` (by the database clock).

    The guard trigger refuses any DELETE unless the setting is given for this transaction,
    and even then refuses rows younger than it.
    """
    days = int(access_log_days)
    if days < 1:
        raise ValueError("ACCESS_LOG_DAYS must be at least 1")
    db.session.execute(text("SELECT set_config('bienveilleurs.access_log_days', :days, true)"),
                       {"days": str(days)})
    result = db.session.execute(text(
        "DELETE FROM access_log WHERE at < now() - make_interval(days => :days)"), {"days": days})
    return result.rowcount


@use_case
def run_retention(*, retention_days=None, access_log_days=None, batch_size=500):
    """Anonymise and purge per the retention settings; idempotent. Return what was done."""
    retention_days = retention_days or setting("RETENTION_DAYS")
    access_log_days = access_log_days or setting("ACCESS_LOG_DAYS")
    now = clock.now()
    summary = {"residents_anonymised": 0, "referrals_closed": 0, "relays_anonymised": 0,
               "access_log_purged": 0, "login_throttle_purged": 0, "notifications_purged": 0}
    due = residents_due(now, retention_days)
    for start in range(0, len(due), batch_size):
        batch = due[start:start + batch_size]
        summary["referrals_closed"] += _close_for_retention(batch, now)
        _scrub(batch, "anonymise")
        db.session.execute(update(Resident).where(Resident.id.in_(batch))
                           .values(anonymised_at=now)
                           .execution_options(synchronize_session=False))
        summary["residents_anonymised"] += len(batch)
    summary["relays_anonymised"] = _anonymise_relays(now, retention_days)
    from .accounts import FAILURE_MEMORY
    summary["login_throttle_purged"] = db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_failure_at < now - FAILURE_MEMORY,
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now))).rowcount
    summary["notifications_purged"] = _purge_messages(now, retention_days)
    summary["access_log_purged"] = purge_access_log(access_log_days)
    log.info("retention run: %s", summary)
    return summary
