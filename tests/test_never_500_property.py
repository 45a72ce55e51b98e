"""Property: whatever a client sends to a write endpoint or a form, the answer is not a 500.

Hypothesis throws text (control characters, lone surrogates, unparsable addresses, long
numerals), numbers of any size and nested lists and objects at every field of every API
write (from the OpenAPI document's example bodies) and of every form the demo accounts
reach (found by reading the pages, as a browser would). Bounded by examples (the suite's
"ci" profile); HYPOTHESIS_PROFILE=thorough explores more.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bienveilleurs.models import Referral, Relay, Resource, Structure, Territory, User
from bienveilleurs.services import demo

from .conftest import api_headers, sign_in

NASTY = ["\x00", "a\x00b", "a\ud800", "\udfff", "http://[", "https://a.fr:99999999",
         "9" * 30, "-" + "9" * 5000, "1e999", "NaN", " ", "\u202e", "é" * 300]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(st.characters(codec=None), max_size=40))
SCALAR = st.one_of(TEXT, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none())
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)
SETTINGS = settings(settings.get_profile("ci"), max_examples=60,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.filter_too_much])
ACCOUNTS = {"admin": "admin@demo.bienveilleurs.fr",
            "coordinator": "coordination@demo.bienveilleurs.fr",
            "relay": "relais@demo.bienveilleurs.fr",
            "social_worker": "social@demo.bienveilleurs.fr"}


@pytest.fixture
def world(db, app):
    demo.load()
    return {role: db.scalar(select(User).where(User.email == email))
            for role, email in ACCOUNTS.items()}


def _ids(db):
    return {"{id}": str(db.scalar(select(Referral.id).limit(1)))}


def _writes(app, db):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    ids = _ids(db)
    for path, methods in document["paths"].items():
        operation = methods.get("post")
        if operation and "requestBody" in operation:
            body = operation["requestBody"]["content"]["application/json"]["example"]
            yield path.replace("{id}", ids["{id}"]), body


def _replace(body, key, value):
    changed = json.loads(json.dumps(body))
    changed[key] = value
    return changed


@SETTINGS
@given(data=st.data())
def test_api_writes_never_answer_500(app, db, world, data):
    client = app.test_client()
    sign_in(client, world["coordinator"])
    path, body = data.draw(st.sampled_from(list(_writes(app, db))), label="operation")
    shape = data.draw(st.sampled_from(["field", "new field", "whole"]), label="shape")
    if shape == "whole":
        sent = data.draw(VALUE, label="body")
    else:
        key = data.draw(st.sampled_from(sorted(body)) if shape == "field" else TEXT, label="key")
        sent = _replace(body, key, data.draw(VALUE, label="value"))
    raw = json.dumps(sent)  # lone surrogates are written as \\ud800 escapes, as a client may
    response = client.post(path, data=raw, content_type="application/json",
                           headers=api_headers())
    assert response.status_code < 500, (path, raw[:300], response.get_data(as_text=True))


class _Forms(HTMLParser):
    """The forms of a page: action, method and the names (and values) of their fields."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action"),
                          "method": (attrs.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and self._form is not None \
                and attrs.get("name") and attrs.get("type") != "file":
            self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _pages(app, db):
    """Every page without a parameter, and one of each kind with an identifier."""
    plain = [r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments
             and not r.rule.startswith(("/api/", "/hsds/", "/static", "/vendor"))]
    one = {name: db.scalar(select(model.id).limit(1)) for name, model in [
        ("referral", Referral), ("territory", Territory), ("resource", Resource),
        ("structure", Structure), ("relay", Relay)]}
    return plain + [f"/orientations/{one['referral']}/contact",
                    f"/orientations/{one['referral']}/corriger",
                    f"/orientations/{one['referral']}/orienter",
                    f"/coordination/orientations/{one['referral']}",
                    f"/orientations/{one['referral']}", f"/admin/territoires/{one['territory']}",
                    f"/gestion/ressources/{one['resource']}",
                    f"/gestion/structures/{one['structure']}",
                    f"/gestion/structures/{one['structure']}/fusion",
                    f"/gestion/structures/{one['structure']}/membres",
                    f"/reseau/bienveilleurs/{one['relay']}"]


def _forms(app, db, user):
    client = app.test_client()
    sign_in(client, user)
    found = {}
    for path in _pages(app, db):
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            fields = {k: v for k, v in form["fields"].items() if k != "csrf_token"}
            if fields:
                found[(form["action"] or path, form["method"])] = form["fields"]
    return sorted(found.items())


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_forms_never_answer_500(app, db, world, role):
    forms = _forms(app, db, world[role])
    assert forms, role

    @SETTINGS
    @given(data=st.data())
    def check(data):
        (action, method), fields = data.draw(st.sampled_from(forms), label="form")
        names = sorted(n for n in fields if n != "csrf_token")
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True),
                           label="fields")
        sent = dict(fields)
        for name in chosen:
            value = data.draw(st.one_of(TEXT, st.integers().map(str),
                                        st.floats().map(repr)), label=name)
            sent[name] = value.encode("utf-8", "surrogatepass").decode("latin-1")
        client = app.test_client()
        sign_in(client, world[role])
        body = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sent.items())
        if method == "post":
            response = client.post(action, data=body.encode("latin-1"),
                                   content_type="application/x-www-form-urlencoded")
        else:
            response = client.get(f"{action}?{body}")
        assert response.status_code < 500, (action, sent)
        if response.status_code in (400, 422):
            assert re.search(r"[àâçéèêëîïôûùüœ]", response.get_data(as_text=True))  # French

    check()


def _quote(value):
    from urllib.parse import quote
    return quote(value, safe="", encoding="latin-1")
