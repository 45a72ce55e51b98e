"""The watch register: people who asked to be called during a heatwave or a cold spell.

- `add_to_register` / `remove_from_register`: from the person's page, by a coordinator whose
  scope holds them or by the relay accompanying them, with the person's explicit request;
- `register_rows`: a coordinator's register (their territories), each person shown logged;
- `register_csv`: the whole register for the mayor or the prefect (admins; logged);
- `lapse_entries`: entries not re-confirmed for 15 months lapse (a daily job);
- `forget`: opposition and retention remove the entries.
"""

from datetime import time, timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geo.points import lon_lat
from geo.queries import point_in_area

from ... import clock
from ...errors import ConsentRequired, Forbidden, NotFound, ResidentErased
from ...extensions import db
from ...models import (
    WATCH_REASON_LABELS,
    WATCH_REASONS,
    Resident,
    Role,
    Territory,
    WatchEntry,
)
from ..access_log import record_access, record_accesses
from ..csv_safe import csv_text
from ..fields import parse_uuid, whole_record
from ..jobs import scheduled
from ..transaction import use_case

CONFIRM_EVERY = timedelta(days=365)   # re-confirmed with the person every 12 months
LAPSE_AFTER = timedelta(days=456)     # not re-confirmed for 15 months: the entry lapses
CSV_COLUMNS = ("resident_id", "first_name", "pseudonym", "phone", "lat", "lon", "reasons",
               "territory", "registered_at", "confirmed_at")


def live_entry():
    """Condition on WatchEntry: not lapsed at the clock's time."""
    return WatchEntry.confirmed_at > clock.now() - LAPSE_AFTER


def _resident_for(actor, resident_id_value, *, lock=True):
    """The person, if `actor` may put them on the register or take them off (404 else)."""
    from .. import referrals
    rid = parse_uuid(resident_id_value)
    if rid is None:
        raise NotFound("Personne introuvable.")
    if actor.role not in (Role.COORDINATOR.value, Role.RELAY.value):
        raise Forbidden("Seuls la coordination et le bienveilleur qui accompagne la personne "
                        "l'inscrivent au registre de veille.")
    statement = referrals.scoped_residents(actor).where(Resident.id == rid)
    if lock:
        statement = statement.with_for_update(of=Resident)
    resident = db.session.scalar(statement.execution_options(populate_existing=True))
    if resident is None:
        referrals.erased_or_not_found(actor, rid, NotFound("Personne introuvable."))
    if resident.erased_at is not None:
        raise ResidentErased()
    return resident


def _read_request(payload):
    fields = whole_record(payload)
    consent = fields.boolean("consent")
    fields.done()
    if consent is not True:
        raise ConsentRequired(
            "La personne doit avoir demandé elle-même à être appelée pendant les alertes.",
            details=[{"field": "consent", "message": "Cochez : la personne a demandé à être "
                      "inscrite au registre de veille."}])
    reasons = fields.string_list("reasons", label="Les raisons", max_items=len(WATCH_REASONS),
                                 max_length=20)
    if reasons and any(r not in WATCH_REASONS for r in reasons):
        fields.fail("reasons", "Les raisons possibles : " + ", ".join(WATCH_REASONS)
                    + " (jamais de détail de santé).")
    phone = fields.phone()
    fields.done()
    return sorted(set(reasons or [])), phone


@use_case
def add_to_register(actor, resident_id_value, payload):
    """Put the person on the register, or re-confirm them (a confirmation is activity)."""
    resident = _resident_for(actor, resident_id_value)
    reasons, phone = _read_request(payload)
    now = clock.now()
    db.session.execute(
        pg_insert(WatchEntry).values(resident_id=resident.id, reasons=reasons, consent_at=now,
                                     consent_by_id=actor.id, confirmed_at=now, created_at=now)
        .on_conflict_do_update(index_elements=["resident_id"], set_={
            "reasons": reasons, "consent_at": now, "consent_by_id": actor.id,
            "confirmed_at": now}))
    if phone:
        resident.phone = phone
    # A confirmation counts as activity for retention.
    resident.last_contact_at = max(filter(None, (resident.last_contact_at, now)))
    return db.session.get(WatchEntry, resident.id, populate_existing=True)


