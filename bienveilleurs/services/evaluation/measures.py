"""The person's own measure of isolation (UCLA-3 and networks), at baseline and follow-up.

`record_measure` (a use case): API.md, POST /api/v1/referrals/{id}/wellbeing, idempotent on
the phone's client id as contacts are; a `follow_up` measure completes the call-back.
"""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ... import clock
from ...errors import Forbidden, IdempotencyMismatch, InvalidTransition, ValidationFailed
from ...extensions import db
from ...models import MOMENTS, NETWORKS, FollowUp, Role, WellbeingMeasure
from ..fields import whole_record
from ..referrals.contacts import locked_for_writer, relay_holds
from ..referrals.intake import payload_digest
from ..transaction import use_case

SCORES = ("lacks_company", "left_out", "isolated")
_SCORE_LABELS = {"lacks_company": "Le manque de compagnie", "left_out": "Le sentiment d'être "
                 "mis·e à l'écart", "isolated": "Le sentiment d'isolement"}
NO_SCORES = "Sans réponse de la personne, ne notez ni réponses ni réseaux."


def _read_measure(payload):
    """Return (client id, the normalised measure, its time) from the API body."""
    fields = whole_record(payload)
    measure_id, at = fields.phone_write()
    moment = fields.choice("moment", MOMENTS, label="Le moment", required=True)
    answered = fields.boolean("answered", label="La réponse de la personne", required=True)
    scores = {name: fields.integer(name, label=_SCORE_LABELS[name], minimum=1, maximum=3,
                                   required=answered is True) for name in SCORES}
    networks = fields.string_list("networks", label="Les réseaux", max_items=len(NETWORKS))
    unknown = sorted(set(networks or ()) - set(NETWORKS))
    if unknown:
        fields.fail("networks", "Réseau inconnu : choisissez parmi " + ", ".join(NETWORKS) + ".")
    if answered is False and (any(v is not None for v in scores.values()) or networks):
        fields.fail("answered", NO_SCORES)
    fields.done()
    return measure_id, {"at": at.isoformat(timespec="microseconds"), "moment": moment,
                        "answered": answered, **scores,
                        "networks": sorted(set(networks or ()))}, at


def _locked_referral(actor, referral_id, at, moment):
    """The referral, locked, if `actor` may record this measure about it: the relay who
    accompanies the person (at the follow-up call, also the one it is due to)."""
    def relay_may(referral):
        relay = actor.relay
        if moment == "follow_up":
            holder = db.session.scalar(select(FollowUp.relay_id)
                                       .where(FollowUp.referral_id == referral.id))
            return relay is not None and relay.id in (holder, referral.relay_id)
        return relay_holds(relay, referral, at)
    referral = locked_for_writer(actor, referral_id, relay_may,
                                 "Seuls le bienveilleur qui accompagne la personne et la "
                                 "coordination notent ses réponses.")
    if moment == "follow_up" and referral.status != "closed":
        raise InvalidTransition("Le rappel se fait après la clôture de l'orientation.")
    return referral


@use_case
def record_measure(actor, referral_id, payload):
    """Record the person's answers (or that they did not answer); return (measure, created).

    One baseline per referral; a follow_up only once the referral is closed, and it
    completes the call-back. The same client id and content again → the existing measure
    (created=False); other content or another author → IdempotencyMismatch.
    """
    if actor.role not in (Role.RELAY.value, Role.COORDINATOR.value):
        raise Forbidden("Seuls les bienveilleurs et les coordinateurs notent ces réponses.")
    measure_id, data, at = _read_measure(payload)
    referral = _locked_referral(actor, referral_id, at, data["moment"])
    digest = payload_digest({**data, "referral_id": str(referral.id)})
    existing = db.session.get(WellbeingMeasure, measure_id, populate_existing=True)
    if existing is not None:
        if existing.author_id != actor.id or existing.payload_digest != digest:
            raise IdempotencyMismatch()
        return existing, False
    inserted = db.session.execute(
        pg_insert(WellbeingMeasure.__table__).values(
            id=measure_id, referral_id=referral.id, author_id=actor.id, at=at,
            moment=data["moment"], answered=data["answered"],
            **{name: data[name] for name in SCORES}, networks=data["networks"],
            payload_digest=digest, created_at=clock.now())
        .on_conflict_do_nothing()
        .returning(WellbeingMeasure.__table__.c.id)).first()
    if inserted is None:
        existing = db.session.get(WellbeingMeasure, measure_id, populate_existing=True)
        if existing is None:
            raise ValidationFailed.field("moment", "Ces réponses sont déjà notées pour cette "
                                         "orientation." if data["moment"] == "baseline" else
                                         "Le rappel de cette orientation est déjà noté.")
        if existing.author_id != actor.id or existing.payload_digest != digest:
            raise IdempotencyMismatch()
        return existing, False
    if data["moment"] == "follow_up":
        follow_up = db.session.scalar(select(FollowUp).where(FollowUp.referral_id == referral.id)
                                      .with_for_update())
        if follow_up is not None and follow_up.done_at is None:
            follow_up.done_at, follow_up.measure_id = clock.now(), measure_id
    return db.session.get(WellbeingMeasure, measure_id), True
