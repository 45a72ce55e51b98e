"""Every route of the application × every role × objects inside and outside scope.

The routes are discovered from `app.url_map`, so pages added later are covered at once:
an endpoint with no line in `EXPECT` fails with a message asking for one. For each request
the harness checks the status (403/404 outside the scope, never a 500), the security
headers, `no-store` on authenticated responses, that no sentinel string a role must not
receive (names and phones of other relays' people, professional notes, relay positions…)
appears in the body (HTML, JSON or CSV), and that CSV cells never start a formula.
"""

import csv
import io
import os
import random
import re
import subprocess
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from bienveilleurs import create_app

from ..conftest import TEST_CONFIG, api_headers, sign_in
from .helpers import rolled_back_world, undone
from .world import build_world

ROLES = ("anonymous", "admin", "coordinator", "relay", "social_worker", "observer")

# Outcomes
OK = "ok"          # 2xx, or a redirect that is not to the login page
LOGIN = "login"    # anonymous: redirect to the login page (pages) or 401 (API)
DENY = "deny"      # 403 or 404, whichever objects are given
SCOPED = "scoped"  # objects of side A: ok; objects of side B: 403 or 404
ANY = "any"        # any answer but a server error or a login request (a POST with an empty body)
NONE = "none"      # no such object for anyone (random identifiers): 403 or 404
REDIRECT = "redirect"  # any redirect (logout)
TRY = "try"        # objects of side A: any answer but a server error or a login request (a POST
                   # with an empty or partial body); objects of side B: 403 or 404


@dataclass
class Route:
    """Who may do what on one endpoint. `get`/`post` map a role (or "*") to an outcome."""

    get: dict = field(default_factory=dict)
    post: dict = field(default_factory=dict)
    args: dict = field(default_factory=dict)   # path argument -> world object kind or fixed value
    json: dict = None                           # body for API POSTs (default {})
    query: dict = field(default_factory=dict)  # query string (values may be object kinds)


def signed_in(outcome, anonymous=LOGIN):
    return {"anonymous": anonymous, "*": outcome}


def only(roles, outcome=OK, others=DENY):
    table = {"anonymous": LOGIN, "*": others}
    table.update({role: outcome for role in roles})
    return table


PUBLIC = {"*": OK}
EVERYONE = signed_in(OK)
# Management of one object: admins everywhere, coordinators inside their territories (the
# world's coordinator manages side A; tests/security/test_management_scope.py walks more).
MANAGE_GET = {"anonymous": LOGIN, "*": DENY, "admin": OK, "coordinator": SCOPED}
MANAGE_POST = {"anonymous": LOGIN, "*": DENY, "admin": ANY, "coordinator": TRY}

