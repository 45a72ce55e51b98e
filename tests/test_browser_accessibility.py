"""Every page each role can reach, on a phone (390 px) and a wide screen (1280 px): axe-core
finds no violation, and on the phone no page moves while it loads (cumulative layout shift).

The pages are found by following the links of each role from the home page, one page per
route (the same route with another identifier is not visited twice), on the demonstration
data. axe-core is the copy bundled by axe-playwright-python: nothing is fetched at run time.
One browser and one live server serve the whole module.
"""

import re
import time
import urllib.parse

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from bienveilleurs.extensions import db
from bienveilleurs.models import Relay, User
from bienveilleurs.services import demo, invitations, relays_admin

from .conftest import PHONE, browser_login, truncate_all

pytestmark = pytest.mark.browser

ROLES = ("anonymous", "relay", "coordinator", "social_worker", "admin", "observer")
# The first demo account of each role (the city-wide coordinator, not the one of the north).
ACCOUNTS = {}
for email, role, _, password, _ in demo.ACCOUNTS:
    ACCOUNTS.setdefault(role.value, (email, password))
MAX_CLS = 0.05
SETTLE_S = 0.3  # after the load event: what the page's scripts fetch and draw (outbox, maps)
MAX_PAGES = 60  # per role: a guard against a crawl that never ends

# Not pages: files, the API, vendored scripts, and links that act (sign-out is a form).
SKIPPED = re.compile(r"^/(api|hsds|static|vendor)/|\.(pdf|csv|json|js|webmanifest)$|^/healthz")
IDENTIFIER = re.compile(r"/([0-9a-f]{8}-[0-9a-f-]{27}|\d+)(?=/|$)")

# States a crawl does not reach: the phone's menu open, a confirmation open.
MENU = ("/", "[data-site-menu] > summary")
STATES = {
    "relay": [MENU],
    "coordinator": [MENU, ("/coordination/a-attribuer", "details.confirm > summary")],
    "social_worker": [MENU],
    "admin": [MENU],
    "observer": [MENU],
}

# Counts every layout-shift entry from the start of the navigation (buffered), including
# those with hadRecentInput: headless Chromium may set it after a navigation.
CLS_OBSERVER = """
window.__layoutShift = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.__layoutShift += entry.value;
}).observe({type: "layout-shift", buffered: true});
"""


def route_of(path):
    """The route a link leads to: identifiers replaced, query parameters' names only."""
    parts = urllib.parse.urlsplit(path)
    names = sorted(urllib.parse.parse_qs(parts.query))
    return IDENTIFIER.sub("/<id>", parts.path) + ("?" + "&".join(names) if names else "")


def local_links(page, origin):
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = []
    for href in hrefs:
        parts = urllib.parse.urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIPPED.search(parts.path):
            found.append(path)
    return found


@pytest.fixture(scope="module")
def demo_data(app):
    """The demonstration data, committed for the live server, emptied afterwards; as in
    development without a mail server (the kept e-mails' page exists), with an invitation
    pending and a relay paused (the journal and the e-mails have rows to show)."""
    truncate_all(app)
    previous = app.config["ENV_NAME"]
    app.config["ENV_NAME"] = "development"
    with app.app_context():
        demo.load()
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        invitations.invite(admin, email="nouvelle@demo.bienveilleurs.fr", role="relay",
                           display_name="Nina Nouvelle")
        relay = db.session.scalars(select(Relay).order_by(Relay.display_name)).first()
        relays_admin.set_status(admin, relay.id, "paused")
    yield
    app.config["ENV_NAME"] = previous
    truncate_all(app)


@pytest.fixture(scope="module")
def axe():
    return Axe()


def sign_in(page, role):
    if role == "anonymous":
        return
    email, password = ACCOUNTS[role]
    browser_login(page, email, password, totp_secret=demo.DEMO_TOTP_SECRETS.get(email))
    assert "/connexion" not in page.url, f"{role} n'a pas pu se connecter"


def crawl(page, origin, start):
    """Yield each route's first page reachable from `start`, the page loaded."""
    queue, seen = list(start), set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        route = route_of(path)
        if route in seen:
            continue
        seen.add(route)
        response = page.goto(path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        yield path, response.status
        queue.extend(link for link in local_links(page, origin)
                     if route_of(link) not in seen)


def axe_violations(page, axe):
    """Run axe-core (injected once per page load) on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe.axe_script)
    return page.evaluate("axe.run({resultTypes: ['violations']}).then(r => r.violations)")


def violations_text(violations):
    return "; ".join(
        f"{v['id']} ({len(v['nodes'])}: {', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in violations)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_each_role_has_no_axe_violation_and_does_not_move(
        app, browser, live_server, demo_data, axe, role):
    # One phone context per role: each page is loaded at 390 px (axe, then the layout shift
    # since the navigation started), then widened to 1280 px and checked again, without a
    # second load.
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.add_init_script(CLS_OBSERVER)
    page = context.new_page()
    problems, shifts, visited = [], {}, []
    try:
        with app.app_context():  # the second factor's code is read from the account
            sign_in(page, role)
        start = ["/", "/aide", "/accessibilite"] + (
            ["/connexion", "/mot-de-passe-oublie", "/page-qui-n-existe-pas"]
            if role == "anonymous" else [])
        for path, status in crawl(page, live_server.url, start):
            loaded = time.monotonic()
            visited.append(path)
            if status >= 500:
                problems.append(f"{path}: statut {status}")
            for width in (390, 1280):
                page.set_viewport_size({"width": width, "height": 844})
                violations = axe_violations(page, axe)
                if violations:
                    problems.append(f"{width} px {path}: {violations_text(violations)}")
                if width == 390 and role != "anonymous":
                    page.wait_for_timeout(max(0, SETTLE_S - (time.monotonic() - loaded)) * 1000)
                    shifts[path] = page.evaluate("window.__layoutShift")
            page.set_viewport_size(PHONE["viewport"])
        for path, opener in STATES.get(role, ()):
            page.goto(path)
            page.locator(opener).first.click()
            violations = axe_violations(page, axe)
            if violations:
                problems.append(f"390 px {path} ({opener} ouvert) : {violations_text(violations)}")
    finally:
        context.close()
    print(f"\n{role}: {len(visited)} pages, à 390 et 1280 px")
    for path, value in sorted(shifts.items(), key=lambda item: -item[1])[:3]:
        print(f"  CLS {value:.3f} {path}")
    assert len(visited) >= 3
    assert problems == []
    moving = {path: round(value, 3) for path, value in shifts.items() if value > MAX_CLS}
    assert moving == {}
