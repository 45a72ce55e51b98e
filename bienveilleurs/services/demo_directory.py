"""Demonstration directory for Le Havre: fictitious structures, ~60 resources and ~30 relays.

Called by services.demo.load() inside its transaction (never commits). Idempotent:
structures and resources are found by (source="demo", source_id), relays by their
display name (or their account), and only what is missing is created. Every name ends with
"(démo)"; positions sit inside the demo neighbourhoods and the city centre.
"""

import random

from sqlalchemy import select

from geo.points import stored_point

from ..extensions import db
from ..models import Relay, Resource, Structure

SOURCE = "demo"
DOMAIN = "demo.bienveilleurs.fr"

# (key, name, lat, lon, address, phone, website) — centres of the demo neighbourhoods.
STRUCTURES = [
    ("ccas", "CCAS du Havre (démo)", 49.4937, 0.1078,
     "Place de l'Hôtel de Ville, 76600 Le Havre", "02 35 00 00 01", None),
    ("cs-sud", "Centre social des Quartiers Sud (démo)", 49.4832, 0.1395,
     "Rue fictive des Docks, 76600 Le Havre", "02 35 00 00 02", None),
    ("cs-aplemont", "Centre social d'Aplemont (démo)", 49.5092, 0.1448,
     "Rue fictive d'Aplemont, 76610 Le Havre", "02 35 00 00 03", None),
    ("cs-caucriauville", "Centre social de Caucriauville (démo)", 49.5121, 0.1735,
     "Rue fictive de Caucriauville, 76610 Le Havre", "02 35 00 00 04", None),
    ("mq-bleville", "Maison de quartier du Bois de Bléville (démo)", 49.5255, 0.1195,
     "Rue fictive de Bléville, 76620 Le Havre", "02 35 00 00 05", None),
    ("cs-mare-rouge", "Centre social de la Mare Rouge (démo)", 49.5185, 0.0992,
     "Rue fictive de la Mare Rouge, 76620 Le Havre", "02 35 00 00 06", None),
    ("media-centre", "Médiathèque du centre (démo)", 49.4925, 0.1055,
     "Rue fictive du Centre, 76600 Le Havre", "02 35 00 00 07",
     "https://mediatheque.demo.bienveilleurs.fr"),
    ("media-mtg", "Médiathèque de Mont-Gaillard (démo)", 49.5215, 0.1430,
     "Rue fictive de Mont-Gaillard, 76620 Le Havre", "02 35 00 00 08", None),
    ("pmi-sud", "PMI des Quartiers Sud (démo)", 49.4850, 0.1290,
     "Rue fictive de la PMI, 76600 Le Havre", "02 35 00 00 09", None),
    ("mission-locale", "Mission locale (démo)", 49.4952, 0.1135,
     "Boulevard fictif de Strasbourg, 76600 Le Havre", "02 35 00 00 10",
     "https://mission-locale.demo.bienveilleurs.fr"),
    ("epicerie", "Épicerie solidaire (démo)", 49.5105, 0.1680,
     "Allée fictive des Solidarités, 76610 Le Havre", "02 35 00 00 11", None),
    ("mobilite", "Association Mobilité pour tous (démo)", 49.4868, 0.1460,
     "Quai fictif de la Mobilité, 76600 Le Havre", "02 35 00 00 12", None),
    ("sante-cauc", "Maison de santé de Caucriauville (démo)", 49.5140, 0.1790,
     "Rue fictive de la Santé, 76610 Le Havre", "02 35 00 00 13", None),
    ("lire-ecrire", "Association Lire et écrire (démo)", 49.5230, 0.1385,
     "Rue fictive des Lettres, 76620 Le Havre", "02 35 00 00 14", None),
]

