"""A logged read leaves exactly one committed access-log row, whether the file is read
through a page, the API or the command line: the service that reads it is the use case
that commits the row. Checked on real commits, from a connection of its own (inside the
usual rolled-back outer transaction, an uncommitted row would look the same)."""

import contextvars

import pytest
from sqlalchemy import text

from bienveilleurs.extensions import db

from ..conftest import api_headers, sign_in
from ..referral_helpers import make_world, new_referral

pytestmark = pytest.mark.committed


def committed_reads(action):
    """(user id, object type, object id) of the rows another connection sees for `action`."""
    with db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT user_id, object_type, object_id FROM access_log WHERE action = :action"),
            {"action": action}).all()


@pytest.fixture
def followed(app, committed):
    """A coordinator and a referral in their scope, committed."""
    world = make_world()
    referral = new_referral(world)
    committed.commit()
    return world.coordinator, referral


def test_a_page_read_commits_its_access_log_row(app, followed):
    coordinator, referral = followed
    client = sign_in(app.test_client(), coordinator)
    assert client.get(f"/personnes/{referral.resident_id}").status_code == 200
    assert committed_reads("resident.read") == [
        (coordinator.id, "resident", referral.resident_id)]


def test_an_api_read_commits_its_access_log_row(app, followed):
    coordinator, referral = followed
    client = sign_in(app.test_client(), coordinator)
    response = client.get(f"/api/v1/referrals/{referral.id}", headers=api_headers())
    assert response.status_code == 200
    assert committed_reads("referral.read") == [(coordinator.id, "referral", referral.id)]


def test_a_command_line_export_commits_its_access_log_row(app, followed):
    # Run as `flask` does: in an application context of its own, not the test's.
    result = contextvars.Context().run(app.test_cli_runner().invoke,
                                       args=["resources", "export", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert committed_reads("export") == [(None, "resources", None)]