EXPECT = {
    # --- foundation, accounts, privacy (issue 6)
    "main.home": Route(get=EVERYONE),
    "main.health": Route(get=PUBLIC),
    # The accessibility statement and the help pages (issue 17), public.
    "info.accessibility": Route(get=PUBLIC),
    "info.help_index": Route(get=PUBLIC),
    "info.help_for": Route(get=PUBLIC, args={"slug": "bienveilleur"}),
    "ops.ready": Route(get=PUBLIC),
    "ops.prometheus": Route(get={"*": NONE}),  # only with METRICS_TOKEN or from METRICS_ALLOW
    "static": Route(get=PUBLIC, args={"filename": "css/app.css"}),
    "auth.login": Route(get=PUBLIC, post={"*": ANY}),
    "auth.logout": Route(post={"*": REDIRECT}),
    "account.password": Route(get=EVERYONE, post=signed_in(ANY)),
    "api.me": Route(get=EVERYONE),
    # --- the relay's phone (issue 5): public shells without personal data, the minimal copy
    "offline.service_worker": Route(get=PUBLIC),
    "offline.manifest": Route(get=PUBLIC),
    "offline.index": Route(get=PUBLIC),
    "offline.people": Route(get=PUBLIC),
    "offline.contact": Route(get=PUBLIC),
    "offline.report": Route(get=PUBLIC),
    "api_offline.offline_copy": Route(get=only(["relay"])),
    "api.openapi": Route(get=PUBLIC),
    "privacy.resident": Route(get=only(["coordinator"], SCOPED), args={"resident_id": "resident"}),
    "privacy.export": Route(get=only(["coordinator"], SCOPED), args={"resident_id": "resident"}),
    "privacy.opposition": Route(post=only(["coordinator"], SCOPED),
                                args={"resident_id": "resident"}),
    "api_privacy.opposition": Route(post=only(["coordinator", "relay"], SCOPED),
                                    args={"resident_id": "resident"}),
    # --- referrals API (issue 4)
    "api_referrals.create_referral": Route(post=only(["coordinator", "relay"], ANY)),
    "api_referrals.show_referral": Route(
        get=only(["coordinator", "relay", "social_worker"], SCOPED),
        args={"referral_id": "referral"}),
    "api_referrals.referral_matches": Route(
        get=only(["coordinator", "relay", "social_worker"], SCOPED),
        args={"referral_id": "referral"}),
    # Sent back by the resource: a move all three may make on a referred referral.
    "api_referrals.move_referral": Route(
        post=only(["coordinator", "relay", "social_worker"], SCOPED),
        args={"referral_id": "referral"}, json={"to": "contacted", "reason": "no_answer"}),
    "api_referrals.add_contact": Route(post=only(["coordinator", "relay"], ANY),
                                       args={"referral_id": "referral"}),
    # --- evaluation (issue 19): the measure, the call-backs, the indicators; observers see
    # the indicators and nothing else
    "api_evaluation.add_measure": Route(post=only(["coordinator", "relay"], ANY),
                                        args={"referral_id": "referral"}),
    "api_evaluation.my_follow_ups": Route(get=only(["relay"])),
    "api_evaluation.indicator_table": Route(get=only(["admin", "coordinator", "observer"]),
                                            query={"from": "2026-01-01", "to": "2026-12-31"}),
    "api_evaluation.indicator_csv": Route(get=only(["admin", "coordinator", "observer"]),
                                          query={"from": "2026-01-01", "to": "2026-12-31"}),
    "relay_wellbeing.measure": Route(get=only(["relay", "coordinator"], SCOPED),
                                     post=only(["relay", "coordinator"], TRY),
                                     args={"referral_id": "referral", "moment": "baseline"}),
    "relay_wellbeing.new_need": Route(get=only(["relay"], SCOPED), post=only(["relay"], TRY),
                                      args={"referral_id": "referral"}),
    "steering.index": Route(get=only(["admin", "coordinator", "observer"])),
    "steering.export": Route(get=only(["admin", "coordinator", "observer"])),
    "steering.trend_chart": Route(get=only(["admin", "coordinator", "observer"])),
    "steering.map_chart": Route(get=only(["admin", "coordinator", "observer"])),
    "steering.report": Route(get=only(["admin", "coordinator", "observer"])),
    # --- directory (issue 3)
    "directory.leaflet": Route(get=PUBLIC, args={"filename": "leaflet.js"}),
    "directory.search": Route(get=EVERYONE),
    "directory.resource": Route(get=EVERYONE, args={"resource_id": "resource"}),
    "api_directory.create_resource": Route(post=only(["admin", "coordinator"], ANY)),
    "api_directory.create_structure": Route(post=only(["admin", "coordinator"], ANY)),
    "api_directory.register_relay": Route(post=only(["admin", "coordinator"], ANY)),
    "api_directory.get_relay": Route(get={"anonymous": LOGIN, "admin": OK, "coordinator": SCOPED,
                                          "relay": SCOPED, "social_worker": DENY,
                                          "observer": DENY},
                                     args={"relay_id": "relay"}),
    "api_directory.get_resource": Route(get=EVERYONE, args={"resource_id": "resource"}),
    "api_directory.resources_geojson": Route(get=EVERYONE,
                                             query={"bbox": "0.09,49.48,0.16,49.52"}),
    "api_directory.match": Route(get=EVERYONE, query={"lat": "49.4944", "lon": "0.1079"}),
    "hsds.services": Route(get=PUBLIC),
    "hsds.service": Route(get=PUBLIC, args={"service_id": "resource"}),
    "hsds.schema": Route(get=PUBLIC, args={"document": "compiled/service.json"}),
    "manage.index": Route(get=only(["admin", "coordinator"])),
    "manage.structures": Route(get=only(["admin", "coordinator"])),
    "manage.new_resource": Route(get=only(["admin", "coordinator"]),
                                 post=only(["admin", "coordinator"], ANY)),
    "manage.new_structure": Route(get=only(["admin", "coordinator"]),
                                  post=only(["admin", "coordinator"], ANY)),
    "manage.edit_resource": Route(get=MANAGE_GET, post=MANAGE_POST,
                                  args={"resource_id": "resource"}),
    "manage.edit_structure": Route(get=MANAGE_GET, post=MANAGE_POST,
                                   args={"structure_id": "structure"}),
    "manage.deactivate_resource": Route(post=MANAGE_POST, args={"resource_id": "resource"}),
    "manage.reactivate_resource": Route(post=MANAGE_POST, args={"resource_id": "resource"}),
    "network.relays": Route(get=only(["admin", "coordinator"])),
    "network.new_relay": Route(get=only(["admin", "coordinator"]),
                               post=only(["admin", "coordinator"], ANY)),
    "network.edit_relay": Route(get=MANAGE_GET, post=MANAGE_POST, args={"relay_id": "relay"}),
    "network.pause": Route(post=MANAGE_POST, args={"relay_id": "relay"}),
    "network.resume": Route(post=MANAGE_POST, args={"relay_id": "relay"}),
    "relays_admin.show": Route(get=MANAGE_GET, args={"relay_id": "relay"}),
    "relays_admin.end": Route(post=MANAGE_POST, args={"relay_id": "relay"}),
    "profile.edit": Route(get=only(["relay"]), post=only(["relay"], ANY)),
    # --- notifications (issue 9)
    "preferences.edit": Route(get=EVERYONE, post=signed_in(ANY)),
    "notifications_admin.index": Route(get=only(["admin"])),
    # Development without SMTP_URL only (issue 17): absent in tests and production.
    "dev_mail.index": Route(get=signed_in(DENY)),
    "jobs_admin.index": Route(get=only(["admin"])),
    "notifications_admin.show": Route(get=only(["admin"]),
                                      args={"notification_id": "notification"}),
    "notifications_admin.retry": Route(post=only(["admin"], ANY),
                                       args={"notification_id": "notification"}),
    # --- administration
    "admin.accounts": Route(get=only(["admin"])),
    "admin.account": Route(get=only(["admin"]), args={"user_id": "user"}),
    "admin.audit_log": Route(get=only(["admin"])),
    "admin.invite": Route(get=only(["admin"]), post=only(["admin"], ANY)),
    "admin.change_role": Route(post=only(["admin"], ANY), args={"user_id": "user"}),
    "admin.account_territories": Route(post=only(["admin"], ANY), args={"user_id": "user"}),
    "admin.deactivate": Route(post=only(["admin"], ANY), args={"user_id": "user"}),
    "admin.reactivate": Route(post=only(["admin"], ANY), args={"user_id": "user"}),
    "admin.resend": Route(post=only(["admin"], ANY), args={"user_id": "user"}),
    "admin.territories": Route(get=only(["admin"]), post=only(["admin"], ANY)),
    "admin.territory": Route(get=only(["admin"]), post=only(["admin"], ANY),
                             args={"territory_id": "territory"}),
    "admin.territory_outline": Route(post=only(["admin"], ANY), args={"territory_id": "territory"}),
    "admin.new_territory": Route(get=only(["admin"]), post=only(["admin"], ANY)),
    "structure_merge.merge": Route(get=MANAGE_GET, post=MANAGE_POST,
                                   args={"structure_id": "structure"}),
    "admin.outside": Route(get=only(["admin", "coordinator"])),
    "coverage.index": Route(get=only(["admin", "coordinator"])),
    "imports.index": Route(get=only(["admin"]), post=only(["admin"], ANY)),
    "imports.preview": Route(get=only(["admin"], ANY)),
    "imports.confirm": Route(post=only(["admin"], ANY)),
    "imports.cancel": Route(post=only(["admin"], ANY)),
    # A one-time link is checked, its row id kept in the session, the page shown without it.
    "invitations.accept_link": Route(get={"*": NONE}, args={"token": "bad-token"}),
    "invitations.reset_link": Route(get={"*": NONE}, args={"token": "bad-token"}),
    "invitations.accept": Route(get={"*": NONE}, post={"*": NONE}),
    "invitations.reset": Route(get={"*": NONE}, post={"*": NONE}),
    "invitations.forgot": Route(get={"*": ANY}, post={"*": ANY}),
    "tokens.index": Route(get=EVERYONE, post=signed_in(ANY)),
    # --- one's own account, the second factor, one's own data (issue 14)
    "account.index": Route(get=EVERYONE),
    # Without a password given first, the code step sends back to the login page.
    "auth.code": Route(get={"*": REDIRECT}, post={"*": REDIRECT}),
    "two_factor.index": Route(get=EVERYONE),
    "two_factor.enrol": Route(get=EVERYONE, post=signed_in(ANY)),
    "two_factor.renew": Route(post=signed_in(ANY)),
    "two_factor.disable": Route(post=signed_in(ANY)),
    "my_data.show": Route(get=EVERYONE),
    "my_data.export": Route(get=EVERYONE),
    # --- referral pages (issue 4 pages, issue 5 phone)
    "relay.report": Route(get=only(["relay", "coordinator"]),
                          post=only(["relay", "coordinator"], ANY)),
    "relay.my_people": Route(get=only(["relay"])),
    "relay.referral": Route(get=only(["relay"], SCOPED), args={"referral_id": "referral"}),
    "relay.contact": Route(get=only(["relay"], SCOPED), post=only(["relay"], TRY),
                           args={"referral_id": "referral"}),
    "relay.orient": Route(get=only(["relay"], SCOPED), post=only(["relay"], TRY),
                          args={"referral_id": "referral"}),
    "relay.move": Route(post=only(["relay"], TRY),
                        args={"referral_id": "referral", "to": "contacted"}),
    "referral_corrections.correct": Route(get=only(["relay", "coordinator"], SCOPED),
                                         post=only(["relay", "coordinator"], TRY),
                                         args={"referral_id": "referral"}),
    "coordination.inbox": Route(get=only(["coordinator"])),
    "coordination.stale": Route(get=only(["coordinator"])),
    "coordination.map": Route(get=only(["coordinator"])),
    "coordination.referral": Route(get=only(["coordinator"], SCOPED),
                                   args={"referral_id": "referral"}),
    "coordination.move": Route(post=only(["coordinator"], TRY),
                               args={"referral_id": "referral", "to": "contacted"}),
    "coordination.assign": Route(post=only(["coordinator"], TRY), args={"referral_id": "referral"}),
    "coordination.refer": Route(post=only(["coordinator"], TRY), args={"referral_id": "referral"}),
    "structure.referrals": Route(get=only(["social_worker"])),
    "structure.referral": Route(get=only(["social_worker"], SCOPED),
                                args={"referral_id": "referral"}),
    "structure.move": Route(post=only(["social_worker"], TRY),
                            args={"referral_id": "referral", "to": "contacted"}),
    # --- structure members, booklets (issue 3)
    "structure_members.index": Route(get=MANAGE_GET, args={"structure_id": "structure"}),
    "structure_members.add": Route(post=MANAGE_POST, args={"structure_id": "structure"}),
    "structure_members.remove": Route(post=MANAGE_POST,
                                      args={"structure_id": "structure", "user_id": "user"}),
    "structure_members.contact": Route(post=MANAGE_POST, args={"structure_id": "structure"}),
    "booklets.index": Route(get=only(["coordinator", "relay", "social_worker"])),
    "booklets.neighbourhood": Route(get=only(["coordinator", "relay", "social_worker"]),
                                    query={"territoire": "territory"}),
    "booklets.around_point": Route(post=only(["coordinator", "relay", "social_worker"], ANY)),
    "booklets.near_you": Route(get=only(["coordinator", "relay", "social_worker"]),
                               post=only(["coordinator", "relay", "social_worker"], ANY)),
    # --- becoming a relay (issue 21): the public page, the candidate's links, management
    "candidacy_public.page": Route(get=PUBLIC, post={"*": ANY}),
    "candidacy_public.thanks": Route(get=PUBLIC),
    "api_candidacies.submit": Route(post={"*": ANY}),
    # Without a link opened first, nothing is shown (404), whoever asks.
    "candidacy_public.open_link": Route(get={"*": NONE}, args={"token": "bad-token"}),
    "candidacy_public.mine": Route(get={"*": NONE}),
    "candidacy_public.confirm": Route(post={"*": NONE}),
    "candidacy_public.withdraw": Route(post={"*": NONE}),
    "candidacy_public.erase": Route(post={"*": NONE}),
    "candidacy_public.export": Route(get={"*": NONE}),
    "candidacy_public.open_charter_link": Route(get={"*": NONE}, args={"token": "bad-token"}),
    "candidacy_public.sign_charter": Route(get={"*": NONE}, post={"*": NONE}),
    "candidacies.index": Route(get=only(["admin", "coordinator"])),
    "candidacies.show": Route(get=MANAGE_GET, args={"candidacy_id": "candidacy"}),
    "candidacies.move": Route(post=MANAGE_POST, args={"candidacy_id": "candidacy",
                                                      "to": "withdrawn"}),
    "candidacies.note": Route(post=MANAGE_POST, args={"candidacy_id": "candidacy"}),
    "candidacies.sign_charter": Route(post=MANAGE_POST, args={"candidacy_id": "candidacy"}),
    "candidacies.charter_link": Route(post=MANAGE_POST, args={"candidacy_id": "candidacy"}),
    "candidacies.activate": Route(get=MANAGE_GET, post=MANAGE_POST,
                                  args={"candidacy_id": "candidacy"}),
    "trainings.index": Route(get=only(["admin", "coordinator"]),
                             post=only(["admin", "coordinator"], ANY)),
    "trainings.show": Route(get=MANAGE_GET, args={"session_id": "training"}),
    "trainings.invite": Route(post=MANAGE_POST, args={"session_id": "training"}),
    "trainings.attendance": Route(post=MANAGE_POST, args={"session_id": "training",
                                                          "participant_id": "participant"}),
    "charter.publish": Route(get=only(["admin"]), post=only(["admin"], ANY)),
    "charter.unsigned": Route(get=only(["admin", "coordinator"])),
    "charter.read": Route(get=only(["relay"]), post=only(["relay"], ANY)),
    "relay_import.index": Route(get=only(["admin"]), post=only(["admin"], ANY)),
    "relay_import.preview": Route(get=only(["admin"], ANY)),
    "relay_import.confirm": Route(post=only(["admin"], ANY)),
    "relay_import.cancel": Route(post=only(["admin"], ANY)),
    "tokens.revoke": Route(post={"anonymous": LOGIN, "*": DENY, "relay": SCOPED},
                           args={"token_id": "token"}),
    # --- a structure's one-time link (issue 23): public pages, opened by the secret of the
    # e-mail, then by the link's row id held in the session (none here: 404 for everyone)
    "structure_link.open": Route(get={"*": NONE}, args={"token": "bvl_bad-token"}),
    "structure_link.referral": Route(get={"*": NONE}, args={"referral_id": "referral"}),
    "structure_link.move": Route(post={"*": NONE},
                                 args={"referral_id": "referral", "to": "accepted"}),
    # The coordinator's buttons on the referral page: their territories only.
    "structure_link.resend": Route(post=only(["coordinator"], TRY),
                                   args={"referral_id": "referral"}),
    "structure_link.disable": Route(post=only(["coordinator"], TRY),
                                    args={"referral_id": "referral"}),
    # --- the watch register and check-in campaigns (issue 20); the world holds no campaign
    # (random identifiers): tests/test_campaigns.py walks their scope with two territories.
    "watch.person": Route(get=only(["coordinator", "relay"], SCOPED),
                          post=only(["coordinator", "relay"], TRY),
                          args={"resident_id": "resident"}),
    "watch.remove": Route(post=only(["coordinator", "relay"], TRY),
                          args={"resident_id": "resident"}),
    "watch.register": Route(get=only(["coordinator", "admin"])),
    "watch.register_csv": Route(get=only(["admin"])),
    "api_campaigns.watch": Route(post=only(["coordinator", "relay"], TRY),
                                 args={"resident_id": "resident"}),
    "api_campaigns.unwatch": Route(),
    "api_campaigns.watch_register_csv": Route(get=only(["admin"])),
    "api_campaigns.launch": Route(post=only(["coordinator"], ANY)),
    "api_campaigns.preview": Route(post=only(["coordinator"], ANY)),
    "api_campaigns.list_campaigns": Route(get=EVERYONE),
    "api_campaigns.show": Route(get=signed_in(DENY)),
    "api_campaigns.checks": Route(get=signed_in(DENY)),
    "api_campaigns.outcome_csv": Route(get=signed_in(DENY)),
    "api_campaigns.assign": Route(post=signed_in(DENY)),
    "api_campaigns.call": Route(post=signed_in(DENY)),
    "api_campaigns.close": Route(post=signed_in(DENY)),
    "campaigns.index": Route(get=only(["coordinator"]), post=only(["coordinator"], ANY)),
    "campaigns.board": Route(get=signed_in(DENY)),
    "campaigns.assign": Route(post=signed_in(DENY)),
    "campaigns.refer": Route(post=signed_in(DENY)),
    "campaigns.close": Route(post=signed_in(DENY)),
    "campaigns.add_registered": Route(post=signed_in(DENY)),
    "campaigns.outcome_csv": Route(get=signed_in(DENY)),
    "relay_campaigns.call": Route(post=signed_in(DENY)),
}


