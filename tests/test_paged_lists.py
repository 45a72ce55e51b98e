"""The coordinators' lists at scale: a page costs the same statements whatever the rows it
shows, the scope is answered by the points' index, and every list goes page by page."""

import contextlib
import re
import uuid
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text as sql

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import Referral
from bienveilleurs.services import paging
from bienveilleurs.services import referrals as service
from bienveilleurs.web.coordination import referrals as coordination_pages

from .factories import make_territory, make_user
from .referral_helpers import bring_to, make_world, new_referral, territorial_coordinator_among_many

PAGES = ("/coordination/a-attribuer", "/coordination/en-attente", "/coordination/carte")


@pytest.fixture
def world(db):
    return make_world(capacity=500)


@contextlib.contextmanager
def statements(keep=lambda sql_text: True):
    """Record the statements that reach the driver on the session's connection (the ORM's
    and those matching sends to psycopg directly)."""
    captured = []

    class CapturingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            if keep(str(query)):
                captured.append((str(query), params))
            return super().execute(query, params, **kwargs)

        def executemany(self, query, params_seq, **kwargs):
            if keep(str(query)):
                captured.append((str(query), None))
            return super().executemany(query, params_seq, **kwargs)

    driver = db.session.connection().connection.driver_connection
    driver.cursor_factory = CapturingCursor
    try:
        yield captured
    finally:
        driver.cursor_factory = psycopg.Cursor


def add_cases(world, n):
    """n people of each kind the coordinators' lists show: reported (and stale), sent back by
    a structure, referred long ago without an answer (stale)."""
    for _ in range(n):
        new_referral(world)
        back = bring_to(world, new_referral(world), "referred")
        service.transition(world.social, back.id, "contacted", reason="declined",
                           note="Plus de place.", version=back.version)
        bring_to(world, new_referral(world), "referred")
    # Two months back, in the same order: each page holds every kind of row.
    db.session.execute(sql("UPDATE referrals "
                           "SET status_changed_at = status_changed_at - :shift"),
                       {"shift": timedelta(days=60)})
    db.session.expire_all()


def linked(page):
    """The referrals a page links to."""
    return set(re.findall(r"/coordination/orientations/([0-9a-f-]{36})\"", page))


def territories_linked(page):
    return set(re.findall(r'/admin/territoires/([0-9a-f-]{36})"', page))


def count_for(client, path):
    """The statements of a request of `path` (after one to warm what is loaded once)."""
    client.get(path)
    with statements() as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured), response.get_data(as_text=True)


def expire_on_commit(monkeypatch):
    """Sessions of the requests to come expire what they loaded at each commit, as the
    app's do (the tests' sessions keep it), so that a row reloaded after the read's commit
    is counted."""
    monkeypatch.setitem(db.session.session_factory.kw, "expire_on_commit", True)


def test_a_page_sends_the_same_statements_for_few_rows_and_for_a_full_page(
        world, client_as, monkeypatch):
    # Matching proposals included: one search for the whole page (matching_many).
    assert coordination_pages.PROPOSED_ROWS >= paging.PAGE_SIZE
    coordinator = client_as(world.coordinator)
    add_cases(world, 1)
    expire_on_commit(monkeypatch)
    few = {path: count_for(coordinator, path) for path in PAGES}
    add_cases(world, paging.PAGE_SIZE)
    many = {path: count_for(coordinator, path) for path in PAGES}
    for path in PAGES:
        (few_count, few_page), (many_count, many_page) = few[path], many[path]
        assert len(linked(many_page)) >= 5 * len(linked(few_page)) > 0, path
        assert many_count == few_count, (path, few_count, many_count)