# (structure key, service name, categories, audiences)
SERVICES = [
    ("ccas", "Aide alimentaire d'urgence", ["equipement-et-alimentation--alimentation"],
     ["personnes-en-situation-durgence"]),
    ("ccas", "Accompagnement aux démarches administratives",
     ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"],
     ["tous-publics"]),
    ("ccas", "Accès aux droits sociaux",
     ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"],
     ["beneficiaires-des-minimas-sociaux"]),
    ("ccas", "Conseil budgétaire",
     ["difficultes-financieres--ameliorer-sa-gestion-budgetaire",
      "difficultes-financieres--situation-dendettement-surendettement"],
     ["tous-publics"]),
    ("ccas", "Point écoute seniors", ["remobilisation--lien-social", "sante--sante-mentale"],
     ["seniors"]),
    ("ccas", "Aide au maintien dans le logement",
     ["logement-hebergement--se-maintenir-dans-le-logement",
      "logement-hebergement--reduire-les-impayes-de-loyer"],
     ["tous-publics"]),
    ("ccas", "Hébergement temporaire : orientation",
     ["logement-hebergement--rechercher-une-solution-dhebergement-temporaire"],
     ["personnes-en-situation-durgence"]),
    ("cs-sud", "Café des parents", ["famille--soutien-a-la-parentalite-et-a-leducation"],
     ["familles"]),
    ("cs-sud", "Ateliers sociolinguistiques", ["lecture-ecriture-calcul--maitriser-le-francais"],
     ["personnes-exilees"]),
    ("cs-sud", "Permanence écrivain public",
     ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"],
     ["tous-publics"]),
    ("cs-sud", "Sorties familles", ["remobilisation--activites-sportives-et-culturelles"],
     ["familles"]),
    ("cs-sud", "Accueil de loisirs", ["famille--garde-denfants"], ["familles"]),
    ("cs-aplemont", "Repas partagés", ["remobilisation--lien-social"], ["seniors"]),
    ("cs-aplemont", "Aide aux devoirs", ["famille--soutien-a-la-parentalite-et-a-leducation"],
     ["familles", "jeunes"]),
    ("cs-aplemont", "Permanence juridique",
     ["difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire"],
     ["tous-publics"]),
    ("cs-aplemont", "Atelier budget",
     ["difficultes-financieres--acquerir-une-autonomie-budgetaire"], ["tous-publics"]),
    ("cs-aplemont", "Accueil des nouveaux habitants",
     ["remobilisation--lien-social",
      "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"],
     ["tous-publics"]),
    ("cs-caucriauville", "Permanence logement",
     ["logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"],
     ["tous-publics"]),
    ("cs-caucriauville", "Soutien aux aidants", ["famille--soutien-aidants"], ["tous-publics"]),
    ("cs-caucriauville", "Groupe de parole",
     ["sante--sante-mentale", "remobilisation--bien-etre-confiance-en-soi"], ["femmes"]),
    ("cs-caucriauville", "Atelier couture et vêtements",
     ["equipement-et-alimentation--habillement"], ["tous-publics"]),
    ("cs-caucriauville", "Jardin partagé",
     ["remobilisation--lien-social", "remobilisation--benevolat-action-citoyenne"],
     ["tous-publics"]),
    ("mq-bleville", "Permanence numérique", ["numerique--acceder-a-des-services-en-ligne"],
     ["seniors"]),
    ("mq-bleville", "Club de marche", ["remobilisation--activites-sportives-et-culturelles"],
     ["seniors"]),
    ("mq-bleville", "Ludothèque", ["famille--soutien-a-la-parentalite-et-a-leducation"],
     ["familles"]),
    ("mq-bleville", "Bénévolat de quartier", ["remobilisation--benevolat-action-citoyenne"],
     ["tous-publics"]),
    ("mq-bleville", "Point relais aide alimentaire", ["equipement-et-alimentation--alimentation"],
     ["beneficiaires-des-minimas-sociaux"]),
    ("cs-mare-rouge", "Accueil social de proximité",
     ["difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"],
     ["tous-publics"]),
    ("cs-mare-rouge", "Atelier cuisine",
     ["equipement-et-alimentation--alimentation", "remobilisation--lien-social"], ["tous-publics"]),
    ("cs-mare-rouge", "Médiation familiale", ["famille--surmonter-conflits-separation-violence"],
     ["familles"]),
    ("cs-mare-rouge", "Cours de français pour adultes",
     ["lecture-ecriture-calcul--maitriser-le-francais"], ["personnes-exilees"]),
    ("media-centre", "Initiation à l'ordinateur",
     ["numerique--maitriser-les-fondamentaux-du-numerique"], ["tous-publics"]),
    ("media-centre", "Accès libre à internet", ["numerique--acceder-a-une-connexion-internet"],
     ["tous-publics"]),
    ("media-centre", "Aide en ligne : impôts, CAF, retraite",
     ["numerique--acceder-a-des-services-en-ligne"], ["tous-publics"]),
    ("media-centre", "Club de lecture",
     ["remobilisation--lien-social", "remobilisation--activites-sportives-et-culturelles"],
     ["tous-publics"]),
    ("media-mtg", "Ateliers numériques", ["numerique--maitriser-les-fondamentaux-du-numerique"],
     ["seniors"]),
    ("media-mtg", "Lecture pour les tout-petits",
     ["famille--soutien-a-la-parentalite-et-a-leducation"], ["familles"]),
    ("media-mtg", "Prêt de tablettes", ["numerique--acquerir-un-equipement"], ["tous-publics"]),
    ("pmi-sud", "Consultations nourrissons", ["sante--acces-aux-soins"], ["familles"]),
    ("pmi-sud", "Accompagnement à la parentalité",
     ["famille--soutien-a-la-parentalite-et-a-leducation"], ["familles"]),
    ("pmi-sud", "Planification familiale", ["sante--sante-sexuelle"], ["femmes", "jeunes"]),
    ("mission-locale", "Accueil des jeunes 16-25 ans",
     ["trouver-un-emploi--repondre-a-des-offres-demploi", "se-former--trouver-sa-formation"],
     ["jeunes"]),
    ("mission-locale", "Atelier CV et lettre de motivation",
     ["preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"],
     ["jeunes", "demandeurs-emploi"]),
    ("mission-locale", "Découverte des métiers",
     ["choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"], ["jeunes"]),
    ("mission-locale", "Préparer un entretien",
     ["trouver-un-emploi--convaincre-un-recruteur-en-entretien"], ["demandeurs-emploi"]),
    ("epicerie", "Épicerie à petits prix", ["equipement-et-alimentation--alimentation"],
     ["beneficiaires-des-minimas-sociaux"]),
    ("epicerie", "Atelier petit électroménager", ["equipement-et-alimentation--electromenager"],
     ["tous-publics"]),
    ("epicerie", "Vestiaire solidaire", ["equipement-et-alimentation--habillement"],
     ["tous-publics"]),
    ("mobilite", "Location de vélos à bas prix", ["mobilite--mobilite-douce-partagee-collective"],
     ["demandeurs-emploi"]),
    ("mobilite", "Auto-école sociale", ["mobilite--preparer-un-permis"],
     ["jeunes", "demandeurs-emploi"]),
    ("mobilite", "Garage solidaire", ["mobilite--entretenir-reparer-son-vehicule"],
     ["tous-publics"]),
    ("mobilite", "Conseil en mobilité",
     ["mobilite--etre-accompagne-dans-son-parcours-mobilite", "mobilite--financer-ma-mobilite"],
     ["tous-publics"]),
    ("sante-cauc", "Consultations sans rendez-vous", ["sante--acces-aux-soins"], ["tous-publics"]),
    ("sante-cauc", "Psychologue : premier entretien", ["sante--sante-mentale"], ["tous-publics"]),
    ("sante-cauc", "Prévention des addictions", ["sante--addictions"], ["jeunes"]),
    ("sante-cauc", "Aide au dossier MDPH", ["sante--constituer-un-dossier-mdph-invalidite"],
     ["personnes-en-situation-de-handicap"]),
    ("lire-ecrire", "Remise à niveau en français",
     ["lecture-ecriture-calcul--maitriser-le-francais"], ["tous-publics"]),
    ("lire-ecrire", "Atelier calcul du quotidien", ["lecture-ecriture-calcul--maitriser-le-calcul"],
     ["tous-publics"]),
    ("lire-ecrire", "Accompagnement vers la formation",
     ["se-former--monter-son-dossier-de-formation"], ["demandeurs-emploi"]),
    ("lire-ecrire", "Conversation en français",
     ["lecture-ecriture-calcul--maitriser-le-francais", "remobilisation--lien-social"],
     ["personnes-exilees"]),
]

