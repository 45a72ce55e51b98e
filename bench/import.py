"""Benchmark `flask resources import --format data-inclusion` on 100,000 services.

Prints figures; it is not a test and `make test` never runs it. It creates its own
database bv_bench_import_<pid> beside the one DATABASE_URL names (builds it with the
migrations, drops it at the end), writes a data·inclusion export (structures.json and
services.json, every record valid for the package's models) to a temporary folder, and
imports it through `services.imports.import_path`, the function the CLI calls.

    .venv/bin/python bench/import.py [--services 100000] [--structures 2000] [--twice] [--workers N]

Target: under 60 s for 100,000 services on a 2-core machine. `--twice` imports the same
files again (every record then compares unchanged: the update path).
"""

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

TARGET_S = 60.0
LE_HAVRE = (0.05, 49.46, 0.25, 49.56)  # inside the default SERVICE_AREA


def generate(folder, n_services, n_structures, seed=7):
    """Write structures.json and services.json; return their sizes in bytes."""
    from data_inclusion.schema.v1 import Public, Service, Structure, Thematique
    rng = random.Random(seed)
    thematiques = [t.value for t in Thematique]
    publics = [p.value for p in Public if p.value != "tous-publics"]
    words = ["Accueil", "Permanence", "Atelier", "Écoute", "Aide", "Accompagnement", "Point",
             "Espace", "Café", "Maison"]
    topics = ["numérique", "santé", "emploi", "logement", "familles", "mobilité", "budget",
              "droits"]
    today = date.today().isoformat()
    structures = []
    for i in range(n_structures):
        structures.append({
            "source": "bench", "id": f"bench--s{i}", "nom": f"Structure d'essai n°{i}",
            "date_maj": today, "siret": None, "adresse": f"{i} rue de l'Essai",
            "code_postal": "76600",
            "commune": "Le Havre", "longitude": round(rng.uniform(LE_HAVRE[0], LE_HAVRE[2]), 6),
            "latitude": round(rng.uniform(LE_HAVRE[1], LE_HAVRE[3]), 6),
            "telephone": "02 35 00 00 00", "courriel": f"structure{i}@exemple.fr",
        })
    services = []
    for i in range(n_services):
        audiences = (["tous-publics"] if rng.random() < 0.4
                     else rng.sample(publics, rng.randint(1, 3)))
        services.append({
            "source": "bench", "structure_id": f"bench--s{rng.randrange(n_structures)}",
            "id": f"bench--{i}", "nom": f"{rng.choice(words)} {rng.choice(topics)} n°{i}",
            "description": "Un service d'essai pour mesurer l'import ; « guillemets », accents.",
            "date_maj": today, "thematiques": rng.sample(thematiques, rng.randint(1, 3)),
            "publics": audiences, "adresse": f"{i} avenue du Banc d'essai", "code_postal": "76600",
            "commune": "Le Havre", "longitude": round(rng.uniform(LE_HAVRE[0], LE_HAVRE[2]), 6),
            "latitude": round(rng.uniform(LE_HAVRE[1], LE_HAVRE[3]), 6),
            "telephone": "02 35 00 00 00", "courriel": f"service{i}@exemple.fr",
            "horaires_accueil": rng.choice(["Mo-Fr 09:00-12:00,14:00-17:00; PH off",
                                             "Tu,Th 14:00-18:00", None]),
            "lien_source": f"https://exemple.fr/services/{i}",
        })
    # The generator promises valid records: check a sample with the package's own models.
    for record in rng.sample(services, min(500, n_services)):
        Service.model_validate(record)
    for record in structures[:100]:
        Structure.model_validate(record)
    sizes = {}
    for name, records in (("structures.json", structures), ("services.json", services)):
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(records, handle, ensure_ascii=False)
        sizes[name] = os.path.getsize(path)
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--structures", type=int, default=2_000)
    parser.add_argument("--twice", action="store_true", help="import the same files a second time")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes checking the records (default 1: in the importing process)")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("DATABASE_URL n'est pas défini (make bench ou scripts/dev.sh db le donnent).")
    url = make_url(base)
    name = f"bv_bench_import_{os.getpid()}_{uuid.uuid4().hex[:4]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(url.set(database=name).render_as_string(hide_password=False), args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(database_url, args):
    os.environ.setdefault("BIENVEILLEURS_ENV", "test")
    from bienveilleurs import create_app
    from bienveilleurs.extensions import db
    from bienveilleurs.services.imports import import_path
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            sizes = generate(folder, args.services, args.structures)
            print(f"machine : {os.cpu_count()} cœurs, charge {os.getloadavg()[0]:.1f} ; "
                  f"processus de vérification : {args.workers or 1}")
            print(f"génération : {args.services} services, {args.structures} structures, "
                  f"{sum(sizes.values()) / 1e6:.1f} Mo en {time.perf_counter() - started:.1f} s")
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rounds = 2 if args.twice else 1
            for round_number in range(1, rounds + 1):
                started = time.perf_counter()
                report = import_path(folder, "data-inclusion", area=app.config["SERVICE_AREA"],
                                     workers=args.workers)
                elapsed = time.perf_counter() - started
                peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                rows = report.total + report.structures_created + report.structures_updated
                print(f"import {round_number} : {elapsed:.1f} s, "
                      f"{report.total / elapsed:,.0f} services/s "
                      f"— créés {report.created}, mis à jour {report.updated}, "
                      f"inchangés {report.unchanged}, rejetés {report.rejected_count}, "
                      f"structures créées {report.structures_created}")
                print(f"  mémoire : pic du processus {peak_mb:.0f} Mo "
                      f"(avant l'import {rss_before / 1024:.0f} Mo) ; "
                      f"lignes écrites ou vérifiées {rows}")
                verdict = "OK" if elapsed < TARGET_S else "AU-DESSUS DE L'OBJECTIF"
                print(f"  objectif < {TARGET_S:.0f} s : {verdict}")
                if report.rejected:
                    print("  premiers rejets :", [str(p) for p in report.rejected[:3]])
            count = db.session.execute(text("select count(*) from resources")).scalar()
            print(f"ressources en base : {count}")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