def _rules():
    """Endpoint -> methods, from a throwaway application (collection time, no database)."""
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    rules = {}
    for rule in application.url_map.iter_rules():
        rules.setdefault(rule.endpoint, set()).update(rule.methods & {"GET", "POST"})
    return rules


RULES = _rules() if os.environ.get("DATABASE_URL") else {}
ENDPOINTS = sorted(RULES)


@pytest.fixture(scope="module")
def shared(app):
    """One world for the whole module, in a transaction rolled back at the end (as `db` does
    per test): building it takes a second, and every case only reads it or undoes its POST."""
    with rolled_back_world(app, build_world) as shared_world:
        yield shared_world


@pytest.fixture
def world(shared):
    return shared[1]


@pytest.fixture
def db(shared):
    return shared[0]


@pytest.fixture
def harness_app(app, monkeypatch):
    # The role checks must answer before CSRF does, so that POSTs reach the views.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return app


def _clients(app, world):
    clients = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        clients[role] = sign_in(app.test_client(), world.users[role])
    return clients


def _fill(rule, route, world, side):
    """Path values: world objects of `side` ("A", "B"), or random identifiers ("random")."""
    values = {}
    for name in rule.arguments:
        kind = route.args.get(name)
        integer = type(rule._converters[name]).__name__ == "IntegerConverter"
        if kind in world.objects:
            value = world.value(kind, side) if side != "random" else None
        else:
            value = kind  # a fixed value ("css/app.css"), or None: random
        if value is None:
            value = random.randint(10**8, 10**9) if integer else uuid.uuid4()
        values[name] = str(value)
    return values