HOURS = [
    "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
    "Mo,We,Fr 14:00-18:00; PH off",
    "Tu-Sa 10:00-18:00; PH off",
    "Mo-Th 08:30-12:30; PH off",
    "We 14:00-17:00; Sa 10:00-12:00",
    "Mo-Fr 09:00-17:00; Sa 09:00-12:00; PH off",
    "Tu,Th 13:30-16:30",
]
LANGUAGES = [["fr"], ["fr", "en"], ["fr"], ["fr", "ar"], ["fr"], ["fr", "es"], ["fr", "uk", "ru"]]

# Relays: (name, lat, lon, radius_m, capacity, languages, skills, availability, status, email).
# The first three match the ones the demo referrals expect (same names and places).
FIXED_RELAYS = [
    ("Rémi Relais (démo)", 49.4930, 0.1080, 2000, 8, ["fr", "en"],
     ["écoute", "démarches administratives"], "Mo-Fr 17:00-20:00; Sa 10:00-12:00", "active",
     f"relais@{DOMAIN}"),
    ("Fatou Diallo (démo)", 49.4835, 0.1350, 2500, 4, ["fr", "wo"], ["écoute", "traduction"],
     "Mo-Fr 17:00-20:00; Sa 10:00-12:00", "active", None),
    ("Jean-Pierre Martin (démo)", 49.5110, 0.1720, 3000, 3, ["fr"], ["mobilité", "bricolage"],
     "Mo-Fr 17:00-20:00; Sa 10:00-12:00", "active", None),
]
FIRST_NAMES = ["Amina", "Bernard", "Chloé", "Driss", "Élodie", "Farid", "Gisèle", "Hugo", "Inès",
               "Joseph", "Khadija", "Lucien", "Maëlle", "Nadir", "Odile", "Pascal", "Rachida",
               "Sébastien", "Thérèse", "Ulysse", "Violette", "Yanis", "Zoé", "Alain", "Brigitte",
               "Cédric", "Danielle"]