def test_every_list_goes_page_by_page_and_the_assignment_returns_to_its_page(
        world, client_as):
    coordinator = client_as(world.coordinator)
    for _ in range(paging.PAGE_SIZE + 3):
        new_referral(world)
    first = coordinator.get("/coordination/a-attribuer").get_data(as_text=True)
    assert first.count('class="person-card"') == paging.PAGE_SIZE
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = coordinator.get(following).get_data(as_text=True)
    assert second.count('class="person-card"') == 3
    assert 'rel="next"' not in second and "Revenir au début" in second
    shown_first, shown_second = linked(first), linked(second)
    assert shown_first and shown_second and not shown_first & shown_second

    # One click on the second page: the answer is that same page, without the row assigned.
    referral_id = sorted(shown_second)[0]
    version = db.session.get(Referral, uuid.UUID(referral_id)).version
    form = second[second.index(f"/coordination/orientations/{referral_id}/attribuer"):]
    hidden = dict(re.findall(r'name="(depuis|apres|csrf_token)" value="([^"]+)"',
                             form[:form.index("</form>")]))
    assert set(hidden) == {"depuis", "apres", "csrf_token"}
    response = coordinator.post(f"/coordination/orientations/{referral_id}/attribuer", data={
        "relay_id": str(world.relay.id), "version": str(version), "back": "inbox", **hidden})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(following.split("/coordination")[1])
    again = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert again.count('class="person-card"') == 2 and referral_id not in again


@pytest.mark.parametrize("query, message", [
    ("depuis=hier&apres=00000000-0000-0000-0000-000000000000", "Le début de la page"),
    ("depuis=2026-01-01T00:00:00%2B00:00&apres=12", "La ligne précédant la page"),
    ("depuis=2026-01-01T00:00:00%2B00:00", "ensemble"),
])
def test_a_wrong_page_key_is_refused_in_french(world, client_as, query, message):
    for path in PAGES:
        response = client_as(world.coordinator).get(f"{path}?{query}")
        assert response.status_code in (400, 422), path
        assert message in response.get_data(as_text=True), path


def test_the_scope_of_a_territorial_coordinator_is_answered_by_the_points_index(db):
    """EXPLAIN the statement of « À attribuer » as it reaches the driver, among 20,000 open
    referrals: the few territories are tested against the people's indexed points."""
    coordinator = territorial_coordinator_among_many()

    def keep(statement):
        return "FROM referrals" in statement and "ST_Intersects" in statement

    with statements(keep) as captured:
        service.coordinator_inbox(coordinator)
    assert len(captured) == 1
    statement, parameters = captured[0]
    plan = "\n".join(row[0] for row in db.connection().exec_driver_sql(
        "EXPLAIN " + statement, parameters).all())
    assert "ix_residents_point_geometry" in plan, plan
    assert "Seq Scan on residents" not in plan, plan


def test_admin_territories_go_page_by_page_in_the_same_statements(db, client_as):
    from bienveilleurs.web.admin import territories as admin_pages
    admin = client_as("admin")
    coordinators = [make_user(role="coordinator") for _ in range(3)]

    def add_territories(n):
        for _ in range(n):
            territory = make_territory()
            for coordinator in coordinators:
                coordinator.territories.append(territory)
        db.flush()

    add_territories(2)
    few, _ = count_for(admin, "/admin/territoires")
    add_territories(admin_pages.TERRITORY_ROWS + 3)
    many, first = count_for(admin, "/admin/territoires")
    assert many == few
    assert len(territories_linked(first)) == admin_pages.TERRITORY_ROWS
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = admin.get(following).get_data(as_text=True)
    assert "Territoires suivants" not in second and "Revenir au début" in second
    assert len(territories_linked(second)) == 5
    assert not territories_linked(first) & territories_linked(second)


def test_coverage_computes_one_page_of_territories_at_a_time(db, client_as):
    from bienveilleurs.web.coordination import coverage as coverage_pages
    coordinator = client_as("coordinator")
    for n in range(coverage_pages.TERRITORY_ROWS + 2):
        make_territory(name=f"Quartier {n:02d}")
    db.flush()
    first = coordinator.get("/couverture/").get_data(as_text=True)
    names = re.findall(r"<h2>(Quartier \d\d)</h2>", first)
    assert names == [f"Quartier {n:02d}" for n in range(coverage_pages.TERRITORY_ROWS)]
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = coordinator.get(following).get_data(as_text=True)
    assert re.findall(r"<h2>(Quartier \d\d)</h2>", second) == [
        f"Quartier {n:02d}" for n in range(coverage_pages.TERRITORY_ROWS,
                                           coverage_pages.TERRITORY_ROWS + 2)]
    assert "sur 12, par nom" in second