def _path(app, rule, values, query):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values, **query)


@dataclass
class Check:
    endpoint: str
    method: str
    role: str
    path: str
    expected: str
    app: object = None
    status: int = 0
    problems: list = field(default_factory=list)


def _is_login_redirect(response):
    return (response.status_code in (301, 302, 303)
            and "/connexion" in response.headers.get("Location", ""))


# Endpoints deliberately cached for the phone's offline shell (docs/privacy.md, "L'exception au
# no-store"): every other authenticated response must be `Cache-Control: no-store`.
NO_STORE_EXCEPTIONS = set()

# Blueprints whose pages are about residents and referrals: their forms never send a person's
# position or identity in a query string (GET forms end up in histories, logs and referrers).
RESIDENT_BLUEPRINTS = {"relay", "coordination", "structure", "privacy", "api_referrals",
                       "api_privacy"}
PERSONAL_FIELDS = {"lat", "lon", "latitude", "longitude", "first_name", "pseudonym", "phone",
                   "address", "adresse", "resident", "name"}


class _Forms(HTMLParser):
    """Collect (method, action, [input names]) of every form of a page."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = ((attrs.get("method") or "get").lower(), attrs.get("action") or "", [])
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current and attrs.get("name"):
            self._current[2].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _form_endpoint(app, action, page_path):
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(action or page_path).path, method="GET")
    except Exception:  # noqa: BLE001 - an action that only accepts POST, or elsewhere
        return None
    return endpoint


def _judge_status(check, response):
    """The answer the role should get for these objects, and never a server error."""
    status, problems, expected = check.status, check.problems, check.expected
    if status >= 500:
        problems.append(f"server error {status}")
    if expected == OK and not (200 <= status < 400 and not _is_login_redirect(response)):
        problems.append(f"expected success, got {status}")
    elif expected == LOGIN and not (_is_login_redirect(response) or status == 401):
        problems.append(f"expected a login request, got {status}")
    elif expected in (DENY, NONE) and status not in (403, 404, 410):
        problems.append(f"expected 403/404, got {status}")
    elif (expected == ANY and (_is_login_redirect(response) or status == 401)
          and check.role != "anonymous"):
        problems.append(f"signed-in role asked to log in ({status})")
    elif expected == REDIRECT and status not in (301, 302, 303):
        problems.append(f"expected a redirect, got {status}")


def _judge_security_headers(check, response):
    """CSP, nosniff and a referrer policy on every answer."""
    headers, problems = response.headers, check.problems
    if "default-src 'self'" not in headers.get("Content-Security-Policy", ""):
        problems.append("no CSP")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if not headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")


def _judge_no_store(check, response, static):
    """Authenticated answers are never kept by a cache (static files, public pages and the
    listed exceptions aside)."""
    cached = static or check.endpoint in NO_STORE_EXCEPTIONS
    public = EXPECT[check.endpoint].get.get("anonymous", EXPECT[check.endpoint].get.get("*")) == OK
    if (check.role != "anonymous" and not cached and not public and check.status < 400
            and not _is_login_redirect(response)):
        if "no-store" not in response.headers.get("Cache-Control", ""):
            check.problems.append("authenticated response without Cache-Control: no-store")


def _judge_leaks(check, body, world):
    """No sentinel string the role must not receive appears in the body.

    Not right after a digit: a position's "0.1371" is no leak inside a time's "…:10.137123".
    """
    for name in world.forbidden[check.role]:
        for sentinel in world.sentinels[name]:
            if re.search(r"(?<!\d)" + re.escape(sentinel), body):
                check.problems.append(f"leaks {name} ({sentinel!r})")


def _judge_get_forms(check, response, body):
    """No GET form of a page sends a person's position or identity to a resident route."""
    if "text/html" not in response.headers.get("Content-Type", "") or check.status >= 400:
        return
    parser = _Forms()
    parser.feed(body)
    for method, action, names in parser.forms:
        if method != "get":
            continue
        endpoint = _form_endpoint(check.app, action, check.path) or ""
        personal = PERSONAL_FIELDS & set(names)
        if endpoint.split(".")[0] in RESIDENT_BLUEPRINTS and personal:
            check.problems.append(f"GET form to {endpoint} sends {sorted(personal)} in the URL")