SKILLS = ["écoute", "démarches administratives", "numérique", "mobilité", "courses", "traduction",
          "garde ponctuelle", "bricolage", "lecture"]
AVAILABILITIES = ["Mo-Fr 17:00-20:00", "Sa,Su 10:00-18:00", "Mo,We,Fr 09:00-12:00",
                  "Tu,Th 14:00-19:00; Sa 10:00-12:00", "Mo-Su 08:00-21:00", "We 13:00-18:00", None]
EXTRA_LANGUAGES = ["ar", "en", "es", "pt", "tr", "ro", "uk", "wo"]

# Inner rectangles (min lon, min lat, max lon, max lat) of the demo neighbourhoods.
AREAS = [
    (0.1010, 49.4895, 0.1170, 49.4960),   # centre reconstruit
    (0.1230, 49.4790, 0.1580, 49.4880),   # quartiers Sud
    (0.1370, 49.5050, 0.1540, 49.5130),   # Aplemont
    (0.1620, 49.5070, 0.1860, 49.5180),   # Caucriauville
    (0.1330, 49.5165, 0.1540, 49.5265),   # Mont-Gaillard
    (0.1110, 49.5205, 0.1280, 49.5310),   # Bois de Bléville
    (0.0925, 49.5135, 0.1060, 49.5235),   # Mare Rouge
]


def _count(summary, key):
    summary[key] = summary.get(key, 0) + 1


