"""Development without a mail server: an invitation is kept, not sent, and an administrator
reads it in « E-mails de développement » and follows its link, on whatever port serves the
app. Elsewhere (tests, production, or a mail server configured) the page does not exist."""

import contextlib
import html
import logging
import re

import pytest

from .test_administration import csrf, post_form

PAGE = "/admin/e-mails-de-developpement/"


@contextlib.contextmanager
def environment(app, name, smtp=""):
    previous = app.config["ENV_NAME"], app.config["SMTP_URL"]
    app.config["ENV_NAME"], app.config["SMTP_URL"] = name, smtp
    try:
        yield
    finally:
        app.config["ENV_NAME"], app.config["SMTP_URL"] = previous


def invite(admin, email):
    return post_form(admin, "/admin/comptes/inviter", {
        "email": email, "display_name": "Nina", "role": "relay"}, follow_redirects=True)


def test_in_development_an_admin_reads_the_invitation_and_its_link_opens_it(app, client_as,
                                                                               client, caplog):
    admin = client_as("admin")
    with environment(app, "development"), caplog.at_level(logging.INFO):
        done = invite(admin, "nina@test.bienveilleurs.fr").get_data(as_text=True)
        # Also printed where the server runs (make run's output).
        printed = [r.getMessage() for r in caplog.records if "E-mail gardé" in r.getMessage()]
        assert len(printed) == 1 and "nina@test.bienveilleurs.fr" in printed[0]
        assert "/invitation/" in printed[0]
        assert "Invitation préparée pour nina@test.bienveilleurs.fr" in html.unescape(done)
        assert f'href="{PAGE}"' in admin.get("/").get_data(as_text=True)  # in the menu
        page = admin.get(PAGE)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
    assert "Invitation à rejoindre Bienveilleurs" in text and "nina@test.bienveilleurs.fr" in text
    # The link is clickable, as a path of this server (BASE_URL's port may not be the one used).
    links = re.findall(r'<a href="(/invitation/[^"]+)">(http://[^<]+)</a>', text)
    assert len(links) == 1 and links[0][1].endswith(links[0][0])
    opened = client.get(links[0][0], follow_redirects=True)
    assert opened.status_code == 200
    assert "nina@test.bienveilleurs.fr" in opened.get_data(as_text=True)
    assert csrf(opened.get_data(as_text=True))


@pytest.mark.parametrize("name, smtp", [("test", ""), ("production", ""),
                                        ("development", "smtp://127.0.0.1:2525")])
def test_elsewhere_the_page_does_not_exist_and_the_invitation_says_sent(app, client_as, name,
                                                                          smtp):
    admin = client_as("admin")
    with environment(app, name, smtp):
        done = invite(admin, "nina@test.bienveilleurs.fr").get_data(as_text=True)
        assert "Invitation envoyée à nina@test.bienveilleurs.fr" in html.unescape(done)
        assert admin.get(PAGE).status_code == 404
        assert PAGE not in admin.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "relay", "social_worker"])
def test_only_administrators_read_the_kept_e_mails(app, client_as, role):
    with environment(app, "development"):
        assert client_as(role).get(PAGE).status_code == 403