def _starts_formula(cell):
    return cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not cell[1:2].isdigit())


def _judge_csv(check, response, body):
    """No CSV cell starts a formula."""
    if "csv" not in response.headers.get("Content-Type", ""):
        return
    for row in csv.reader(io.StringIO(body.lstrip("\ufeff"), newline=""),
                          delimiter=";" if body.count(";") > body.count(",") else ","):
        for cell in row:
            if _starts_formula(cell):
                check.problems.append(f"CSV cell starts a formula: {cell[:30]!r}")


def _text_of(response):
    """The body as text; a PDF's text as pdftotext reads it (its streams are compressed)."""
    if response.mimetype != "application/pdf":
        return response.get_data(as_text=True)
    return subprocess.run(["pdftotext", "-", "-"], input=response.get_data(), check=True,
                          capture_output=True).stdout.decode("utf-8")


def _judge(check, response, world, api):
    """Record on `check` every problem of one answer: status, headers, leaks, forms, CSV."""
    check.status = response.status_code
    _judge_status(check, response)
    _judge_security_headers(check, response)
    static = check.endpoint in ("static", "directory.leaflet")
    _judge_no_store(check, response, static)
    body = _text_of(response) if not static else ""
    _judge_leaks(check, body, world)
    _judge_get_forms(check, response, body)
    _judge_csv(check, response, body)
    return check


