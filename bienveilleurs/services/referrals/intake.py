"""What comes in about a person: a report, and corrections of the details reported.

- `report` (a use case): a new referral for a new or a known person, idempotent on the
  phone's client id (API.md, POST /api/v1/referrals);
- `correct_details` (a use case) and `may_correct`: a correction of the person's details
  and of the need, read by the same field rules as a report.

Values are read through `services.fields.Fields`; every problem of a body is said at once
(a missing `consent: true` first, as ConsentRequired). `payload_digest` (the digest replays
are compared with) is shared with `contacts`.
"""

import hashlib
import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from geo.points import stored_point
from geo.privacy import approximate_point

from ... import clock
from ...config import setting
from ...errors import (
    ConsentRequired,
    Forbidden,
    IdempotencyMismatch,
    InvalidTransition,
    ResidentErased,
    ValidationFailed,
)
from ...extensions import db
from ...models import ErasedId, Referral, Resident, Role
from ..areas import reporting_territory
from ..fields import Fields, whole_record
from ..transaction import use_case
from .events import record_report, write_event
from .lifecycle import check_version, lock_referral
from .scope import (
    erased_or_not_found,
    is_assigned_relay,
    refuse_erased,
    scoped_residents,
    sees_referral,
)
from .table import CORRECTION_REASON, NAME_MAX, NOTE_MAX

# The person's details, each with its rule: a report reads them all, a correction those it
# is given. Names are trimmed only, as they always were: the digest of a replayed report
# (compared field by field after this normalisation) must not change.
_PERSON_READERS = {
    "first_name": lambda f: f.text("first_name", label="Le prénom", max_length=NAME_MAX,
                                   multiline=True),
    "pseudonym": lambda f: f.text("pseudonym", label="Le pseudonyme", max_length=NAME_MAX,
                                  multiline=True),
    "languages": lambda f: sorted(set(f.languages("languages") or ())),
    "audiences": lambda f: sorted(set(f.audiences("audiences") or ())),
    "phone": lambda f: f.phone("phone"),
    "newcomer": lambda f: bool(f.boolean("newcomer")),
}
PERSON_FIELDS = tuple(_PERSON_READERS)
_NAMES = ("first_name", "pseudonym")
# A report kept offline carries the phone's time: a little ahead is a clock out of step.
REPORT_CLOCK_SKEW = timedelta(minutes=10)
REPORT_MAX_AGE = timedelta(days=7)
_DETAILS = ("languages", "audiences", "phone", "newcomer")


def _read_person(fields, names):
    return {name: _PERSON_READERS[name](fields) for name in names}


def _require_a_name(fields, person):
    """A person has a first name or a pseudonym (one at least)."""
    if person["first_name"] is None and person["pseudonym"] is None \
            and not fields.failed("first_name") and not fields.failed("pseudonym"):
        fields.missing("first_name", "Indiquez un prénom ou un pseudonyme.")


def _read_category(fields):
    return fields.category("category", label="Le besoin", required=True,
                           missing_message="Indiquez le besoin (category).")


# --- report -------------------------------------------------------------------------------

def payload_digest(data):
    """SHA-256 of a normalised payload: replays are compared field by field, not byte by byte.

    For reports and contacts: a change here changes the digest of what phones replay.
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).digest()


def _read_new_person(fields):
    """The `resident` object of a report: the person's details and their point."""
    person = fields.nested("resident")
    if person is None:
        return None
    values = _read_person(person, _NAMES)
    _require_a_name(person, values)
    point = person.point(area=setting("SERVICE_AREA"), required=True,
                         missing_message="Indiquez où se trouve la personne (lat, lon).")
    values.update(_read_person(person, _DETAILS))
    if point is not None:
        values["lon"], values["lat"] = (round(float(v), 7) for v in point)
    return values


def _read_report(payload):
    """Return (client id or None, the normalised report) from the API body."""
    fields = whole_record(payload)
    client_id = fields.uuid("id")
    consent = fields.boolean("consent")
    fields.done()  # a malformed id or consent is said before anything else
    if consent is not True:
        raise ConsentRequired(details=[{"field": "consent",
                                        "message": ConsentRequired.default_message}])
    resident_id = fields.uuid("resident_id")
    has_person = fields.record.get("resident") is not None
    person = None
    if fields.has("resident_id") and has_person:
        fields.missing("resident", "Indiquez soit resident_id (une personne connue), "
                                   "soit resident, pas les deux.")
    elif not fields.has("resident_id") and not has_person:
        fields.missing("resident",
                       "Indiquez la personne (resident) ou son identifiant (resident_id).")
    category = _read_category(fields)
    if has_person and not fields.has("resident_id"):
        person = _read_new_person(fields)
    reported_at = _read_reported_at(fields)
    normalised = {
        "resident_id": str(resident_id) if resident_id else None,
        "resident": person,
        "category": category,
        "note": fields.text("note", label="La note", max_length=NOTE_MAX, multiline=True),
        "note_professional": bool(fields.boolean("note_professional")),
    }
    if reported_at is not None:  # only when given: the digests of earlier reports stay
        normalised["reported_at"] = reported_at.isoformat(timespec="microseconds")
    fields.done()
    return client_id, normalised


