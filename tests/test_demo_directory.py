"""The demo directory: enough fictitious resources and relays, inside the demo areas, idempotent."""

from geoalchemy2.shape import to_shape
from shapely.geometry import Polygon
from sqlalchemy import func, select

from bienveilleurs.models import Relay, Resource, Structure
from bienveilleurs.services import demo, demo_directory
from bienveilleurs.services.codes import publics, thematiques
from geo.hours import validate_opening_hours

from .factories import make_user


def test_demo_directory(db):
    users = {email: make_user(role=role.value, email=email)
             for email, role, *_ in demo.ACCOUNTS}
    summary = {}
    demo_directory.load(users, summary)
    db.expire_all()
    resources = db.scalars(select(Resource).where(Resource.source == "demo")).all()
    relays = db.scalars(select(Relay)).all()
    assert len(resources) >= 55 and len(relays) >= 28
    assert summary["ressources"] == len(resources) and summary["bienveilleurs"] == len(relays)
    assert all("(démo)" in r.name for r in resources)
    assert all("(démo)" in r.display_name for r in relays)
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
    areas = [Polygon(ring) for _, _, ring in demo.NEIGHBOURHOODS]
    for row in list(resources) + list(relays):
        point = to_shape(row.point)
        assert any(area.contains(point) for area in areas), (row, point)
    relais = users["relais@demo.bienveilleurs.fr"]
    assert db.scalar(select(Relay).where(Relay.user_id == relais.id)) is not None
    social = users["social@demo.bienveilleurs.fr"]
    assert "CCAS du Havre (démo)" in [s.name for s in social.structures]

    counts = [db.scalar(select(func.count()).select_from(m)) for m in (Structure, Resource, Relay)]
    again = {}
    demo_directory.load(users, again)
    db.expire_all()
    models = (Structure, Resource, Relay)
    assert [db.scalar(select(func.count()).select_from(m)) for m in models] == counts
    assert again == {}


def test_the_demo_has_a_charter_signed_by_its_relays_and_shown_to_candidates(db, client):
    from bienveilleurs.models import CharterSignature, CharterVersion
    from bienveilleurs.services.candidacies import charter

    demo.load()
    db.expire_all()
    version = db.scalar(select(CharterVersion))
    active = db.scalars(select(Relay.id).where(Relay.status == "active")).all()
    signed = db.scalars(select(CharterSignature.relay_id)
                        .where(CharterSignature.version_id == version.id)).all()
    assert active and sorted(signed) == sorted(active)
    relay_user = db.scalar(select(Relay).where(Relay.status == "active",
                                               Relay.user_id.is_not(None))).user
    assert charter.ask_at_sign_in(relay_user) is False  # signed: the demo relay is not stopped
    page = client.get("/devenir-bienveilleur").get_data(as_text=True)
    assert "écouter sans juger" in page and "<script" not in page.split("écouter")[1][:2000]
    demo.load()  # loading again adds no second version
    assert db.scalar(select(func.count()).select_from(CharterVersion)) == 1