@use_case
def remove_from_register(actor, resident_id_value):
    """Take the person off the register (their checks in campaigns stay as they are)."""
    resident = _resident_for(actor, resident_id_value)
    db.session.execute(delete(WatchEntry).where(WatchEntry.resident_id == resident.id))


def entry_of(actor, resident_id_value):
    """The person's entry (None: not registered), for whoever may change it; else 404."""
    resident = _resident_for(actor, resident_id_value, lock=False)
    return db.session.get(WatchEntry, resident.id)


def forget(resident_ids):
    """Opposition and retention: the people leave the register (no commit)."""
    db.session.execute(delete(WatchEntry).where(WatchEntry.resident_id.in_(resident_ids))
                       .execution_options(synchronize_session=False))


def _covering_territory():
    return (select(Territory.name).where(point_in_area(Resident.point, Territory.area))
            .order_by(Territory.name).limit(1).correlate(Resident).scalar_subquery())


def _register_query(user, territory_id=None):
    from .. import referrals
    statement = (referrals.scoped_residents(user)
                 .join(WatchEntry, WatchEntry.resident_id == Resident.id)
                 .where(Resident.erased_at.is_(None), live_entry())
                 .add_columns(WatchEntry, _covering_territory().label("territory")))
    if territory_id is not None:
        if db.session.get(Territory, territory_id) is None:
            raise NotFound("Territoire introuvable.")
        statement = statement.where(exists(select(Territory.id).where(
            Territory.id == territory_id, point_in_area(Resident.point, Territory.area))
            .correlate(Resident)))
    return statement.order_by(func.coalesce(Resident.first_name, Resident.pseudonym),
                              Resident.id)


@use_case
def register_rows(user, territory_id=None):
    """The register as `user` sees it: [{resident, entry, territory, point, exact, due}].

    Coordinators: the people of their scope, exact points; admins: everyone, approximate
    points. Each person shown is logged.
    """
    if user.role not in (Role.COORDINATOR.value, Role.ADMIN.value):
        raise Forbidden("Le registre de veille est réservé à la coordination.")
    exact = user.role == Role.COORDINATOR.value
    rows = db.session.execute(_register_query(user, territory_id)).all()
    now = clock.now()
    result = [{"resident": r.Resident, "entry": r.WatchEntry, "territory": r.territory,
               "point": lon_lat(r.Resident.point if exact else r.Resident.approx_point),
               "exact": exact, "due": r.WatchEntry.confirmed_at <= now - CONFIRM_EVERY}
              for r in rows]
    record_accesses(user, "watch.register", "resident", [r["resident"].id for r in result])
    return result


def reason_labels(entry):
    return ", ".join(WATCH_REASON_LABELS[r] for r in entry.reasons if r in WATCH_REASON_LABELS)


@use_case
def register_csv(user):
    """The whole register as CSV (`;`, UTF-8 with a BOM), for the mayor or the prefect."""
    if user.role != Role.ADMIN.value:
        raise Forbidden("Seuls les administrateurs exportent le registre de veille.")
    rows = db.session.execute(
        select(Resident, WatchEntry, _covering_territory().label("territory"))
        .join(WatchEntry, WatchEntry.resident_id == Resident.id)
        .where(Resident.erased_at.is_(None), live_entry())
        .order_by(Resident.id)).all()
    lines = []
    for resident, entry, territory in rows:
        point = lon_lat(resident.point) or (None, None)
        lines.append([str(resident.id), resident.first_name, resident.pseudonym, resident.phone,
                      point[1], point[0], " ".join(entry.reasons), territory,
                      entry.created_at.isoformat(), entry.confirmed_at.isoformat()])
    record_access(user, "export", "watch_register", None)
    return csv_text(CSV_COLUMNS, lines, separator=";")


@scheduled("campaigns.watch_lapse", daily_at=time(4, 10),
           label="Registre de veille : inscriptions non reconfirmées depuis 15 mois retirées")
@use_case
def lapse_entries():
    """Remove the entries not re-confirmed for 15 months; return the count."""
    removed = db.session.execute(delete(WatchEntry).where(~live_entry())
                                 .returning(WatchEntry.resident_id)).all()
    return {"lapsed": len(removed)}