def _read_reported_at(fields):
    """The phone's time of a report kept offline: not in the future, at most 7 days old."""
    at = fields.datetime("reported_at", label="L'heure du signalement")
    now = clock.now()
    if at is not None and at > now + REPORT_CLOCK_SKEW:
        fields.fail("reported_at", "L'heure du signalement est dans le futur.")
    elif at is not None and at < now - REPORT_MAX_AGE:
        fields.fail("reported_at", "L'heure du signalement date de plus de 7 jours.")
    return at


def _replay(existing, actor, digest):
    """The referral a client id names again: the same report, an erased one, or a mismatch."""
    if db.session.get(ErasedId, existing.id) is not None and sees_referral(actor, existing.id):
        raise ResidentErased()  # only to whoever could see it; anyone else, a mismatch
    if existing.reporter_id != actor.id or existing.payload_digest != digest:
        raise IdempotencyMismatch()
    return existing, False


def _known_resident(actor, resident_id, now):
    """The person of a new need: in `actor`'s scope and not erased; consent recorded.

    A relay adds a need only for a person currently assigned to them (`scoped_residents`);
    an erased person is a 410 only to those who could see them.
    """
    rid = uuid.UUID(resident_id)
    resident = db.session.scalar(scoped_residents(actor).where(Resident.id == rid))
    if resident is None:
        erased_or_not_found(actor, rid, ValidationFailed.field(
            "resident_id", "Personne inconnue, ou qui ne vous est pas attribuée : seule la "
            "personne qui l'accompagne (ou la coordination) ajoute un besoin."))
    if resident.erased_at is not None:
        raise ResidentErased()
    if resident.consent_at is None:
        resident.consent_at, resident.consent_by_id = now, actor.id
    return resident


def _new_resident(actor, person, now):
    approx_lon, approx_lat = approximate_point(person["lon"], person["lat"])
    resident = Resident(first_name=person["first_name"], pseudonym=person["pseudonym"],
                        point=stored_point(person["lon"], person["lat"]),
                        approx_point=stored_point(approx_lon, approx_lat),
                        languages=person["languages"], audiences=person["audiences"],
                        phone=person["phone"], newcomer=person["newcomer"],
                        consent_at=now, consent_by_id=actor.id, reported_by_id=actor.id)
    db.session.add(resident)
    return resident


@use_case
def report(actor, payload):
    """Report a person with one need; return (referral, created).

    `payload` is the API body (API.md, POST /api/v1/referrals): optional client `id`,
    either `resident_id` (a known resident within the actor's scope) or `resident`
    {first_name | pseudonym, lat, lon, languages, phone, audiences, newcomer}, `category`
    (one data·inclusion thematique), optional `note` / `note_professional`, and
    `consent: true` (ConsentRequired otherwise). The same client `id` again with the same
    normalised content by the same account returns the existing referral (created=False);
    with other content or by another account, IdempotencyMismatch; an erased id, 410 to
    whoever could see it (IdempotencyMismatch to anyone else).
    """
    if actor.role not in (Role.RELAY.value, Role.COORDINATOR.value):
        raise Forbidden("Seuls les bienveilleurs et les coordinateurs signalent une personne.")
    client_id, data = _read_report(payload)
    digest = payload_digest(data)
    referral_id = client_id or uuid.uuid4()
    if client_id is not None:
        existing = db.session.get(Referral, client_id, populate_existing=True)
        if existing is not None:
            return _replay(existing, actor, digest)

    now = clock.now()
    savepoint = db.session.begin_nested()
    resident = (_known_resident(actor, data["resident_id"], now) if data["resident_id"]
                else _new_resident(actor, data["resident"], now))
    db.session.flush()
    reported_at = (min(datetime.fromisoformat(data["reported_at"]), now)
                   if data.get("reported_at") else now)
    # The primary key decides between concurrent replays: no read-then-insert race.
    inserted = db.session.execute(
        pg_insert(Referral.__table__).values(
            id=referral_id, resident_id=resident.id, category=data["category"],
            status="reported", version=1, reporter_id=actor.id, payload_digest=digest,
            reported_name=resident.first_name or resident.pseudonym,
            territory_id=reporting_territory(
                select(Resident.point).where(Resident.id == resident.id).scalar_subquery()),
            reported_at=reported_at, reported_newcomer=bool(resident.newcomer),
            status_changed_at=now, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Referral.__table__.c.id)).first()
    if inserted is None:
        savepoint.rollback()  # the resident created (or the consent noted) for nothing goes too
        existing = db.session.get(Referral, referral_id, populate_existing=True)
        return _replay(existing, actor, digest)
    savepoint.commit()
    referral = db.session.get(Referral, referral_id, populate_existing=True)
    record_report(actor, referral, at=now, note=data["note"],
                  note_professional=data["note_professional"])
    return referral, True


