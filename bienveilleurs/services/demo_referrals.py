"""Demonstration referrals for Le Havre: a few fictitious people in every state.

Called by services.demo.load() after the accounts and the directory, inside its
transaction (never commits). Idempotent: each referral has a fixed id and is skipped when
it exists. Missing relays, a structure for social@ and its resource are created (source
"demo") when the directory demo data does not provide them. Each story is dated in the
past: its report and its moves go through the referral service's public steps
(`record_report`, `apply_move` with `at=`), so the table and the events are the real ones.
"""

import uuid
from datetime import timedelta

from sqlalchemy import select

from geo.points import stored_point
from geo.privacy import approximate_point

from .. import clock
from ..extensions import db
from ..models import Referral, Relay, Resident, Resource, Structure
from . import referrals
from .areas import reporting_territory

NAMESPACE = uuid.UUID("6f1e3a52-6a43-4c1e-9a57-1c0de0b1e4e7")
DOMAIN = "demo.bienveilleurs.fr"

# Relays the demo referrals need: (key, display name, lat, lon, radius, capacity, languages, email).
RELAYS = [
    ("remi", "Rémi Relais (démo)", 49.4930, 0.1080, 2000, 8, ["fr", "en"], f"relais@{DOMAIN}"),
    ("fatou", "Fatou Diallo (démo)", 49.4835, 0.1350, 2500, 4, ["fr", "wo"], None),
    ("jean-pierre", "Jean-Pierre Martin (démo)", 49.5110, 0.1720, 3000, 3, ["fr"], None),
]

# Each step: (days ago, actor key, target status, fields). Actor keys: coordination,
# relay (the assigned relay's account, if any), social. "relay:<key>" picks the relay.
STORIES = [
    # coordination@: a report nobody took for three days (stale), and a fresh one to assign.
    dict(key="mireille", first_name="Mireille", lat=49.4921, lon=0.1065,
         category="remobilisation--lien-social",
         reported=(3.2, "relais"), note="Vit seule depuis le décès de son mari, ne sort plus.",
         steps=[]),
    dict(key="karim", first_name="Karim", lat=49.4862, lon=0.1291,
         category="numerique--acceder-a-des-services-en-ligne",
         newcomer=True, languages=["ar", "fr"], reported=(0.1, "coordination"),
         note="Arrivé le mois dernier, ne parvient pas à créer ses comptes en ligne.", steps=[]),
    # relais@: one to contact, one to orient, one waiting for the structure, one accepted.
    dict(key="odette", first_name="Odette", lat=49.4950, lon=0.1120,
         category="sante--acces-aux-soins",
         reported=(2, "coordination"), note="Ne voit plus de médecin depuis deux ans.",
         steps=[(1, "coordination", "assigned", {"relay": "remi"})]),
    dict(key="yacine", pseudonym="Monsieur Y.", lat=49.4908, lon=0.1012,
         category="logement-hebergement--se-maintenir-dans-le-logement",
         reported=(6, "relais"), note="Courrier d'impayés de loyer sur la table.",
         steps=[(5, "relais", "assigned", {"relay": "remi"}),
                (4, "relais", "contacted", {"note": "Accepte qu'on l'aide pour les démarches."})]),
    dict(key="ginette", first_name="Ginette", lat=49.4965, lon=0.1049,
         category="sante--sante-mentale",
         reported=(9, "relais"), note="Très isolée, pleure souvent au téléphone.",
         steps=[(8, "coordination", "assigned", {"relay": "remi"}),
                (7, "relais", "contacted", {}),
                (2, "relais", "referred", {"resource": True,
                                            "note": "Suivi déjà engagé avec un psychiatre.",
                                            "note_professional": True})]),
    dict(key="lucien", first_name="Lucien", lat=49.4899, lon=0.1101,
         category="sante--sante-mentale",
         reported=(20, "coordination"), note="Se dit épuisé depuis sa sortie d'hôpital.",
         steps=[(19, "coordination", "assigned", {"relay": "remi"}),
                (18, "relais", "contacted", {}),
                (15, "relais", "referred", {"resource": True}),
                (12, "social", "accepted", {"note": "Premier rendez-vous fixé."})]),
    # A referral declined by the structure: back in coordination@'s inbox, next-best proposed.
    dict(key="samba", first_name="Samba", lat=49.4840, lon=0.1330,
         category="sante--sante-mentale",
         languages=["fr", "wo"], reported=(10, "coordination"), note="Souhaite parler à quelqu'un.",
         steps=[(9, "coordination", "assigned", {"relay": "fatou"}),
                (8, "coordination", "contacted", {}),
                (6, "coordination", "referred", {"resource": True}),
                (1, "social", "contacted", {"reason": "declined",
                                            "note": "Plus de créneau avant deux mois."})]),
    # Stale: assigned nine days ago, nobody reached the person since.
    dict(key="marcel", first_name="Marcel", lat=49.5120, lon=0.1700,
         category="mobilite--etre-accompagne-dans-son-parcours-mobilite",
         reported=(10, "coordination"), note="Ne peut plus conduire, habite loin du tram.",
         steps=[(9, "coordination", "assigned", {"relay": "jean-pierre"})]),
    # Closed, helped: the end of the loop.
    dict(key="paulette", first_name="Paulette", lat=49.4930, lon=0.1130,
         category="sante--sante-mentale",
         reported=(40, "relais"), note="Isolée depuis son déménagement.",
         steps=[(39, "coordination", "assigned", {"relay": "remi"}),
                (38, "relais", "contacted", {}),
                (35, "relais", "referred", {"resource": True}),
                (33, "social", "accepted", {}),
                (10, "social", "closed", {"outcome": "helped",
                                          "note": "Participe à l'atelier chaque semaine."})]),
]


