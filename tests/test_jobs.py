"""`flask jobs run`: each due job once per slot across runners, failures recorded, due-ness
by the injectable clock, the lease of a runner that died, the admin page and the command."""

import threading
import time as systime
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bienveilleurs import clock
from bienveilleurs.models import ReferralEvent, ScheduledJob
from bienveilleurs.services import jobs
from bienveilleurs.services.jobs.registry import JOBS, Job
from bienveilleurs.services.jobs.runner import _claim

from .referral_helpers import bring_to, make_world, new_referral


def paris(*args):
    return datetime(*args, tzinfo=clock.PARIS)


class Calls:
    """Test jobs that count their calls (thread-safe)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}

    def job(self, name, *, fail=False, pause=0.0, **schedule):
        def function():
            with self.lock:
                self.counts[name] = self.counts.get(name, 0) + 1
            systime.sleep(pause)
            if fail:
                raise RuntimeError("le serveur de test a refusé")
            return {"done": 1}
        schedule = schedule or {"every": timedelta(minutes=1)}
        return Job(name, function, f"Tâche {name}", **schedule)


def _rows():
    return {row.name: row for row in select_rows()}


def select_rows():
    from bienveilleurs.extensions import db
    db.session.expire_all()
    return db.session.scalars(select(ScheduledJob)).all()


@pytest.mark.committed
def test_two_runners_at_once_run_each_due_job_once_and_a_failure_stops_nothing(app, committed):
    t0 = paris(2026, 5, 4, 9, 0)
    with clock.frozen(t0 - timedelta(days=20)):
        world = make_world()
        referral = bring_to(world, new_referral(world), "referred")  # no answer for 20 days
        committed.commit()
    calls = Calls()
    test_jobs = [calls.job("a.slow", pause=0.3), calls.job("b.broken", fail=True),
                 calls.job("c.after_the_failure")]
    every_job = [*jobs.discover().values(), *test_jobs]
    with clock.frozen(t0):
        first = jobs.run_due(jobs=every_job)
    # Seen for the first time: registered, and each waits for its next slot.
    assert {r.outcome for r in first} == {"skipped"} and calls.counts == {}
    assert set(_rows()) == {job.name for job in every_job}

    results, barrier = [], threading.Barrier(2)

    def runner(owner):
        with app.app_context():
            barrier.wait()
            results.extend(jobs.run_due(jobs=every_job, owner=owner))

    with clock.frozen(t0 + timedelta(days=1)):  # 9:00 the next day: every job is due
        threads = [threading.Thread(target=runner, args=(f"machine-{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(results) == 2 * len(every_job)
    for job in every_job:
        outcomes = sorted(r.outcome for r in results if r.name == job.name)
        expected = "failed" if job.name == "b.broken" else "ok"
        assert outcomes == sorted([expected, "skipped"]), (job.name, outcomes)
    assert calls.counts == {"a.slow": 1, "b.broken": 1, "c.after_the_failure": 1}
    rows = _rows()
    assert all(row.runs_total == 1 and row.lease_owner is None for row in rows.values())
    broken = rows["b.broken"]
    assert broken.last_outcome == "failed" and broken.failures_total == 1
    # Its kind and where, never its message (logs.safe_text): it could quote someone's data.
    assert broken.last_error.startswith("RuntimeError: message non journalisé")
    assert "le serveur de test a refusé" not in broken.last_error
    assert "test_jobs.py:" in broken.last_error
    assert rows["c.after_the_failure"].last_outcome == "ok"
    assert rows["referrals.expire"].last_summary == 1
    assert rows["a.slow"].last_duration_ms >= 300
    # The real expiry job sent the referral back once, not twice.
    expired = committed.scalar(select(func.count()).select_from(ReferralEvent).where(
        ReferralEvent.referral_id == referral.id, ReferralEvent.reason == "expired"))
    assert expired == 1


def _run(test_jobs, at):
    with clock.frozen(at):
        return {r.name: r.outcome for r in jobs.run_due(jobs=test_jobs)}


def test_due_ness_follows_the_clock_daily_in_the_city_time_zone_and_by_slots(db):
    calls = Calls()
    daily = calls.job("digest", daily_at=time(7, 30))
    quarter = calls.job("quarter", every=timedelta(minutes=15))
    both = [daily, quarter]
    assert _run(both, paris(2026, 3, 28, 6, 0)) == {"digest": "skipped", "quarter": "skipped"}
    assert _run(both, paris(2026, 3, 28, 6, 14, 59))["quarter"] == "skipped"
    assert _run(both, paris(2026, 3, 28, 6, 15))["quarter"] == "ok"
    assert _run(both, paris(2026, 3, 28, 6, 29, 59))["quarter"] == "skipped"
    assert _run(both, paris(2026, 3, 28, 6, 30, 1))["quarter"] == "ok"
    assert _run(both, paris(2026, 3, 28, 7, 29, 59))["digest"] == "skipped"
    assert _run(both, paris(2026, 3, 28, 7, 30))["digest"] == "ok"
    assert _run(both, paris(2026, 3, 28, 7, 31))["digest"] == "skipped"
    assert _run(both, paris(2026, 3, 28, 23, 59))["digest"] == "skipped"
    # The next day clocks go forward (summer time): 7:30 in Paris is now 5:30 UTC, not 6:30.
    assert _run(both, paris(2026, 3, 29, 7, 29))["digest"] == "skipped"
    assert _run(both, paris(2026, 3, 29, 7, 30))["digest"] == "ok"
    # The quarter-hourly job also ran in each new slot: 7:15, 7:30, 23:45, then 7:15 and 7:30.
    assert calls.counts == {"quarter": 7, "digest": 2}
    assert daily.next_slot(paris(2026, 3, 29, 7, 30)) == paris(2026, 3, 30, 7, 30)
    assert quarter.next_slot(paris(2026, 3, 29, 7, 31)) == paris(2026, 3, 29, 7, 45)


def test_a_failed_job_is_retried_within_its_slot_and_a_dead_runners_lease_expires(db):
    calls = Calls()
    broken = calls.job("broken", fail=True, daily_at=time(3, 30))
    _run([broken], paris(2026, 6, 1, 1, 0))  # registered
    assert _run([broken], paris(2026, 6, 1, 3, 30)) == {"broken": "failed"}
    assert _run([broken], paris(2026, 6, 1, 3, 35)) == {"broken": "skipped"}
    assert _run([broken], paris(2026, 6, 1, 3, 40)) == {"broken": "failed"}  # 10 min later

    healthy = calls.job("healthy", daily_at=time(3, 30))
    _run([healthy], paris(2026, 6, 1, 1, 0))
    with clock.frozen(paris(2026, 6, 1, 3, 30)):
        assert _claim(healthy, now=clock.now(), owner="a machine that died", force=False)
    # Its lease (20 minutes) holds the job, even when forced; then the job is run again.
    assert _run([healthy], paris(2026, 6, 1, 3, 45)) == {"healthy": "skipped"}
    with clock.frozen(paris(2026, 6, 1, 3, 46)):
        forced = jobs.run_due(jobs=[healthy], only=["healthy"], force=True)
    assert forced[0].outcome == "skipped"
    assert _run([healthy], paris(2026, 6, 1, 3, 50)) == {"healthy": "ok"}
    assert calls.counts == {"broken": 2, "healthy": 1}
    row = _rows()["healthy"]
    assert row.last_outcome == "ok" and row.runs_total == 1 and row.lease_until is None


def test_the_registry_refuses_an_unclear_schedule():
    with pytest.raises(ValueError):
        jobs.scheduled("x", label="x")(lambda: None)
    with pytest.raises(ValueError):
        jobs.scheduled("x", label="x", every=timedelta(seconds=30))(lambda: None)
    with pytest.raises(ValueError):
        jobs.scheduled("x", label="x", every=timedelta(minutes=1), daily_at=time(1))(lambda: None)


def test_every_feature_job_is_registered_beside_its_service():
    found = jobs.discover()
    assert {"referrals.expire", "privacy.retention", "notifications.send",
            "notifications.digest"} <= set(found)
    from bienveilleurs.services import digest, notifications, privacy, referrals
    assert found["referrals.expire"].function is referrals.expire_referrals
    assert found["privacy.retention"].function is privacy.run_retention
    assert found["notifications.send"].function is notifications.send_pending
    assert found["notifications.digest"].function is digest.enqueue_daily_digests
    assert found["notifications.digest"].daily_at == time(7, 30)
    from bienveilleurs.services import campaigns
    assert found["campaigns.deadlines"].function is campaigns.escalate_at_deadline
    assert found["campaigns.watch_lapse"].function is campaigns.lapse_entries
    from bienveilleurs.services import coverage_cache
    assert found["coverage.refresh"].function is coverage_cache.refresh


def test_jobs_run_prints_each_job_and_exits_1_when_one_failed(app, db, monkeypatch):
    calls = Calls()
    monkeypatch.setitem(JOBS, "zz.broken", calls.job("zz.broken", fail=True))
    runner = app.test_cli_runner()  # Click 8.2+: output has stdout and stderr, in order
    with clock.frozen(paris(2026, 6, 1, 12, 0)):
        first = runner.invoke(args=["jobs", "run"])
    assert first.exit_code == 0, first.output
    assert "zz.broken : pas due, ou en cours ailleurs" in first.output
    with clock.frozen(paris(2026, 6, 1, 12, 1)):
        second = runner.invoke(args=["jobs", "run"])
    assert second.exit_code == 1
    assert "zz.broken : ÉCHEC" in second.stderr
    assert "notifications.send : faite en" in second.output
    listing = runner.invoke(args=["jobs", "list"])
    assert "zz.broken — chaque minute — dernière 01/06 12:01 (échec" in listing.output
    unknown = runner.invoke(args=["jobs", "run", "--only", "nope"])
    assert unknown.exit_code == 2 and "tâche inconnue : nope" in unknown.output


def test_the_admin_page_shows_each_jobs_last_run_and_error(client_as, db, monkeypatch):
    calls = Calls()
    monkeypatch.setitem(JOBS, "zz.broken", calls.job("zz.broken", fail=True))
    _run(list(jobs.discover().values()), paris(2026, 6, 1, 12, 0))
    _run(list(jobs.discover().values()), paris(2026, 6, 1, 12, 1))
    page = client_as("admin").get("/admin/taches")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Tâches planifiées" in text and "Tâche zz.broken" in text
    assert "RuntimeError: message non journalisé" in text and "test_jobs.py:" in text
    assert "Résumé quotidien des coordinateurs" in text and "chaque jour à 07:30" in text
    assert "01/06/2026 à 12:01" in text and "Échec" in text
    for role in ("coordinator", "relay", "social_worker"):
        assert client_as(role).get("/admin/taches").status_code in (403, 404)