# --- correction of the details -----------------------------------------------------------

# What a correction may change, with the French name the timeline shows (never the values:
# the timeline is read by people who must not see a phone number). Not the position (the
# privacy grid and the territories depend on it) and not the status (the lifecycle does).
CORRECTABLE_FIELDS = {
    "first_name": "prénom",
    "pseudonym": "pseudonyme",
    "phone": "téléphone",
    "languages": "langues",
    "audiences": "publics",
    "newcomer": "arrivée récente",
    "category": "besoin",
}
_UNCORRECTABLE = "Ce champ ne se corrige pas."
_POSITION_REFUSED = ("La position de la personne ne se corrige pas : elle décide du territoire "
                     "et de la position approchée. Signalez à nouveau si elle a changé.")


def may_correct(user, referral):
    """Tell whether `user` may correct the details of a referral already known to be in scope.

    Coordinators (their scope) and the relay it is assigned to, while it is open and the
    person not erased. Admins never see the content of referrals (DESIGN), so never.
    """
    if referral.status == "closed" or referral.resident is None \
            or referral.resident.erased_at is not None:
        return False
    return user.role == Role.COORDINATOR.value or is_assigned_relay(user, referral)


def _current_details(resident, referral):
    return {"first_name": resident.first_name, "pseudonym": resident.pseudonym,
            "phone": resident.phone, "languages": sorted(set(resident.languages or [])),
            "audiences": sorted(set(resident.audiences or [])),
            "newcomer": bool(resident.newcomer), "category": referral.category}


def _read_correction(data, current):
    """Read a correction as a report is read; return every detail, those left out unchanged."""
    fields = whole_record(data)
    for name in sorted(set(fields.record) - {"resident", "category"}):
        fields.bad_type(name, _UNCORRECTABLE)
    new = dict(current)
    person = fields.nested("resident")
    if person is not None:
        for name in ("lat", "lon"):
            if name in person.record:
                person.fail(name, _POSITION_REFUSED)
        for name in sorted(set(person.record) - set(PERSON_FIELDS) - {"lat", "lon"}):
            person.bad_type(name, _UNCORRECTABLE)
        new.update(_read_person(person, [n for n in PERSON_FIELDS if n in person.record]))
        _require_a_name(person, new)
    if "category" in fields.record:
        new["category"] = _read_category(fields)
    fields.done()
    return new


def _read_version(version):
    fields = Fields({"version": version}, strict=True)
    version = fields.integer("version")
    fields.done()
    return version


def _locked_for_correction(user, referral_id, version):
    """The referral, locked, once `user` is known to be allowed to correct it now."""
    referral = lock_referral(user, referral_id)
    refuse_erased(referral)
    if user.role != Role.COORDINATOR.value and not is_assigned_relay(user, referral):
        raise Forbidden("Seuls la coordination et le bienveilleur qui accompagne la personne "
                        "corrigent ses informations.")
    if referral.status == "closed":
        raise InvalidTransition("Cette orientation est clôturée : rouvrez-la avant de corriger "
                                "les informations.")
    check_version(referral, version)
    return referral


@use_case
def correct_details(user, referral_id, data, version=None):
    """Correct the details of a reported person and their need; return the fields changed.

    `data`: {"resident": {first_name, pseudonym, phone, languages, audiences, newcomer},
    "category"} — any subset; a key left out keeps its value; every value is read by the
    rules of a report (same readers, same messages). The position (resident.lat /
    resident.lon) is refused (422); other keys, 400. The person is shared by all their
    referrals: their details change for each. Errors: NotFound (out of scope), Forbidden
    (in scope but neither coordinator nor the assigned relay), ResidentErased (410),
    InvalidTransition (closed: reopen first), StaleVersion (409), ValidationFailed (422).
    When something changed: the rows, the referral's version and one event (reason
    "correction", a note naming the corrected fields, never their values). Nothing
    changed → nothing written, no event.
    """
    referral = _locked_for_correction(user, referral_id, _read_version(version))
    resident = db.session.scalar(select(Resident).where(Resident.id == referral.resident_id)
                                 .with_for_update().execution_options(populate_existing=True))
    current = _current_details(resident, referral)
    new = _read_correction(data, current)
    changed = [name for name in CORRECTABLE_FIELDS if new[name] != current[name]]
    if not changed:
        return []
    now = clock.now()
    for name in changed:
        setattr(referral if name == "category" else resident, name, new[name])
    referral.updated_at = now  # the referral's version moves even when only the person changed
    note = ("Informations corrigées : " +
            ", ".join(CORRECTABLE_FIELDS[name] for name in changed) + ".")
    write_event(user, referral, referral.status, at=now, source=referral.status,
                reason=CORRECTION_REASON, note=note)
    return changed
