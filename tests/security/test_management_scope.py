"""Management is scoped by territory: every management route × every kind of user.

The routes are read from the application's url_map: every endpoint of a management
blueprint (relays, structures and their resources, members, merges, territories, accounts,
the directory API) or under a management path must have a line in `ROUTES`, so that a new
management route fails here until it says which objects it acts on, and is then walked.

Each route is asked, through the pages and the API, by a coordinator inside the object's
territory, a coordinator outside it, a city-wide coordinator, an admin, a social worker and a
relay, with a valid body for the POSTs (so that refusing is meaningful): those who manage the
object get their answer and change the database; anyone else gets 404 (403 for the roles that
never manage) and changes nothing; no page ever shows the name of an object outside the
reader's territories.
"""

import os
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from bienveilleurs import create_app
from bienveilleurs.extensions import db as _db

from ..conftest import TEST_CONFIG, api_headers, sign_in
from ..factories import make_relay, make_resource, make_structure, make_territory, make_user
from .helpers import rolled_back_world, undone

CATEGORY = "sante--sante-mentale"
NORTH = [(0.100, 49.490), (0.120, 49.490), (0.120, 49.500), (0.100, 49.500)]
SOUTH = [(0.130, 49.500), (0.150, 49.500), (0.150, 49.510), (0.130, 49.510)]
IN_NORTH = (0.11, 49.495)     # (lon, lat)
IN_SOUTH = (0.14, 49.505)
IDENTITIES = ("inside", "outside", "city_wide", "admin", "social_worker", "relay")
# What each identity must never read, whatever the page: names of objects they do not manage.
NEVER = {"inside": ("ZqxSud", "ZqxNulle"), "outside": ("ZqxNord", "ZqxNulle")}

# Blueprints and paths of management: every endpoint in them needs a line in ROUTES.
MANAGEMENT_BLUEPRINTS = {"network", "relays_admin", "manage", "structure_members",
                         "structure_merge", "admin", "coverage", "api_directory"}
MANAGEMENT_PATHS = ("/reseau", "/gestion", "/admin", "/couverture", "/campagnes",
                    "/api/v1/relays", "/api/v1/structures", "/api/v1/resources",
                    "/api/v1/territories", "/api/v1/campaigns", "/api/v1/campaign-preview")

# Kinds of route
OBJECT = "object"    # acts on one object (path arguments): its managers only, 404 for others
CREATE = "create"    # makes a new object in the north: its managers only, 422 for others
LIST = "list"        # every manager, showing only what they manage
ADMIN = "admin"      # admins only (accounts, territories)
SHARED = "shared"    # every manager, by design not about one object (coverage: approximate)
PUBLIC = "public"    # directory reads, not management (tests/security/test_routes.py walks them)
# Check-in campaigns: coordinators and the relays holding checks (not admins), walked with two
# territories by tests/test_campaigns.py (test_campaign_routes_are_scoped_by_territory).
CAMPAIGN = "campaign"


@dataclass
class Line:
    """One endpoint: its kind, the objects filling its path, a valid body for POST."""

    kind: str
    objects: tuple = ()       # names of world objects the route is walked with
    arg: str = None           # the path argument taking the object's id
    args: dict = field(default_factory=dict)   # other path arguments (world object names)
    body: object = None       # dict, or a function (world, object) -> dict
    query: dict = field(default_factory=dict)
    writes: bool = True       # an allowed POST changes the database
    own_relay: bool = False   # the relay may read their own record


def relay_form(world, relay=None):
    lon, lat = IN_NORTH
    return {"display_name": ("Relais modifié" if relay else "Relais créé"),
            "email": "", "address": "", "lat": str(lat), "lon": str(lon), "radius_m": "800",
            "capacity": "2", "languages": "fr", "skills": "", "mode": "weekly",
            "availability": ""}


def structure_form(world, structure=None):
    lon, lat = IN_NORTH
    form = {"name": "Structure modifiée", "siret": "", "address": "", "phone": "",
            "email": "", "website": "", "lat": "", "lon": ""}
    if structure is None or world.points.get(structure):
        form.update(lat=str(lat), lon=str(lon))
    if structure is None:
        form["name"] = "Structure créée"
    return form