def _run(harness_app, db, world, endpoint, method):
    rule = next(r for r in harness_app.url_map.iter_rules() if r.endpoint == endpoint)
    route = EXPECT[endpoint]
    table = route.get if method == "GET" else route.post
    clients = _clients(harness_app, world)
    api = rule.rule.startswith("/api/") or rule.rule.startswith("/hsds/")
    checks = []
    for role in ROLES:
        outcome = table.get(role, table.get("*"))
        if outcome is None:
            checks.append(Check(endpoint, method, role, rule.rule, "?", problems=[
                f"no expectation for role {role}"]))
            continue
        with_objects = any(kind in world.objects for kind in route.args.values())
        sides = [("A", {SCOPED: OK, TRY: ANY}.get(outcome, outcome))]
        if outcome in (SCOPED, TRY):
            sides.append(("B", DENY))
        elif outcome in (DENY, OK) and with_objects:
            sides.append(("B", outcome))
        if with_objects and outcome in (OK, SCOPED, TRY):
            sides.append(("random", NONE))  # absent objects: 404 for whoever may look
        for side, expected in sides:
            query = {name: str(world.value(v, "A")) if v in world.objects else v
                     for name, v in route.query.items()}
            path = _path(harness_app, rule, _fill(rule, route, world, side), query)
            check = Check(endpoint, method, role, path, expected, harness_app)
            headers = api_headers() if api else {}
            if method == "GET":
                response = clients[role].get(path, headers=headers)
            else:
                # Each POST is undone, so that every role meets the same world.
                client = clients[role]
                response = undone(db, lambda _, client=client, path=path, headers=headers: (
                    client.post(path, json=route.json or {}, headers=headers) if api
                    else client.post(path, data={})))
            checks.append(_judge(check, response, world, api))
    return checks


