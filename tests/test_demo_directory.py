"""The demo directory: enough fictitious resources and relays, inside the demo areas, idempotent."""

from sqlalchemy import func, select

from bienveilleurs.models import Relay, Resource, Structure, Territory, User
from bienveilleurs.services import demo
from bienveilleurs.services.codes import publics, thematiques
from geo.hours import validate_opening_hours


def test_demo_directory(app, db):
    demo.load()
    db.expire_all()
    resources = db.scalars(select(Resource).where(Resource.source == "demo")).all()
    relays = db.scalars(select(Relay)).all()
    assert len(resources) >= 55 and len(relays) >= 28
    assert all("(démo)" in r.name for r in resources) and all("(démo)" in r.display_name for r in relays)
    top_levels = {code.split("--")[0] for r in resources for code in r.categories}
    assert len(top_levels) >= 12
    assert all(c in thematiques() for r in resources for c in r.categories)
    assert all(a in publics() for r in resources for a in r.audiences)
    for r in resources:
        validate_opening_hours(r.opening_hours)
    assert any(r.accessible for r in resources) and any(r.accessible is False for r in resources)
    assert any(set(r.languages) - {"fr"} for r in resources)
    assert {"active", "paused"} <= {r.status for r in relays}
    # Every demo point lies inside one of the demo neighbourhoods.
    outside = db.scalar(select(func.count()).select_from(Resource).where(
        Resource.source == "demo",
        ~select(Territory.id).where(Territory.code.like("DEMO-%"),
                                    func.ST_Covers(Territory.area, func.geometry(Resource.point)))
        .exists()))
    assert outside == 0
    outside = db.scalar(select(func.count()).select_from(Relay).where(
        ~select(Territory.id).where(Territory.code.like("DEMO-%"),
                                    func.ST_Covers(Territory.area, func.geometry(Relay.point)))
        .exists()))
    assert outside == 0
    relais = db.scalar(select(User).where(User.email == "relais@demo.bienveilleurs.fr"))
    assert db.scalar(select(Relay).where(Relay.user_id == relais.id)) is not None
    social = db.scalar(select(User).where(User.email == "social@demo.bienveilleurs.fr"))
    assert "CCAS du Havre (démo)" in [s.name for s in social.structures]

    counts = [db.scalar(select(func.count()).select_from(m)) for m in (Structure, Resource, Relay)]
    summary = demo.load()
    db.expire_all()
    assert [db.scalar(select(func.count()).select_from(m)) for m in (Structure, Resource, Relay)] == counts
    assert summary.get("ressources", 0) == 0 and summary.get("bienveilleurs", 0) == 0