def resource_form(world, resource=None):
    lon, lat = IN_NORTH
    structure = world.structure_of.get(resource, "struct_north")
    form = {"name": "Service modifié", "structure_id": str(world.ids[structure]),
            "structure_name": "", "description": "", "categories": [CATEGORY],
            "audiences": [], "address": "", "postal_code": "", "city": "", "lat": "",
            "lon": "", "phone": "", "email": "", "website": "", "opening_hours": "",
            "languages": "", "accessible": "", "capacity": "", "saturation": ""}
    if resource is None or world.points.get(resource):
        form.update(lat=str(lat), lon=str(lon))
    return form


def activation_form(world, candidacy=None):
    lon, lat = IN_NORTH
    return {"display_name": "Relais activé", "lat": str(lat), "lon": str(lon), "radius_m": "800",
            "capacity": "2", "languages": "fr", "skills": "", "mode": "weekly",
            "availability": ""}


def session_form(world, session=None):
    lon, lat = IN_NORTH
    return {"topic": "Écoute", "starts_at": "2026-05-02T18:00", "place_name": "Salle Nord",
            "address": "", "lat": str(lat), "lon": str(lon), "capacity": "10"}


def merge_form(world, structure):
    return {"duplicate": str(world.ids["struct_dup_north"])}


RELAYS = ("relay_north",)
STRUCTURES = ("struct_north", "struct_north_by_resource", "struct_nowhere")
RESOURCES = ("res_north", "res_nowhere")
CANDIDACIES = ("cand_north", "cand_nowhere")
SESSIONS = ("session_north",)

