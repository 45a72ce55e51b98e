"""No personal data in the application log: a database error about a resident, provoked with a
sentinel in the person's name and phone, leaves no trace of them in any log record."""

import io
import logging

import pytest
from sqlalchemy import text

from bienveilleurs import logs

from ..conftest import api_headers
from ..referral_helpers import make_world, report_payload

SENTINEL = "ZqxSentinelle"
PHONE = "06 13 57 91 13"


def _everything_logged(caplog, stream):
    """Every captured record, as it would be written, and what a root handler wrote."""
    texts = [stream.getvalue(), caplog.text]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        texts += [record.getMessage(), formatter.format(record), str(record.args),
                  record.exc_text or "", record.stack_info or ""]
        if record.exc_info:
            texts.append(formatter.formatException(record.exc_info))
    return "\n".join(texts)


@pytest.fixture
def root_stream():
    """A handler on the root logger, as production's console handler is."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def test_a_database_error_about_a_resident_logs_no_personal_data(app, db, client_as, caplog,
                                                                 root_stream):
    world = make_world()
    # A constraint the report breaks: PostgreSQL's message then repeats the failing row.
    db.execute(text(f"ALTER TABLE residents ADD CONSTRAINT sentinel_refused "
                    f"CHECK (first_name <> '{SENTINEL}')"))
    caplog.set_level(logging.DEBUG)
    payload = report_payload(resident={"first_name": SENTINEL, "phone": PHONE,
                                       "lat": 49.4944, "lon": 0.1079})
    response = client_as(world.relay_user).post("/api/v1/referrals", json=payload,
                                                headers=api_headers())
    assert response.status_code == 500
    assert SENTINEL not in response.get_data(as_text=True)

    logged = _everything_logged(caplog, root_stream)
    # The error was logged, usefully: where, and which constraint.
    assert "unexpected error on POST /api/v1/referrals" in logged
    assert "sentinel_refused" in logged and "23514" in logged
    for secret in (SENTINEL, PHONE, PHONE.replace(" ", ""), "49.4944", "0.1079"):
        assert secret not in logged, secret


def test_engine_hides_bound_parameters(app):
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True


def test_an_exception_passed_as_an_argument_is_made_safe(caplog):
    caplog.set_level(logging.INFO)
    log = logging.getLogger("bienveilleurs.test")
    try:
        int(SENTINEL)
    except ValueError as exc:
        log.warning("parsing failed: %s", exc)
        log.error(exc)
        log.exception("while reading")
    assert caplog.records and SENTINEL not in caplog.text
    assert "ValueError" in caplog.text


def test_the_development_server_logs_no_query_string(caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "now",
                                       "GET /recherche?adresse=12+rue+Sentinelle HTTP/1.1",
                                       200, "-")
    assert "Sentinelle" not in caplog.text and "GET /recherche?… HTTP/1.1" in caplog.text


def test_safe_text_keeps_what_helps_and_nothing_else():
    assert logs.safe_text(ConnectionRefusedError(111, "Connection refused")) == (
        "ConnectionRefusedError: [Errno 111] Connection refused")
    assert SENTINEL not in logs.safe_text(KeyError(SENTINEL))
    assert "AttributeError: 'NoneType'" in logs.safe_text(
        AttributeError("'NoneType' object has no attribute 'point'"))
