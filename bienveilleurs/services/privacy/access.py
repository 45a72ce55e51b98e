"""A resident's file for the coordinators in scope, and its export (right of access)."""

import uuid
from datetime import datetime

from sqlalchemy import select

from geo.points import lon_lat

from ... import clock
from ...errors import Forbidden, NotFound, ResidentErased
from ...extensions import db
from ...models import AccessLog, ErasedId, Resident, Role, User
from ..access_log import record_access
from ..fields import parse_uuid
from ..transaction import use_case
from .registry import PERSONAL_DATA


def resident_id(value):
    rid = parse_uuid(value)
    if rid is None:
        raise NotFound("Personne introuvable.")
    return rid


def coordinator_resident(user, rid, *, lock=False):
    """The resident `rid` if the coordinator's scope holds them (locked when asked), else None."""
    from .. import referrals
    statement = referrals.scoped_residents(user).where(Resident.id == rid)
    if lock:
        statement = statement.with_for_update(of=Resident).execution_options(populate_existing=True)
    return db.session.scalar(statement)


def refuse_if_erased(user, rid):
    """An erased person: 410 to whoever could see them, 404 to anyone else."""
    from .. import referrals
    if db.session.get(ErasedId, rid) is not None:
        referrals.erased_or_not_found(user, rid, NotFound("Personne introuvable."))


def get_resident_for_coordinator(user, resident_id_value):
    """Return the resident if `user` is a coordinator whose scope holds them (403 / 404 else)."""
    rid = resident_id(resident_id_value)
    if user.role != Role.COORDINATOR.value:
        raise Forbidden("Seuls les coordinateurs consultent le dossier complet d'une personne.")
    resident = coordinator_resident(user, rid)
    if resident is None:
        refuse_if_erased(user, rid)
        raise NotFound("Personne introuvable.")
    return resident


def json_value(value):
    """A stored value as JSON: times in ISO 8601, ids as text, points as lon/lat."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (bytes, memoryview)):
        return None
    try:  # a geography point
        lon, lat = lon_lat(value)
        return {"lon": round(lon, 6), "lat": round(lat, 6)}
    except Exception:  # noqa: BLE001 - anything else is shown as text
        return str(value)


def rows_about(entry, resident_ids):
    table = entry.table
    columns = [c for c in table.columns if c.name not in entry.internal]
    order = [table.c[name] for name in ("created_at", "at", "id") if name in table.c][:2]
    rows = db.session.execute(select(*columns).where(entry.about(resident_ids)).order_by(*order))
    return [{c.name: json_value(row._mapping[c]) for c in columns} for row in rows]


def resident_file(resident):
    """Return everything stored about one resident, table by table (no access logged here)."""
    ids = [resident.id]
    tables = {name: rows_about(entry, ids) for name, entry in PERSONAL_DATA.items()}
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
def export_resident(user, resident_id_value):
    """Return the right-of-access export of one resident (coordinators in scope); logged."""
    resident = get_resident_for_coordinator(user, resident_id_value)
    if resident.erased_at is not None:
        raise ResidentErased()
    record_access(user, "resident.export", "resident", resident.id)
    return {
        "format": "bienveilleurs-droit-d-acces/1",
        "generated_at": clock.now().isoformat(),
        "generated_by": {"id": str(user.id), "role": user.role},
        "resident_id": str(resident.id),
        "tables": resident_file(resident),
    }


@use_case
def read_resident(user, resident_id_value):
    """Return (resident, file) for the coordinator's page; the read is logged."""
    resident = get_resident_for_coordinator(user, resident_id_value)
    record_access(user, "resident.read", "resident", resident.id)
    return resident, resident_file(resident)