ROUTES = {
    # --- relays (pages)
    "network.relays": Line(LIST),
    "network.new_relay": Line(CREATE, body=lambda w, o: relay_form(w)),
    "network.edit_relay": Line(OBJECT, RELAYS, "relay_id", body=relay_form),
    "network.pause": Line(OBJECT, RELAYS, "relay_id", body={}),
    "network.resume": Line(OBJECT, RELAYS, "relay_id", body={}),
    "relays_admin.show": Line(OBJECT, RELAYS, "relay_id"),
    "relays_admin.end": Line(OBJECT, RELAYS, "relay_id", body={}),
    # --- structures and their resources (pages)
    "manage.index": Line(LIST),
    "manage.structures": Line(LIST),
    "manage.new_resource": Line(CREATE, body=lambda w, o: resource_form(w)),
    "manage.new_structure": Line(CREATE, body=lambda w, o: structure_form(w)),
    "manage.edit_resource": Line(OBJECT, RESOURCES, "resource_id", body=resource_form),
    "manage.edit_structure": Line(OBJECT, STRUCTURES, "structure_id", body=structure_form),
    "manage.deactivate_resource": Line(OBJECT, RESOURCES, "resource_id", body={}),
    "manage.reactivate_resource": Line(OBJECT, RESOURCES, "resource_id", body={},
                                       writes=False),  # already active: nothing to change
    # --- members and merges (pages)
    "structure_members.index": Line(OBJECT, STRUCTURES, "structure_id"),
    "structure_members.add": Line(OBJECT, STRUCTURES, "structure_id",
                                  body={"email": "candidate@test.bienveilleurs.fr",
                                        "display_name": ""}),
    "structure_members.remove": Line(OBJECT, STRUCTURES, "structure_id",
                                     args={"user_id": "member"}, body={}),
    "structure_members.contact": Line(OBJECT, STRUCTURES, "structure_id",
                                      body={"contact_email": "accueil@test.bienveilleurs.fr"}),
    "structure_merge.merge": Line(OBJECT, STRUCTURES, "structure_id", body=merge_form,
                                  query={"q": "Zqx"}),
    # --- the directory API
    "api_directory.create_structure": Line(CREATE, body=lambda w, o: {
        "name": "Structure créée (API)", "lat": IN_NORTH[1], "lon": IN_NORTH[0]}),
    "api_directory.create_resource": Line(CREATE, body=lambda w, o: {
        "name": "Service créé (API)", "structure_id": str(w.ids["struct_north"]),
        "categories": [CATEGORY], "lat": IN_NORTH[1], "lon": IN_NORTH[0]}),
    "api_directory.register_relay": Line(CREATE, body=lambda w, o: {
        "display_name": "Relais créé (API)", "lat": IN_NORTH[1], "lon": IN_NORTH[0],
        "radius_m": 500, "capacity": 2}),
    "api_directory.get_relay": Line(OBJECT, RELAYS, "relay_id", own_relay=True),
    "api_directory.get_resource": Line(PUBLIC),
    "api_directory.resources_geojson": Line(PUBLIC),
    "api_directory.match": Line(PUBLIC),
    # --- administration: accounts and territories, admins only
    "admin.accounts": Line(ADMIN),
    "admin.account": Line(ADMIN, args={"user_id": "member"}),
    "admin.audit_log": Line(ADMIN),
    "admin.invite": Line(ADMIN, body={}),
    "admin.change_role": Line(ADMIN, args={"user_id": "member"}, body={}),
    "admin.account_territories": Line(ADMIN, args={"user_id": "member"}, body={}),
    "admin.deactivate": Line(ADMIN, args={"user_id": "member"}, body={}),
    "admin.reactivate": Line(ADMIN, args={"user_id": "member"}, body={}),
    "admin.resend": Line(ADMIN, args={"user_id": "member"}, body={}),
    "admin.territories": Line(ADMIN, body={}),
    "admin.new_territory": Line(ADMIN, body={}),
    "admin.territory": Line(ADMIN, args={"territory_id": "north"}, body={}),
    "admin.territory_outline": Line(ADMIN, args={"territory_id": "north"}, body={}),
    "imports.index": Line(ADMIN, body={}),
    "imports.preview": Line(ADMIN),
    "imports.confirm": Line(ADMIN, body={}),
    "imports.cancel": Line(ADMIN, body={}),
    "notifications_admin.index": Line(ADMIN),
    "jobs_admin.index": Line(ADMIN),
    "notifications_admin.show": Line(ADMIN, args={"notification_id": 1}),
    "notifications_admin.retry": Line(ADMIN, args={"notification_id": 1}, body={}),
    # --- becoming a relay: candidacies, training sessions, the charter, the import of relays
    "candidacies.index": Line(LIST),
    "candidacies.show": Line(OBJECT, CANDIDACIES, "candidacy_id"),
    "candidacies.move": Line(OBJECT, CANDIDACIES, "candidacy_id", args={"to": "withdrawn"},
                             body={"withdrawn-reason": "",
                                   "withdrawn-note": "Ne donne plus de nouvelles"}),
    "candidacies.note": Line(OBJECT, CANDIDACIES, "candidacy_id",
                             body={"notes-note": "Rencontrée"}),
    "candidacies.sign_charter": Line(OBJECT, CANDIDACIES, "candidacy_id", body={}),
    "candidacies.charter_link": Line(OBJECT, CANDIDACIES, "candidacy_id", body={}),
    "candidacies.activate": Line(OBJECT, ("cand_trained_north",), "candidacy_id",
                                 body=activation_form),
    "trainings.index": Line(CREATE, body=session_form),
    "trainings.show": Line(OBJECT, SESSIONS, "session_id"),
    "trainings.invite": Line(OBJECT, SESSIONS, "session_id", body=lambda w, o: {
        "candidacy_ids": str(w.ids["cand_trained_north"])}),
    "trainings.attendance": Line(OBJECT, SESSIONS, "session_id",
                                 args={"participant_id": "participant_north"},
                                 body={"present": "1"}),
    "charter.unsigned": Line(LIST),
    "charter.publish": Line(ADMIN, body={"text_md": "# Charte"}),
    "relay_import.index": Line(ADMIN, body={}),
    "relay_import.preview": Line(ADMIN),
    "relay_import.confirm": Line(ADMIN, body={}),
    "relay_import.cancel": Line(ADMIN, body={}),
    # The kept e-mails of development without a mail server (absent here: 404).
    "dev_mail.index": Line(ADMIN),
    # Approximate cells and coverage per territory, never an object to manage.
    "admin.outside": Line(SHARED),
    "coverage.index": Line(SHARED),
    # The coverage map's view: the relays the reader manages, and their territories' cells.
    "coverage.map_features": Line(LIST, query={"zone": "-0.5,49,0.7,50", "zoom": "16"}),
    "api_campaigns.launch": Line(CAMPAIGN),
    "api_campaigns.preview": Line(CAMPAIGN),
    "api_campaigns.list_campaigns": Line(CAMPAIGN),
    "api_campaigns.show": Line(CAMPAIGN),
    "api_campaigns.checks": Line(CAMPAIGN),
    "api_campaigns.outcome_csv": Line(CAMPAIGN),
    "api_campaigns.assign": Line(CAMPAIGN),
    "api_campaigns.call": Line(CAMPAIGN),
    "api_campaigns.close": Line(CAMPAIGN),
}


