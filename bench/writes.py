"""How many reports a node writes per second, and the disk a referral takes (docs/scale.md).

Not a test: `make test` never runs it. On the local cluster (DATABASE_URL names any database
of it), it builds a database of its own with the migrations, then for `--duration` seconds
`--threads` threads report residents through the real use case (`referrals.report`: the
resident, the referral, its first event, the coordinators' notification, one transaction
each), then a contact on each; it prints the rates and the bytes per referral of the tables
that grow with them (indexes and TOAST included).

    .venv/bin/python bench/writes.py [--threads 4] [--duration 15]
"""

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROWING = ("residents", "referrals", "referral_events", "contacts", "notifications",
           "access_log", "erased_ids")


def scratch_database(base):
    url = make_url(base)
    name = f"bv_bench_writes_{os.getpid()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, url.set(database=name).render_as_string(hide_password=False)


def run(app, threads, duration):
    from bienveilleurs.extensions import db
    from bienveilleurs.services import referrals
    from tests.factories import make_relay, make_resource, make_user
    with app.app_context():
        coordinator = make_user(role="coordinator")
        for n in range(50):
            make_relay(lat=49.49 + n * 0.0005, lon=0.10 + n * 0.0005, capacity=1000)
            make_resource(lat=49.49 + n * 0.0004, lon=0.10)
        db.session.commit()
        coordinator_id = coordinator.id
    done, stop = [], time.monotonic() + duration

    def worker(seed):
        with app.app_context():
            from bienveilleurs.models import User
            actor = db.session.get(User, coordinator_id)
            count = 0
            while time.monotonic() < stop:
                payload = {"id": str(uuid.uuid4()), "category": "sante--sante-mentale",
                           "consent": True, "note": "Vit seule.",
                           "resident": {"first_name": "Mireille", "lat": 49.49 + seed * 1e-4,
                                        "lon": 0.107, "languages": ["fr"]}}
                referrals.report(actor, payload)
                count += 1
            done.append(count)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(done), time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--duration", type=float, default=15)
    args = parser.parse_args()
    os.environ.setdefault("BIENVEILLEURS_ENV", "test")
    admin, name, url = scratch_database(os.environ["DATABASE_URL"])
    try:
        from flask_migrate import upgrade

        from bienveilleurs import create_app
        from bienveilleurs.extensions import db
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()
        count, seconds = run(app, args.threads, args.duration)
        with app.app_context():
            sizes = {table: db.session.scalar(text(f"select pg_total_relation_size('{table}')"))
                     for table in GROWING}
            referrals = db.session.scalar(text("select count(*) from referrals"))
            events = db.session.scalar(text("select count(*) from referral_events"))
            db.engine.dispose()
        print(f"{count} signalements en {seconds:.1f} s avec {args.threads} fils : "
              f"{count / seconds:.0f} par seconde ({os.cpu_count()} cœurs, partagés)")
        print(f"{referrals} orientations, {events} événements ; octets par orientation "
              "(tables, index et TOAST) :")
        for table, size in sizes.items():
            print(f"  {table:16} {size / max(referrals, 1):8.0f}")
        print(f"  {'total':16} {sum(sizes.values()) / max(referrals, 1):8.0f}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