def test_management_lists_go_page_by_page_keeping_the_search(db, client_as, monkeypatch):
    from bienveilleurs.web.directory import manage

    from .factories import make_resource, make_structure
    admin = client_as("admin")

    def add(n):
        for _ in range(n):
            structure = make_structure(name=f"Maison {next(counter):03d}")
            for _ in range(3):
                make_resource(structure=structure, name=f"Accueil {next(counter):03d}")
        db.flush()

    counter = iter(range(1000))
    add(2)
    expire_on_commit(monkeypatch)
    few = {path: count_for(admin, path)[0] for path in ("/gestion/?q=Accueil",
                                                        "/gestion/structures?q=Maison")}
    add(manage.MANAGE_ROWS)
    for path, rows in (("/gestion/?q=Accueil", 3 * (manage.MANAGE_ROWS + 2)),
                       ("/gestion/structures?q=Maison", manage.MANAGE_ROWS + 2)):
        count, page = count_for(admin, path)
        assert count == few[path], path
        shown = len(re.findall(r"/gestion/(?:ressources|structures)/[0-9a-f-]{36}\"", page))
        assert shown == manage.MANAGE_ROWS, path
        pages, seen = 1, shown
        while (found := re.search(r'rel="next" href="([^"]+)"', page)):
            following = found.group(1).replace("&amp;", "&")
            assert "q=" in following, following  # the search goes on
            page = admin.get(following).get_data(as_text=True)
            seen += len(re.findall(r"/gestion/(?:ressources|structures)/[0-9a-f-]{36}\"", page))
            pages += 1
        assert seen == rows and pages == -(-rows // manage.MANAGE_ROWS), path


def test_outside_every_territory_goes_page_by_page_with_the_outlines_near_it(
        db, client_as, monkeypatch):
    from bienveilleurs.models import Resident
    from bienveilleurs.web.admin import territories as admin_pages

    from .test_notifications import geog
    monkeypatch.setattr(admin_pages, "OUTSIDE_ROWS", 3)
    make_territory(name="Proche", polygon=[(0.10, 49.49), (0.12, 49.49), (0.12, 49.50),
                                         (0.10, 49.50)])
    make_territory(name="Lointain", polygon=[(2.30, 48.85), (2.32, 48.85), (2.32, 48.86),
                                         (2.30, 48.86)])
    for n in range(4):
        resident = Resident(first_name=f"Hors {n}", point=geog(0.13 + n / 100, 49.505),
                            approx_point=geog(0.13 + n / 100, 49.505), consent_at=clock.now())
        db.add(resident)
        db.flush()
        db.add(Referral(resident_id=resident.id, category="sante", status="reported"))
        db.flush()
    admin = client_as("admin")
    first = admin.get("/admin/hors-territoire").get_data(as_text=True)
    assert first.count("(repère ") == 3
    assert "Proche" in first and "Lointain" not in first  # the outlines near the points
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert admin.get(following).get_data(as_text=True).count("(repère ") == 1


def follow_pages(client, page, pattern):
    """The ids `pattern` finds on `page` and on every page « suivant » leads to, page by
    page (a list of sets), checking that each next link keeps the query's other terms."""
    pages = [set(re.findall(pattern, page))]
    while (found := re.search(r'rel="next" href="([^"]+)"', page)):
        page = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
        assert "Revenir au début" in page
        pages.append(set(re.findall(pattern, page)))
    return pages


def test_candidacies_go_page_by_page_in_the_same_statements(db, client_as, monkeypatch):
    coordinator = client_as(make_user(role="coordinator"))  # city-wide: every candidacy

    def add(n, stage="confirmed"):
        db.execute(sql("""
            INSERT INTO candidacies (id, first_name, email, point, profile, languages,
                                     consent_at, stage, stage_changed_at, submitted_at)
            SELECT gen_random_uuid(), 'C' || i, 'c' || i || '@exemple.fr',
                   ST_SetSRID(ST_MakePoint(0.10 + i / 10000.0, 49.49), 4326)::geography,
                   'resident', '{}', now(), :stage, now() - i * interval '1 minute', now()
            FROM generate_series(1, :n) AS i"""), {"n": n, "stage": stage})
        db.expire_all()

    pattern = r'/reseau/candidatures/([0-9a-f-]{36})"'
    add(2)
    expire_on_commit(monkeypatch)
    few, _ = count_for(coordinator, "/reseau/candidatures/")
    add(paging.PAGE_SIZE + 1)
    add(paging.PAGE_SIZE + 2, stage="met")
    many, first = count_for(coordinator, "/reseau/candidatures/")
    assert many == few
    pages = follow_pages(coordinator, first, pattern)
    assert [len(p) for p in pages] == [paging.PAGE_SIZE, paging.PAGE_SIZE, 5]
    assert len(set().union(*pages)) == sum(len(p) for p in pages)  # each one once
    # A stage's list keeps its stage from page to page.
    met = coordinator.get("/reseau/candidatures/?etape=met").get_data(as_text=True)
    assert [len(p) for p in follow_pages(coordinator, met, pattern)] == [paging.PAGE_SIZE, 2]
    assert "etape=met" in re.search(r'rel="next" href="([^"]+)"', met).group(1)


def test_relays_who_have_not_signed_the_charter_go_page_by_page(db, client_as, monkeypatch):
    from bienveilleurs.services.candidacies import charter

    from .factories import make_relay
    admin = make_user(role="admin")
    client = client_as(admin)
    charter.publish(admin, {"text_md": "# Charte\n\nJe respecte les personnes."})
    for _ in range(2):
        make_relay()
    pattern = r'/reseau/bienveilleurs/([0-9a-f-]{36})/suivi"'
    expire_on_commit(monkeypatch)
    few, _ = count_for(client, "/reseau/charte")
    size = 2 * paging.PAGE_SIZE
    for _ in range(size + 1):
        make_relay()
    many, first = count_for(client, "/reseau/charte")
    assert many == few
    pages = follow_pages(client, first, pattern)
    assert [len(p) for p in pages] == [size, 3] and not pages[0] & pages[1]


def test_the_active_resources_pages_walk_the_index_of_their_order(db, client_as):
    """HSDS pages and the management list of active resources are read from the partial
    index on (name, id) of active resources, never a scan then a sort of every one of
    them (seq scans and sorts priced out: a plan keeps them only where no index serves)."""
    from bienveilleurs.services import open_referral
    from bienveilleurs.services.directory import resources

    from .factories import make_resource
    for n in range(5):
        make_resource(name=f"Accueil {n}")
    db.flush()

    def keep(statement):
        return "FROM resources" in statement and "LIMIT" in statement

    with statements(keep) as captured:
        open_referral.services_page({"page": "2", "per_page": "2"})
        resources.list_resources(make_user(role="admin"), limit=2)
    assert len(captured) == 2
    db.execute(sql("SET LOCAL enable_seqscan = off"))
    db.execute(sql("SET LOCAL enable_sort = off"))
    for statement, parameters in captured:
        plan = "\n".join(row[0] for row in db.connection().exec_driver_sql(
            "EXPLAIN " + statement, parameters).all())
        assert "ix_resources_active_name" in plan, plan
        assert "Seq Scan on resources" not in plan and "Sort Key: resources" not in plan, plan


def test_hsds_pages_send_the_same_statements_for_few_services_and_for_many(db, client):
    from .factories import make_resource
    make_resource(name="Accueil 00")
    db.flush()
    few = count_for(client, "/hsds/services?per_page=50")
    for n in range(1, 60):
        make_resource(name=f"Accueil {n:02}")
    db.flush()
    many = count_for(client, "/hsds/services?per_page=50")
    assert few[1].count('"organization_id"') == 1 and many[1].count('"organization_id"') == 50
    assert many[0] == few[0], (few[0], many[0])


@pytest.fixture
def fresh_count(app):
    from bienveilleurs.services import open_referral
    open_referral.forget_services_count()
    yield open_referral
    open_referral.forget_services_count()


def test_the_number_of_hsds_services_is_counted_once_in_a_while(
        db, client, app, fresh_count, monkeypatch):
    """Kept per process for HSDS_COUNT_TTL_S, forgotten when this process writes resources;
    a session that wrote resources never keeps what it counted (its own changes)."""
    from .factories import make_resource
    open_referral = fresh_count
    monkeypatch.setitem(app.config, "HSDS_COUNT_TTL_S", 60)
    make_resource(name="Accueil")
    db.flush()

    def counted(read):
        with statements(lambda text: "count(*)" in text) as counts:
            total = read()
        return total, len(counts)

    def page():  # a request: a session of its own, which wrote nothing
        return client.get("/hsds/services").get_json()["total_items"]

    # This session wrote resources: what it counts is not kept.
    total = counted(open_referral.active_services_count)
    assert total[1] == 1 and counted(open_referral.active_services_count) == total
    assert counted(page) == total
    assert counted(page) == (total[0], 0)  # kept
    make_resource(name="Accueil bis")
    db.flush()  # forgotten at once
    assert counted(page) == (total[0] + 1, 1)
    monkeypatch.setitem(app.config, "HSDS_COUNT_TTL_S", 0)
    assert [counted(page) for _ in range(2)] == [(total[0] + 1, 1)] * 2


def test_the_relays_list_goes_page_by_page_keeping_its_filters(db, client_as, monkeypatch):
    from bienveilleurs.web.coordination import network

    from .factories import make_relay
    client = client_as(make_user(role="coordinator"))  # city-wide: every relay
    pattern = r'/reseau/bienveilleurs/([0-9a-f-]{36})"'
    for n in range(2):
        make_relay(display_name=f"Amel {n}", user=make_user(role="relay"))
    make_relay(display_name="Fini", status="ended")
    expire_on_commit(monkeypatch)
    few, _ = count_for(client, "/reseau/bienveilleurs")
    size = network.RELAY_ROWS
    for n in range(size + 1):  # same names: the id orders them
        make_relay(display_name="Bruno", user=make_user(role="relay"),
                   status="paused" if n % 2 else "active")
    many, first = count_for(client, "/reseau/bienveilleurs")
    assert many == few
    pages = follow_pages(client, first, pattern)
    assert [len(p) for p in pages] == [size, 3] and not pages[0] & pages[1]
    assert "Fini" not in first
    paused = client.get("/reseau/bienveilleurs?statut=paused&q=bru").get_data(as_text=True)
    assert [len(p) for p in follow_pages(client, paused, pattern)] == [size // 2]
    ended = client.get("/reseau/bienveilleurs?statut=ended").get_data(as_text=True)
    assert "Fini" not in ended  # not a filter the page offers: every one but the ended


def test_a_training_session_invites_from_pages_of_candidacies_and_of_relays(
        db, client_as, monkeypatch):
    from bienveilleurs.config import setting
    from bienveilleurs.services.candidacies import trainings

    from .factories import make_relay
    coordinator = make_user(role="coordinator")  # city-wide: every candidacy and relay
    client = client_as(coordinator)
    session = trainings.create_session(coordinator, {
        "topic": "Écouter", "starts_at": "2026-04-02T18:30", "place_name": "Centre",
        "lat": "49.4944", "lon": "0.1079", "capacity": "200"}, area=setting("SERVICE_AREA"))
    path = f"/reseau/formations/{session.id}"

    def add_candidacies(n, start):
        db.execute(sql("""
            INSERT INTO candidacies (id, first_name, email, point, profile, languages,
                                     consent_at, stage, stage_changed_at, submitted_at)
            SELECT gen_random_uuid(), 'Cand ' || i, 'cand' || i || '@exemple.fr',
                   ST_SetSRID(ST_MakePoint(0.10 + i / 10000.0, 49.49), 4326)::geography,
                   'resident', '{}', now(), 'met', now(), now()
            FROM generate_series(:start, :start + :n - 1) AS i"""), {"n": n, "start": start})
        db.expire_all()

    candidacy = r'name="candidacy_ids" value="([0-9a-f-]{36})"'
    relay = r'name="relay_ids" value="([0-9a-f-]{36})"'
    add_candidacies(2, 1)
    for _ in range(2):
        make_relay(user=make_user(role="relay"))
    expire_on_commit(monkeypatch)
    few = [count_for(client, f"{path}?parmi={among}")[0]
           for among in ("candidatures", "bienveilleurs")]
    add_candidacies(paging.PAGE_SIZE + 1, 3)
    for _ in range(paging.PAGE_SIZE + 1):
        make_relay(user=make_user(role="relay"))
    many = [count_for(client, f"{path}?parmi={among}") for among in ("candidatures",
                                                                      "bienveilleurs")]
    assert [count for count, _ in many] == few
    for (_, first), pattern in zip(many, (candidacy, relay), strict=True):
        pages = follow_pages(client, first, pattern)
        assert [len(p) for p in pages] == [paging.PAGE_SIZE, 3] and not pages[0] & pages[1]
    # A search keeps to its list from page to page; an invitation comes back to it.
    found = client.get(f"{path}?parmi=candidatures&q=cand2").get_data(as_text=True)
    assert [len(p) for p in follow_pages(client, found, candidacy)] == [10]  # 2, 20…28
    chosen = re.findall(candidacy, found)[:2]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', found)
    response = client.post(f"{path}/invitations", data={
        "csrf_token": token.group(1), "candidacy_ids": chosen, "parmi": "candidatures",
        "q": "cand2"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{path}?parmi=candidatures&q=cand2")
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert not set(chosen) & set(re.findall(candidacy, again))
    nobody = client.get(f"{path}?parmi=bienveilleurs&q=personne").get_data(as_text=True)
    assert "Personne ne correspond à « personne »" in nobody


def test_the_resource_form_finds_its_structure_by_a_search_without_listing_every_one(
        db, client_as, monkeypatch):
    """The form offers the structure chosen and the first 20 found, never every structure:
    the same statements for two as for two thousand; a search (a plain form button, no
    script) finds one beyond them, which the resource is then saved with."""
    from bienveilleurs.models import Resource, Structure

    from .factories import make_structure
    from .test_manage_pages import RESOURCE_FORM, submit, text_of
    client = client_as(make_user(role="admin"))
    path = "/gestion/ressources/nouvelle"
    radio = r'name="structure_id" id="structure_id-\d+" value="([0-9a-f-]{36})"'
    for n in range(2):
        make_structure(name=f"Accueil {n}")
    expire_on_commit(monkeypatch)
    few, page = count_for(client, path)
    assert len(re.findall(radio, page)) == 2
    for n in range(60):
        make_structure(name=f"Bureau {n:02}", address=f"{n} rue du Port")
    far = make_structure(name="Zébulon", address="3 quai de Saône")
    many, page = count_for(client, path)
    assert many == few and len(re.findall(radio, page)) == 20 and "Zébulon" not in page
    # Looking for it keeps what was typed, and offers it.
    form = {**RESOURCE_FORM, "structure_q": "quai de saône", "find_structure": "1"}
    found = submit(client, path, form)
    assert found.status_code == 200
    assert re.findall(radio, found.get_data(as_text=True)) == [str(far.id)]
    assert f'value="{RESOURCE_FORM["name"]}"' in text_of(found)
    assert db.scalar(sql("SELECT count(*) FROM resources")) == 0
    saved = submit(client, path, {**RESOURCE_FORM, "structure_id": str(far.id)})
    assert saved.status_code == 303
    db.expire_all()
    resource = db.scalars(sql("SELECT id FROM resources")).one()
    assert db.get(Resource, resource).structure_id == far.id
    # Chosen, it stays offered (checked) whatever the search shows.
    again = client.get(f"/gestion/ressources/{resource}").get_data(as_text=True)
    assert re.search(rf'value="{far.id}" checked', again)
    # An id of no structure the user manages: a French error on the field, nothing saved.
    wrong = submit(client, path, {**RESOURCE_FORM, "structure_id": str(uuid.uuid4())})
    assert wrong.status_code == 422
    assert "Cette structure n'existe pas" in text_of(wrong)
    assert 'href="#structure_id"' in wrong.get_data(as_text=True)
    assert db.scalar(sql("SELECT count(*) FROM resources")) == 1
    assert db.get(Structure, far.id).name == "Zébulon"