@dataclass
class World:
    users: dict
    ids: dict               # object name -> id
    managers: dict          # object name -> identities that manage it
    points: dict            # object name -> has a point of its own
    structure_of: dict      # resource name -> structure name


def build_world():
    north = make_territory(name="Nord", code="NORD", polygon=NORTH)
    south = make_territory(name="Sud", code="SUD", polygon=SOUTH)
    relay_user = make_user(role="relay", display_name="Relais ZqxNord")
    users = {
        "inside": make_user(role="coordinator", territories=[north]),
        "outside": make_user(role="coordinator", territories=[south]),
        "city_wide": make_user(role="coordinator"),
        "admin": make_user(role="admin"),
        "social_worker": make_user(role="social_worker"),
        "relay": relay_user,
    }
    relay_north = make_relay(user=relay_user, lon=IN_NORTH[0], lat=IN_NORTH[1],
                             display_name="Relais ZqxNord")
    relay_south = make_relay(lon=IN_SOUTH[0], lat=IN_SOUTH[1], display_name="Relais ZqxSud")
    struct_north = make_structure(name="Structure ZqxNord", lon=IN_NORTH[0], lat=IN_NORTH[1])
    struct_by_resource = make_structure(name="Structure ZqxNordRes")
    struct_south = make_structure(name="Structure ZqxSud", lon=IN_SOUTH[0], lat=IN_SOUTH[1])
    struct_nowhere = make_structure(name="Structure ZqxNulle")
    struct_dup = make_structure(name="Doublon ZqxNord", lon=IN_NORTH[0], lat=IN_NORTH[1])
    res_north = make_resource(structure=struct_north, name="Service ZqxNord",
                              lon=IN_NORTH[0] + 0.001, lat=IN_NORTH[1])
    make_resource(structure=struct_by_resource, name="Service ZqxNordRes",
                  lon=IN_NORTH[0] - 0.001, lat=IN_NORTH[1])
    make_resource(structure=struct_south, name="Service ZqxSud", lon=IN_SOUTH[0],
                  lat=IN_SOUTH[1])
    res_nowhere = make_resource(structure=struct_nowhere, name="Service ZqxNulle", lat=None)
    candidacies = _candidacies(users["admin"])
    member = make_user(role="social_worker", email="member@test.bienveilleurs.fr")
    make_user(role="social_worker", email="candidate@test.bienveilleurs.fr")
    for structure in (struct_north, struct_by_resource, struct_nowhere, struct_south):
        structure.members.append(member)
    _db.session.flush()
    north_managers = {"inside", "city_wide", "admin"}
    ids = {"relay_north": relay_north.id, "relay_south": relay_south.id,
           "struct_north": struct_north.id, "struct_north_by_resource": struct_by_resource.id,
           "struct_nowhere": struct_nowhere.id, "struct_dup_north": struct_dup.id,
           "res_north": res_north.id, "res_nowhere": res_nowhere.id, "member": member.id,
           "north": north.id, **candidacies}
    managers = {"relay_north": north_managers, "struct_north": north_managers,
                "struct_north_by_resource": north_managers, "res_north": north_managers,
                "struct_nowhere": {"city_wide", "admin"}, "res_nowhere": {"city_wide", "admin"},
                "cand_north": north_managers, "cand_trained_north": north_managers,
                "cand_nowhere": {"city_wide", "admin"}, "session_north": north_managers}
    points = {"struct_north": True, "res_north": True}
    structure_of = {"res_north": "struct_north", "res_nowhere": "struct_nowhere"}
    _db.session.expire_all()
    return World(users, ids, managers, points, structure_of)