def _relays(users, summary):
    relays = {}
    for key, name, lat, lon, radius, capacity, languages, email in RELAYS:
        user = users.get(email) if email else None
        relay = None
        if user is not None:
            relay = db.session.scalar(select(Relay).where(Relay.user_id == user.id))
        if relay is None:
            relay = db.session.scalar(select(Relay).where(Relay.display_name == name))
        if relay is None:
            relay = Relay(display_name=name, point=stored_point(lon, lat), radius_m=radius,
                          capacity=capacity, languages=languages, status="active",
                          availability="Mo-Fr 17:00-20:00; Sa 10:00-12:00",
                          user_id=user.id if user is not None else None)
            db.session.add(relay)
            summary["bienveilleurs"] = summary.get("bienveilleurs", 0) + 1
        relays[key] = relay
    db.session.flush()
    for user in users.values():
        db.session.expire(user, ["relay"])  # the relay just created, not a cached None
    return relays


def _social_resources(social, summary):
    """Resources demo referrals go to: those of social@'s structures, else a demo one."""
    structure_ids = [s.id for s in social.structures]
    if structure_ids:
        resources = db.session.scalars(select(Resource).where(
            Resource.structure_id.in_(structure_ids), Resource.active.is_(True),
            Resource.point.isnot(None)).order_by(Resource.name, Resource.id)).all()
        if resources:
            return resources
    structure = db.session.scalar(select(Structure).where(
        Structure.source == "demo", Structure.source_id == "referrals-demo-ccas"))
    if structure is None:
        structure = Structure(name="CCAS du Havre — point écoute (démo)", source="demo",
                              source_id="referrals-demo-ccas", point=stored_point(0.1075, 49.4935),
                              address="Place de l'Hôtel de Ville, 76600 Le Havre")
        db.session.add(structure)
        summary["structures"] = summary.get("structures", 0) + 1
    if social not in structure.members:
        structure.members.append(social)
    resource = db.session.scalar(select(Resource).where(
        Resource.source == "demo", Resource.source_id == "referrals-demo-ccas-ecoute"))
    if resource is None:
        resource = Resource(structure=structure, name="Écoute et soutien psychologique (démo)",
                            description="Entretiens gratuits avec une psychologue, "
                                        "sur rendez-vous.",
                            categories=["sante--sante-mentale", "remobilisation--lien-social"],
                            audiences=["tous-publics"], point=stored_point(0.1075, 49.4935),
                            address="Place de l'Hôtel de Ville, 76600 Le Havre",
                            opening_hours="Mo-Fr 09:00-12:00,14:00-17:00", languages=["fr"],
                            accessible=True, source="demo", source_id="referrals-demo-ccas-ecoute")
        db.session.add(resource)
        summary["ressources"] = summary.get("ressources", 0) + 1
    db.session.flush()
    db.session.expire(social, ["structures"])
    return [resource]


def _fitting(resources, category):
    """The first resource offering the category (or its whole theme), else the first one."""
    wanted = {category, category.split("--", 1)[0]}
    return next((r for r in resources if wanted & set(r.categories or [])), resources[0])


def load(users, summary):
    """Add the demo referrals that are missing; count them in `summary["orientations"]`."""
    coordination = users[f"coordination@{DOMAIN}"]
    relais = users[f"relais@{DOMAIN}"]
    social = users[f"social@{DOMAIN}"]
    relays = _relays(users, summary)
    resources = _social_resources(social, summary)
    actors = {"coordination": coordination, "relais": relais, "social": social}
    now = clock.now()
    created = 0
    for story in STORIES:
        referral_id = uuid.uuid5(NAMESPACE, story["key"])
        if db.session.get(Referral, referral_id) is not None:
            continue
        days, reporter_key = story["reported"]
        at = now - timedelta(days=days)
        reporter = actors[reporter_key]
        approx_lon, approx_lat = approximate_point(story["lon"], story["lat"])
        resident = Resident(first_name=story.get("first_name"), pseudonym=story.get("pseudonym"),
                            point=stored_point(story["lon"], story["lat"]),
                            approx_point=stored_point(approx_lon, approx_lat),
                            languages=story.get("languages", ["fr"]), audiences=[],
                            newcomer=story.get("newcomer", False), consent_at=at,
                            consent_by_id=reporter.id, reported_by_id=reporter.id, created_at=at)
        db.session.add(resident)
        db.session.flush()
        referral = Referral(id=referral_id, resident_id=resident.id, category=story["category"],
                            status="reported", reporter_id=reporter.id, status_changed_at=at,
                            reported_name=resident.first_name or resident.pseudonym,
                            created_at=at, reported_at=at,
                            reported_newcomer=bool(resident.newcomer),
                            territory_id=reporting_territory(
                                select(Resident.point).where(Resident.id == resident.id)
                                .scalar_subquery()))
        db.session.add(referral)
        db.session.flush()
        referrals.record_report(reporter, referral, at=at, note=story.get("note"))
        for days_ago, actor_key, to, fields in story["steps"]:
            fields = dict(fields)
            if "relay" in fields:
                relay = relays[fields.pop("relay")]
                if relay.active_referrals >= relay.capacity:
                    relay.capacity = relay.active_referrals + 1  # demo only: never fail a load
                fields["relay_id"] = relay.id
            if fields.pop("resource", False):
                fields["resource_id"] = _fitting(resources, story["category"]).id
            referrals.apply_move(actors[actor_key], referral, to,
                                 at=now - timedelta(days=days_ago), **fields)
        created += 1
    summary["orientations"] = created
    return created