def _report(checks):
    bad = [c for c in checks if c.problems]
    return "\n".join(f"{c.method} {c.path} as {c.role} (expected {c.expected}, got {c.status}): "
                     + "; ".join(c.problems) for c in bad)


CASES = [(endpoint, method) for endpoint in ENDPOINTS for method in sorted(RULES[endpoint])]


@pytest.mark.parametrize("endpoint, method", CASES, ids=[f"{e}-{m}" for e, m in CASES])
def test_route_access_headers_and_leaks(harness_app, db, world, endpoint, method):
    rule = next(r for r in harness_app.url_map.iter_rules() if r.endpoint == endpoint)
    if endpoint not in EXPECT:
        pytest.fail(f"The endpoint {endpoint} ({rule.rule}) has no line in EXPECT in "
                    "tests/security/test_routes.py: add one saying which roles may GET/POST it "
                    "and which objects fill its path arguments.")
    route = EXPECT[endpoint]
    if not (route.get if method == "GET" else route.post):
        pytest.fail(f"EXPECT[{endpoint!r}] says nothing about {method}: add who may {method} it.")
    failures = _report(_run(harness_app, db, world, endpoint, method))
    assert not failures, "\n" + failures


def test_no_person_or_position_in_resident_route_paths(app):
    for rule in app.url_map.iter_rules():
        named = PERSONAL_FIELDS & set(rule.arguments)
        assert not named, f"{rule.rule} carries {sorted(named)} in its path"


def test_expectations_name_only_existing_endpoints():
    stale = sorted(set(EXPECT) - set(ENDPOINTS))
    assert not stale, f"EXPECT names endpoints that no longer exist: {stale}"


def test_every_page_post_needs_the_csrf_token(app, db, world):
    """CSRF: a page form posted without its token is refused (400) before any view runs."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    clients = _clients(app, world)
    refused = []
    for endpoint in ENDPOINTS:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if "POST" not in rule.methods or rule.rule.startswith(("/api/", "/hsds/")):
            continue
        route = EXPECT.get(endpoint, Route())
        role = next((r for r in ROLES[1:]
                     if route.post.get(r, route.post.get("*")) not in (DENY, None)),
                    "anonymous")
        path = _path(app, rule, _fill(rule, route, world, "A"), {})
        response = clients[role].post(path, data={})
        if response.status_code != 400 or "formulaire" not in response.get_data(as_text=True):
            refused.append(f"POST {path} as {role} without a CSRF token: {response.status_code}")
    assert not refused, "\n".join(refused)