def _candidacies(admin):
    """Candidacies met in the north and nowhere, one trained in the north, a session in the
    north with a participant, and a published charter."""
    from bienveilleurs import clock
    from bienveilleurs.models import Candidacy, TrainingParticipant, TrainingSession
    from bienveilleurs.services.candidacies import charter
    from geo.points import stored_point

    now = clock.now()
    charter.publish(admin, {"text_md": "# Charte"})

    def candidacy(name, point, stage):
        row = Candidacy(first_name=name, email=f"{name.split()[-1].lower()}@test.bienveilleurs.fr",
                        point=stored_point(*point), profile="resident", languages=["fr"],
                        consent_at=now, stage=stage, stage_changed_at=now, submitted_at=now,
                        confirmed_at=now)
        _db.session.add(row)
        return row

    rows = {"cand_north": candidacy("Cand ZqxNord", IN_NORTH, "met"),
            "cand_trained_north": candidacy("Cand ZqxNordFormee", IN_NORTH, "trained"),
            "cand_south": candidacy("Cand ZqxSud", IN_SOUTH, "met"),
            "cand_nowhere": candidacy("Cand ZqxNulle", (0.16, 49.52), "met")}
    session = TrainingSession(topic="Écoute ZqxNord", starts_at=now, place_name="Salle",
                              point=stored_point(*IN_NORTH), capacity=20)
    _db.session.add(session)
    _db.session.flush()
    participant = TrainingParticipant(session_id=session.id, candidacy_id=rows["cand_north"].id)
    _db.session.add(participant)
    _db.session.flush()
    return {**{name: row.id for name, row in rows.items()}, "session_north": session.id,
            "participant_north": participant.id}


def _rules():
    """Endpoint -> (rule, methods), from a throwaway application (collection time)."""
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    rules = {}
    for rule in application.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint in MANAGEMENT_BLUEPRINTS or rule.rule.startswith(MANAGEMENT_PATHS):
            rules.setdefault(rule.endpoint, set()).update(rule.methods & {"GET", "POST"})
    return rules


RULES = _rules() if os.environ.get("DATABASE_URL") else {}
CASES = [(endpoint, method) for endpoint in sorted(RULES) for method in sorted(RULES[endpoint])]


@pytest.fixture(scope="module")
def shared(app):
    with rolled_back_world(app, build_world) as shared_world:
        yield shared_world


@pytest.fixture
def scope_app(app, monkeypatch):
    # The scope must answer whatever CSRF would say: the posts carry no token.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return app


FINGERPRINT = text("""
SELECT md5(concat_ws('|',
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM relays t),
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM structures t),
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM resources t),
  (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM structure_members t),
  (SELECT string_agg(concat_ws(' ', id, email, role, active, password_hash), ','
                     ORDER BY id) FROM users),
  (SELECT count(*) FROM audit_log), (SELECT count(*) FROM notifications),
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM territories t),
  (SELECT string_agg(t::text, ',' ORDER BY t::text) FROM coordinator_territories t),
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM candidacies t),
  (SELECT count(*) FROM candidacy_events), (SELECT count(*) FROM charter_signatures),
  (SELECT count(*) FROM charter_versions),
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM training_sessions t),
  (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM training_participants t)))
""")


def _expected(line, identity, name, managers, method):
    """(status family, writes) the identity should get on the object `name`."""
    if line.kind == ADMIN:
        return ("ok" if identity == "admin" else "forbidden"), identity == "admin"
    if identity == "relay" and line.own_relay and name == "relay_north":
        return "ok", False
    if identity in ("social_worker", "relay"):
        return "forbidden", False
    if line.kind in (LIST, SHARED) or (line.kind == CREATE and method == "GET"):
        return "ok", False  # a list, or the empty form: what the reader manages only
    if line.kind == CREATE:
        allowed = identity in {"inside", "city_wide", "admin"}
        return ("ok" if allowed else "invalid"), allowed
    allowed = identity in managers[name]
    return ("ok" if allowed else "not_found"), allowed

