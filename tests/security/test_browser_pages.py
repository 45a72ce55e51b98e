"""In headless Chromium, every page each demo role can reach (following the links from the
home page) loads with no Content-Security-Policy violation and no console error."""

from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest

from bienveilleurs.services import demo

from ..conftest import PHONE, browser_login

pytestmark = pytest.mark.browser

# Not pages to look at: downloads, the vendor map library, files.
SKIP_SUFFIXES = (".json", ".pdf", ".csv", ".geojson", ".js", ".css", ".svg", ".png", ".webmanifest")
PER_ENDPOINT = 1    # pages of the same kind (one referral or another) look alike
MAX_PAGES = 60

CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


@pytest.fixture
def demo_data(app, committed):
    with app.app_context():
        demo.load()


def _endpoint(adapter, path):
    try:
        return adapter.match(path, method="GET")[0]
    except Exception:  # noqa: BLE001 - not a page of ours (or POST only)
        return None


def _crawl(app, page, origin, email, password, totp_secret):
    """Visit the pages reachable from the home page; return (visited paths, problems)."""
    page.add_init_script(CSP_PROBE)
    browser_login(page, email, password, totp_secret=totp_secret)
    adapter = app.url_map.bind("localhost")
    queue, seen, per_endpoint, visited, problems = deque(["/"]), {"/"}, Counter(), [], []
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(origin + path)
        visited.append(path)
        status = response.status if response else 0
        if status >= 400:
            problems.append(f"{path}: HTTP {status}")
        violations = page.evaluate("window.__csp || []")
        if violations:
            problems.append(f"{path}: CSP {violations}")
        if page.console_errors:
            problems.append(f"{path}: console {page.console_errors[:]}")
            page.console_errors.clear()
        if "/connexion" in page.url and path != "/connexion":
            problems.append(f"{path}: sent back to the login page")
            break
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            target = urlsplit(urldefrag(href)[0])
            if f"{target.scheme}://{target.netloc}" != origin:
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            endpoint = _endpoint(adapter, target.path)
            if (link in seen or endpoint in (None, "static", "directory.leaflet")
                    or target.path.endswith(SKIP_SUFFIXES) or "format=pdf" in target.query
                    or per_endpoint[endpoint] >= PER_ENDPOINT):
                continue
            seen.add(link)
            per_endpoint[endpoint] += 1
            queue.append(link)
    return visited, problems


def test_every_reachable_page_is_clean(app, browser, live_server, demo_data):
    """One demo load, then each demo account crawls in its own phone-sized context."""
    report = []
    for email, role, password, totp_secret in demo.present_accounts():
        context = browser.new_context(base_url=live_server.url, **PHONE)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg, page=page:
                msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc, page=page: page.console_errors.append(str(exc)))
        try:
            visited, problems = _crawl(app, page, live_server.url, email, password,
                                       totp_secret)
        finally:
            context.close()
        assert len(visited) > 3, f"{role}: hardly any page reachable from the home page: {visited}"
        report += [f"{role} {problem}" for problem in problems]
    assert not report, "\n".join(report)