def _structures(summary):
    structures = {}
    for key, name, lat, lon, address, phone, website in STRUCTURES:
        source_id = f"structure-{key}"
        structure = db.session.scalar(select(Structure).where(
            Structure.source == SOURCE, Structure.source_id == source_id))
        if structure is None:
            structure = Structure(name=name, point=stored_point(lon, lat), address=address,
                                  phone=phone, website=website, email=f"{key}@{DOMAIN}",
                                  # Where a structure without accounts is told of referrals
                                  # (with its one-time link): kept, never sent, in the demo.
                                  contact_email=f"{key}@{DOMAIN}",
                                  source=SOURCE, source_id=source_id)
            db.session.add(structure)
            _count(summary, "structures")
        structures[key] = (structure, lat, lon, address, phone)
    return structures


def _resources(structures, summary):
    per_structure = {}
    for index, (key, name, categories, audiences) in enumerate(SERVICES):
        structure, lat, lon, address, phone = structures[key]
        n = per_structure.get(key, 0)
        per_structure[key] = n + 1
        source_id = f"resource-{key}-{n + 1}"
        if db.session.scalar(select(Resource.id).where(
                Resource.source == SOURCE, Resource.source_id == source_id)) is not None:
            continue
        # Services of one structure sit around it (a few tens of metres apart), so the map
        # shows separate markers and distances differ.
        offset_lat = ((n % 3) - 1) * 0.0004
        offset_lon = ((n // 3) % 3 - 1) * 0.0006
        resource = Resource(
            structure=structure, name=f"{name} (démo)",
            description=f"{name} proposé par {structure.name}. Service fictif de démonstration.",
            categories=list(categories), audiences=list(audiences),
            point=stored_point(lon + offset_lon, lat + offset_lat), address=address,
            postal_code=address[-14:-9],
            city="Le Havre", phone=phone, opening_hours=HOURS[index % len(HOURS)],
            languages=list(LANGUAGES[index % len(LANGUAGES)]), accessible=index % 3 != 2,
            saturation=("available", "limited", "full", None)[index % 4],
            capacity=(None, 10, 25, None, 40)[index % 5], source=SOURCE, source_id=source_id)
        db.session.add(resource)
        _count(summary, "ressources")


def _relay_specs():
    """The fixed relays, then fictitious ones spread over the neighbourhoods (same every time)."""
    rng = random.Random(76600)
    specs = list(FIXED_RELAYS)
    for n, first_name in enumerate(FIRST_NAMES):
        min_lon, min_lat, max_lon, max_lat = AREAS[n % len(AREAS)]
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        initial = "ABCDEFGHJKLMNPRSTV"[n % 18]
        languages = ["fr"] + ([EXTRA_LANGUAGES[n % len(EXTRA_LANGUAGES)]] if n % 3 == 0 else [])
        specs.append((f"{first_name} {initial}. (démo)", round(lat, 5), round(lon, 5),
                      rng.choice([500, 800, 1000, 1500, 2000, 3000]), rng.randint(1, 5), languages,
                      rng.sample(SKILLS, 2), AVAILABILITIES[n % len(AVAILABILITIES)],
                      "paused" if n % 9 == 8 else "active", None))
    return specs


def _relays(users, summary):
    for spec in _relay_specs():
        name, lat, lon, radius, capacity, languages, skills, availability, status, email = spec
        user = users.get(email) if email else None
        relay = None
        if user is not None:
            relay = db.session.scalar(select(Relay).where(Relay.user_id == user.id))
        if relay is None:
            relay = db.session.scalar(select(Relay).where(Relay.display_name == name))
        if relay is not None:
            continue
        db.session.add(Relay(display_name=name, point=stored_point(lon, lat), radius_m=radius,
                             capacity=capacity, active_referrals=0, languages=languages,
                             skills=skills, availability=availability, status=status,
                             user_id=user.id if user is not None else None))
        _count(summary, "bienveilleurs")


def load(users, summary):
    """Add the missing demo structures, resources and relays; social@ joins the CCAS."""
    structures = _structures(summary)
    db.session.flush()
    _resources(structures, summary)
    _relays(users, summary)
    social = users.get(f"social@{DOMAIN}")
    ccas = structures["ccas"][0]
    if social is not None and social not in ccas.members:
        ccas.members.append(social)
    db.session.flush()
    for user in users.values():
        db.session.expire(user, ["relay", "structures"])