STATUSES = {"forbidden": {403, 404}, "not_found": {404}, "invalid": {422}}


def _path(app, endpoint, values, query):
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **values, **query)


def _ask(app, db, client, method, path, body, api):
    """Send one request; return (response, database changed)."""
    headers = api_headers() if api else {}
    if method == "GET":
        return client.get(path, headers=headers), False

    def send(connection):
        before = connection.execute(FINGERPRINT).scalar()
        response = (client.post(path, json=body, headers=headers) if api
                    else client.post(path, data=body))
        return response, connection.execute(FINGERPRINT).scalar() != before
    return undone(db, send)


def _judge(line, identity, name, managers, method, response, changed, body_text):
    """Every problem of one answer: its status, a write it made or missed, a name it shows."""
    problems = []
    family, writes = _expected(line, identity, name, managers, method)
    status = response.status_code
    if family == "ok":
        good = status in (200, 201, 303) if line.kind != ADMIN else status < 500 and status != 401
        if not good:
            problems.append(f"expected success, got {status}")
        if method == "POST" and writes and line.writes and line.kind != ADMIN and not changed:
            problems.append("an allowed POST changed nothing (is the body valid?)")
    else:
        if status not in STATUSES[family]:
            problems.append(f"expected {family} {sorted(STATUSES[family])}, got {status}")
        if changed:
            problems.append("a refused request changed the database")
    for secret in NEVER.get(identity, ()):
        if secret in body_text:
            problems.append(f"shows {secret!r}, outside the reader's territories")
    return problems


def _objects(line):
    if line.kind == OBJECT:
        return line.objects
    return (None,)


@pytest.mark.parametrize("endpoint, method", CASES, ids=[f"{e}-{m}" for e, m in CASES])
def test_management_route_is_scoped(scope_app, shared, endpoint, method):
    db, world = shared
    rule = next(r for r in scope_app.url_map.iter_rules() if r.endpoint == endpoint)
    if endpoint not in ROUTES:
        pytest.fail(f"The management endpoint {endpoint} ({rule.rule}) has no line in ROUTES "
                    "in tests/security/test_management_scope.py: say which objects it acts on "
                    "(and a valid body for POST) so that its scope is walked.")
    line = ROUTES[endpoint]
    if line.kind in (PUBLIC, CAMPAIGN):
        return
    api = rule.rule.startswith("/api/")
    problems = []
    for name in _objects(line):
        values = {key: str(world.ids.get(value, value)) for key, value in line.args.items()}
        if name is not None:
            values[line.arg] = str(world.ids[name])
        path = _path(scope_app, endpoint, values, line.query if method == "GET" else {})
        body = line.body(world, name) if callable(line.body) else dict(line.body or {})
        for identity in IDENTITIES:
            client = sign_in(scope_app.test_client(), world.users[identity])
            response, changed = _ask(scope_app, db, client, method, path, body, api)
            text_body = response.get_data(as_text=True)
            problems += [f"{method} {path} ({name}) as {identity}: {p}" for p in
                         _judge(line, identity, name, world.managers, method, response,
                                changed, text_body)]
    assert not problems, "\n" + "\n".join(problems)


def test_every_management_line_names_an_existing_endpoint():
    stale = sorted(set(ROUTES) - set(RULES))
    assert not stale, f"ROUTES names endpoints that no longer exist: {stale}"


def test_the_walk_would_see_a_route_that_forgets_the_scope(scope_app, shared):
    """The judge itself: an unscoped answer for the outside coordinator is reported."""
    line = ROUTES["network.edit_relay"]

    class Answer:
        status_code = 200

    problems = _judge(line, "outside", "relay_north", shared[1].managers, "GET", Answer(),
                      False, "Relais ZqxNord")
    assert any("expected not_found" in p for p in problems)
    assert any("ZqxNord" in p for p in problems)


