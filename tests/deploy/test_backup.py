"""Backups that restore: fill a database, back it up (encrypted with age), erase a person
after the backup, restore into a fresh database: the app serves the same answers, and the
person erased after the backup stays erased. Mismatches are refused."""

import json
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from bienveilleurs import clock
from bienveilleurs.extensions import db as _db
from bienveilleurs.models import ErasedId, ReferralEvent, Resident
from bienveilleurs.services import accounts, privacy

from ..conftest import api_headers
from ..referral_helpers import LAT, LON, bring_to, make_world, new_referral
from ..security.helpers import make_app
from .conftest import dispose, run, tool

pytestmark = pytest.mark.committed


def answers(app, tokens, referral_ids):
    """What the app answers to a few reads that cover the data: the same after a restore."""
    client = app.test_client()
    coordinator, relay = (api_headers(t) for t in tokens)
    seen = {
        "match": client.get(f"/api/v1/match?lat={LAT}&lon={LON}&categories=sante",
                            headers=coordinator).get_json(),
        "hsds": client.get("/hsds/services").get_json(),
        "bbox": client.get("/api/v1/resources?bbox=0.05,49.45,0.2,49.55",
                           headers=coordinator).get_json(),
        "offline": client.get("/api/v1/me/offline", headers=relay).get_json(),
    }
    for rid in referral_ids:
        response = client.get(f"/api/v1/referrals/{rid}", headers=coordinator)
        seen[str(rid)] = (response.status_code, response.get_json())
    return seen


def closing_roles(referral_id):
    """Who closed the referral when its person opposed, as the events say."""
    return list(_db.session.scalars(select(ReferralEvent.actor_role).where(
        ReferralEvent.referral_id == referral_id, ReferralEvent.reason == "opposition")))


def _cli(app, *args):
    # Its own context: a command runs in whichever app context is current (the fixture's).
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_a_backup_restores_the_same_answers_and_never_brings_back_an_erased_person(
        app, committed, scratch_database, tmp_path, monkeypatch):
    tool("pg_dump"), tool("pg_restore")
    keygen = tool("age-keygen")
    key = tmp_path / "restore.key"
    run([keygen, "-o", str(key)])
    public = run([keygen, "-y", str(key)]).stdout.strip()
    backups = tmp_path / "sauvegardes"

    world = make_world()
    kept = bring_to(world, new_referral(world), "assigned")
    before = new_referral(world, resident={"first_name": "Bernard", "lat": LAT, "lon": LON})
    after = new_referral(world, resident={"first_name": "Colette", "lat": LAT, "lon": LON})
    privacy.oppose(world.coordinator, before.resident_id)
    tokens = (accounts.issue_token(world.coordinator.email),
              accounts.issue_token(world.relay_user.email))
    committed.commit()

    monkeypatch.setitem(app.config, "BACKUP_AGE_RECIPIENTS", public)
    monkeypatch.setitem(app.config, "BACKUP_DIR", str(backups))
    made = _cli(app, "backup", "create", str(backups))
    assert made.exit_code == 0, made.output
    assert "chiffrée (age)" in made.output
    manifest_path = next(backups.glob("bienveilleurs-*.json"))
    manifest = json.loads(manifest_path.read_text())
    dump = backups / manifest["dump"]
    assert dump.name.endswith(".dump.age") and manifest["tables"]["residents"] == 3
    assert b"Colette" not in dump.read_bytes()  # encrypted: no clear copy on the disk
    assert oct(dump.stat().st_mode & 0o777) == "0o600"

    # After the backup, Colette opposes; the journal job notes it beside the backups.
    privacy.oppose(world.coordinator, after.resident_id)
    journaled = _cli(app, "jobs", "run", "--only", "backups.erasure_journal", "--force")
    assert journaled.exit_code == 0, journaled.output
    lines = (backups / "erasures.jsonl").read_text().splitlines()
    assert {json.loads(line)["id"] for line in lines} == {str(before.resident_id),
                                                         str(after.resident_id)}
    moment = clock.now()
    with clock.frozen(moment):
        expected = answers(app, tokens, [kept.id, before.id, after.id])
    assert expected[str(kept.id)][0] == 200 and "Mireille" in json.dumps(expected)
    assert "Colette" not in json.dumps(expected) and "Bernard" not in json.dumps(expected)

    restored = make_app(scratch_database())
    try:
        refused = _cli(restored, "backup", "restore", str(dump))
        assert refused.exit_code == 1 and "donnez la clé privée" in refused.output
        done = _cli(restored, "backup", "restore", str(dump), "--identity", str(key))
        assert done.exit_code == 0, done.output
        assert "1 personne(s) effacée(s) de nouveau" in done.output
        with restored.app_context():
            colette = _db.session.get(Resident, after.resident_id)
            assert colette.erased_at is not None and colette.first_name is None
            assert _db.session.get(ErasedId, after.resident_id) is not None
            assert "Colette" not in [r.first_name for r in _db.session.scalars(select(Resident))]
        assert restored.test_client().get("/readyz").status_code == 200
        with clock.frozen(moment):
            found = answers(restored, tokens, [kept.id, before.id, after.id])
        assert found == expected
        # The same history, but the closing replayed at the restore is the system's.
        with restored.app_context():
            assert closing_roles(after.id) == ["system"]
        assert closing_roles(after.id) == ["coordinator"]
        again = _cli(restored, "backup", "restore", str(dump), "--identity", str(key))
        assert again.exit_code == 1 and "n'est pas vide" in again.output
    finally:
        dispose(restored)

    # A damaged file is refused before anything is written.
    damaged = tmp_path / "abime"
    shutil.copytree(backups, damaged)
    copy = damaged / dump.name
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    empty = make_app(scratch_database())
    try:
        bad = _cli(empty, "backup", "restore", str(copy), "--identity", str(key))
        assert bad.exit_code == 1 and "ne correspond pas à son manifeste" in bad.output
        # A manifest that does not describe the dump's rows: restored, then reported.
        wrong = dict(manifest, tables={**manifest["tables"], "residents": 4})
        (damaged / manifest_path.name).write_text(json.dumps(wrong))
        shutil.copy(dump, copy)
        mismatch = _cli(empty, "backup", "restore", str(copy), "--identity", str(key))
        assert mismatch.exit_code == 1
        assert "ne correspondent pas au manifeste (tables : residents)" in mismatch.output
    finally:
        dispose(empty)


def test_prune_deletes_old_backups_but_never_the_newest_nor_the_journal(app, tmp_path):
    def backup(stamp, days_ago):
        created = (clock.now() - timedelta(days=days_ago)).isoformat()
        (tmp_path / f"bienveilleurs-{stamp}.dump.age").write_bytes(b"x")
        (tmp_path / f"bienveilleurs-{stamp}.json").write_text(json.dumps(
            {"created_at": created, "dump": f"bienveilleurs-{stamp}.dump.age"}))

    backup("20260101T021500Z", 60)
    backup("20260120T021500Z", 36)
    backup("20260201T021500Z", 34)
    (tmp_path / "erasures.jsonl").write_text("{}\n")
    pruned = _cli(app, "backup", "prune", str(tmp_path), "--keep-days", "35")
    assert pruned.exit_code == 0 and "2 sauvegarde(s) supprimée(s)" in pruned.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bienveilleurs-20260201T021500Z.dump.age", "bienveilleurs-20260201T021500Z.json",
        "erasures.jsonl"]
    # The newest stays, however old.
    assert _cli(app, "backup", "prune", str(tmp_path), "--keep-days", "1").exit_code == 0
    assert (tmp_path / "bienveilleurs-20260201T021500Z.json").exists()
