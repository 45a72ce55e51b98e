"""Indicators (API.md, "Indicators"): a small scenario built by hand over two territories, a
point outside both and a month boundary; every value checked against numbers worked out
here; frozen months; small counts and the complementary suppression."""

import random
import statistics
import uuid
from datetime import datetime

import numpy as np
import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bienveilleurs import clock
from bienveilleurs.extensions import db
from bienveilleurs.models import IndicatorMonth, NetworkMilestone
from bienveilleurs.services import privacy
from bienveilleurs.services import referrals as service
from bienveilleurs.services.candidacies import milestones
from bienveilleurs.services.evaluation import indicators, measures, rollup
from bienveilleurs.services.evaluation.suppression import Cell, Row, suppress, suppress_one

from .candidacy_helpers import confirmed
from .conftest import api_headers
from .factories import make_territory, make_user
from .referral_helpers import CATEGORY, make_world

A_RING = [(0.10, 49.49), (0.12, 49.49), (0.12, 49.50), (0.10, 49.50)]
B_RING = [(0.13, 49.49), (0.15, 49.49), (0.15, 49.50), (0.13, 49.50)]
IN_A, IN_B, OUTSIDE = (0.105, 49.495), (0.14, 49.495), (0.09, 49.48)


def paris(*args):
    return datetime(*args, tzinfo=clock.PARIS)


def report(actor, at, point, *, newcomer=False, resident_id=None):
    with clock.frozen(at):
        body = {"category": CATEGORY, "consent": True}
        if resident_id:
            body["resident_id"] = str(resident_id)
        else:
            body["resident"] = {"first_name": "Personne", "lon": point[0], "lat": point[1],
                                "newcomer": newcomer}
        referral, _ = service.report(actor, body)
    return referral


def move(actor, referral, at, to, **fields):
    with clock.frozen(at):
        service.transition(actor, referral.id, to, **fields)


def contact(actor, referral, at, reached=True):
    with clock.frozen(at):
        service.log_contact(actor, referral.id, {"id": str(uuid.uuid4()), "at": at.isoformat(),
                                                 "channel": "phone", "reached": reached})


def measure(actor, referral, at, moment, scores, networks):
    with clock.frozen(at):
        body = {"id": str(uuid.uuid4()), "at": at.isoformat(), "moment": moment,
                "answered": True, "networks": networks,
                **dict(zip(("lacks_company", "left_out", "isolated"), scores, strict=True))}
        return measures.record_measure(actor, referral.id, body)


@pytest.fixture
def scenario(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_CELL", 1)  # every raw value shown
    a = make_territory(name="Quartier A", code="A", polygon=A_RING)
    b = make_territory(name="Quartier B", code="B", polygon=B_RING)
    w = make_world()
    co, relay = w.coordinator, w.relay_user
    # r1 (A): reported 10 Oct, first reached contact 23 h later, closed helped on 20 Oct,
    # baseline 9 (one network), follow-up on 20 Nov: 4 (three networks).
    r1 = report(co, paris(2026, 10, 10, 10), IN_A)
    move(co, r1, paris(2026, 10, 10, 11), "assigned", relay_id=w.relay.id)
    contact(relay, r1, paris(2026, 10, 11, 9))
    measure(relay, r1, paris(2026, 10, 11, 9, 5), "baseline", (3, 3, 3), ["family"])
    move(relay, r1, paris(2026, 10, 12, 9), "referred", resource_id=w.resource.id)
    move(co, r1, paris(2026, 10, 15, 9), "accepted")
    move(co, r1, paris(2026, 10, 20, 9), "closed", outcome="helped")
    # r2 (A): a newcomer reported at 23:30 on 31 Oct (October in Paris, November in UTC+0
    # terms would still be October: 22:30 UTC), reached 59 h later, then nothing.
    r2 = report(co, paris(2026, 10, 31, 23, 30), IN_A, newcomer=True)
    move(co, r2, paris(2026, 11, 1, 9), "assigned", relay_id=w.relay.id)
    contact(relay, r2, paris(2026, 11, 3, 10, 30))
    # r4 (A): a second need of r1's person, on 2 Nov, never taken.
    r4 = report(co, paris(2026, 11, 2, 12), IN_A, resident_id=r1.resident_id)
    # r3 (B): reported 5 Oct, a call that did not reach, closed unreachable on 6 Oct.
    r3 = report(co, paris(2026, 10, 5, 12), IN_B)
    move(co, r3, paris(2026, 10, 5, 13), "assigned", relay_id=w.other_relay.id)
    contact(w.other_relay_user, r3, paris(2026, 10, 5, 14), reached=False)
    move(co, r3, paris(2026, 10, 6, 9), "closed", outcome="unreachable")
    # r5 (outside): reported and closed as a duplicate on 10 Nov.
    r5 = report(co, paris(2026, 11, 10, 9), OUTSIDE)
    move(co, r5, paris(2026, 11, 10, 10), "closed", outcome="duplicate")
    measure(relay, r1, paris(2026, 11, 20, 15), "follow_up", (1, 2, 1),
            ["family", "friends", "neighbours"])
    # Offers to help: two confirmed in A (15 Oct, 2 Nov), one outside (3 Nov); a first
    # training attended in B on 25 Nov.
    for at, email, point in ((paris(2026, 10, 15, 12), "a1@exemple.fr", IN_A),
                             (paris(2026, 11, 2, 12), "a2@exemple.fr", IN_A),
                             (paris(2026, 11, 3, 12), "out@exemple.fr", OUTSIDE)):
        with clock.frozen(at):
            confirmed(email=email, lon=point[0], lat=point[1])
    milestones.record("first_training", uuid.uuid4(), at=paris(2026, 11, 25, 19),
                      territory_id=b.id)
    return {"a": a, "b": b, "world": w, "r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}


def table(user, start, end, **extra):
    period = indicators.Period(start, end)
    return indicators.compute(user, period, **extra)


def by_code(result):
    rows = {row.territory["code"]: row.values for row in result.rows}
    rows["all"] = result.all.values
    return rows


EXPECTED_OCT_NOV = {
    "A": {"referrals_reported": 3, "residents_reported": 2, "newcomers_reported": 1,
          "first_contact_48h_pct": 33.3, "median_hours_to_first_contact": 41.0,
          "referrals_oriented": 1, "referrals_accepted": 1, "referrals_closed": 1,
          "closed_helped": 1, "closed_unreachable": 0, "open_at_end": 2, "stale_at_end": 2,
          "relays_active": 1, "relays_new": 0, "follow_ups_due": 1, "follow_ups_done": 1,
          "wellbeing_pairs": 1, "ucla3_mean_change": -5.0, "less_lonely_pct": 100.0,
          "networks_mean_change": 2.0, "candidacies_received": 2, "relays_trained": 0},
    "B": {"referrals_reported": 1, "residents_reported": 1, "newcomers_reported": 0,
          "first_contact_48h_pct": 0.0, "median_hours_to_first_contact": None,
          "referrals_oriented": 0, "referrals_accepted": 0, "referrals_closed": 1,
          "closed_helped": 0, "closed_unreachable": 1, "open_at_end": 0, "stale_at_end": 0,
          "relays_active": 1, "relays_new": 0, "follow_ups_due": 0, "follow_ups_done": 0,
          "wellbeing_pairs": 0, "ucla3_mean_change": None, "less_lonely_pct": None,
          "networks_mean_change": None, "candidacies_received": 0, "relays_trained": 1},
    None: {"referrals_reported": 1, "residents_reported": 1, "referrals_closed": 0,
           "open_at_end": 0, "first_contact_48h_pct": 0.0, "candidacies_received": 1},
    "all": {"referrals_reported": 5, "residents_reported": 4, "newcomers_reported": 1,
            "first_contact_48h_pct": 20.0, "median_hours_to_first_contact": 41.0,
            "referrals_oriented": 1, "referrals_accepted": 1, "referrals_closed": 2,
            "closed_helped": 1, "closed_unreachable": 1, "open_at_end": 2, "stale_at_end": 2,
            "relays_active": 2, "follow_ups_due": 1, "follow_ups_done": 1,
            "wellbeing_pairs": 1, "ucla3_mean_change": -5.0, "less_lonely_pct": 100.0,
            "networks_mean_change": 2.0, "candidacies_received": 3, "relays_trained": 1},
}


def check(result, expected):
    rows = by_code(result)
    for code, values in expected.items():
        for name, value in values.items():
            assert rows[code][name] == value, (code, name, rows[code][name], value)


def test_every_indicator_against_numbers_worked_out_by_hand(scenario):
    admin = scenario["world"].admin
    result = table(admin, datetime(2026, 10, 1).date(), datetime(2026, 11, 30).date())
    assert [row.territory["code"] for row in result.rows] == ["A", "B", None]
    assert result.rows[-1].territory["name"] == "Hors territoire"
    check(result, EXPECTED_OCT_NOV)
    # October alone: r2 (23:30 on 31 Oct, Paris) is October's; open and not stale at its end.
    october = table(admin, datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date())
    check(october, {"A": {"referrals_reported": 2, "first_contact_48h_pct": 50.0,
                          "open_at_end": 1, "stale_at_end": 0, "referrals_closed": 1,
                          "wellbeing_pairs": 0, "follow_ups_due": 0,
                          "candidacies_received": 1},
                    "B": {"referrals_reported": 1, "relays_active": 1}})
    november = table(admin, datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
    check(november, {"A": {"referrals_reported": 1, "residents_reported": 1,
                           "referrals_closed": 0, "follow_ups_due": 1, "wellbeing_pairs": 1,
                           "relays_active": 1, "candidacies_received": 1},
                     "B": {"referrals_reported": 0, "relays_active": 0, "relays_trained": 1}})


def test_frozen_months_do_not_move_after_an_erasure(scenario):
    admin, co = scenario["world"].admin, scenario["world"].coordinator
    with clock.frozen(paris(2026, 12, 8, 5)):  # November ended more than 7 days ago
        counts = rollup.freeze_ended_months()
        assert counts["months"] == 2  # October and November (the first report: October)
        assert rollup.freeze_ended_months()["months"] == 0  # idempotent
    frozen = db.session.scalars(select(IndicatorMonth)).all()
    assert {row.territory_name for row in frozen} >= {"Quartier A", "Quartier B",
                                                       "Hors territoire"}
    assert all("resident" not in str(row.parts) for row in frozen)
    privacy.oppose(co, str(scenario["r1"].resident_id))  # the person of r1 and r4 opposes
    db.session.execute(NetworkMilestone.__table__.delete())  # candidates erased at their wish
    result = table(admin, datetime(2026, 10, 1).date(), datetime(2026, 11, 30).date())
    check(result, {"A": {"wellbeing_pairs": 1, "ucla3_mean_change": -5.0,
                         "open_at_end": 2, "referrals_reported": 3,
                         "candidacies_received": 2},
                   "B": {"relays_trained": 1}})
    # Live (not frozen), the erased answers are gone: the rollup is what kept them.
    db.session.execute(IndicatorMonth.__table__.delete())
    live = table(admin, datetime(2026, 10, 1).date(), datetime(2026, 11, 30).date())
    check(live, {"A": {"wellbeing_pairs": 0, "ucla3_mean_change": None,
                       "candidacies_received": 0}})


def test_a_report_kept_offline_counts_at_the_phone_time(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "STATS_MIN_CELL", 1)
    w = make_world()
    with clock.frozen(paris(2026, 11, 2, 10)):
        referral, _ = service.report(w.coordinator, {
            "category": CATEGORY, "consent": True, "reported_at": "2026-10-30T18:00:00+01:00",
            "resident": {"first_name": "Léon", "lon": IN_A[0], "lat": IN_A[1]}})
        assert referral.reported_at == paris(2026, 10, 30, 18)
        for bad in ("2026-10-20T10:00:00+01:00", "2026-11-03T10:00:00+01:00"):
            with pytest.raises(Exception) as caught:
                service.report(w.coordinator, {
                    "category": CATEGORY, "consent": True, "reported_at": bad,
                    "resident": {"first_name": "Léon", "lon": IN_A[0], "lat": IN_A[1]}})
            assert caught.value.status == 422
    october = table(w.admin, datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date())
    assert october.all.values["referrals_reported"] == 1


def test_territory_is_the_smallest_covering_one_and_stays(db):
    big = make_territory(name="Ville", code="Z", polygon=[(0.0, 49.4), (0.3, 49.4), (0.3, 49.6),
                                                          (0.0, 49.6)])
    small = make_territory(name="Quartier", code="Q", polygon=A_RING)
    w = make_world()
    referral = report(w.coordinator, paris(2026, 11, 2, 10), IN_A)
    assert referral.territory_id == small.id
    outside = report(w.coordinator, paris(2026, 11, 2, 10), (0.35, 49.45))
    assert outside.territory_id is None or outside.territory_id == big.id


# --- suppression -----------------------------------------------------------------------

def rows_of(counts):
    return [Row(code, {"n": Cell(value, "count")}) for code, value in counts]


@pytest.mark.parametrize("value", [1, 2, 3, 4])
def test_small_counts_are_hidden_and_zero_is_shown(value):
    rows = suppress(rows_of([("A", value), ("B", 0), ("C", 12), ("D", 9)]), 5)
    assert rows[0].values["n"] is None and rows[0].suppressed == ["n"]
    assert rows[1].values["n"] == 0 and rows[1].suppressed == []
    # the second suppression: the smallest other non-zero row (D, 9) goes too
    assert rows[3].values["n"] is None and rows[2].values["n"] == 12


def test_second_suppression_ties_go_to_the_lowest_code_and_two_hidden_need_none():
    rows = suppress(rows_of([("B", 2), ("C", 7), ("A", 7)]), 5)
    assert [r.values["n"] for r in rows] == [None, 7, None]
    rows = suppress(rows_of([("A", 2), ("B", 3), ("C", 7)]), 5)
    assert [r.values["n"] for r in rows] == [None, None, 7]
    rows = suppress(rows_of([("A", 5), ("B", 0), ("C", 7)]), 5)
    assert [r.values["n"] for r in rows] == [5, 0, 7]


def test_shares_means_and_the_all_row():
    k = 5
    share = Row("A", {"p": Cell(80.0, "share", 4, 5), "q": Cell(50.0, "share", 5, 10),
                      "r": Cell(100.0, "share", 6, 6), "s": Cell(0.0, "share", 0, 4),
                      "m": Cell(1.5, "mean", 0, 4), "n": Cell(1.5, "mean", 0, 5)})
    suppress_one(share, k)
    assert share.values == {"p": None, "q": 50.0, "r": 100.0, "s": None, "m": None, "n": 1.5}
    # complement 1 (4 of 5) hides p; denominator 4 hides s even with numerator 0
    every = suppress_one(Row("all", {"n": Cell(3, "count")}), k)
    assert every.suppressed == ["n"]


def test_the_api_and_the_csv_say_the_same_thing(scenario, client_as, app):
    observer = client_as("observer")
    response = observer.get("/api/v1/indicators?from=2026-10-01&to=2026-11-30",
                            headers=api_headers())
    assert response.status_code == 200, response.json
    body = response.json
    assert body["min_cell"] == 1 and body["from"] == "2026-10-01"
    a = next(t for t in body["territories"] if t["code"] == "A")
    assert a["values"]["referrals_reported"] == 3 and a["suppressed"] == []
    assert body["territories"][-1] == {**body["territories"][-1], "id": None, "code": None,
                                       "name": "Hors territoire"}
    csv = observer.get("/api/v1/indicators.csv?from=2026-10-01&to=2026-11-30",
                       headers=api_headers())
    text = csv.data.decode("utf-8")
    assert text.startswith("\ufeffterritory_code;territory_name;referrals_reported;")
    lines = text.strip().split("\r\n")
    assert lines[1].startswith("A;Quartier A;3;2;1;33.3;41.0;")
    assert lines[-1].startswith("all;Ensemble;5;4;")
    app.config["STATS_MIN_CELL"] = 5
    csv = observer.get("/api/v1/indicators.csv?from=2026-10-01&to=2026-11-30",
                       headers=api_headers()).data.decode("utf-8")
    assert csv.split("\r\n")[1].startswith("A;Quartier A;s;s;s;")


@pytest.mark.parametrize("query, field", [
    ("from=2026-10-02&to=2026-11-30", "from"), ("from=2026-10-01&to=2026-11-29", "to"),
    ("from=2026-11-01&to=2026-10-31", "to"), ("from=octobre&to=2026-10-31", "from")])
def test_periods_are_whole_months(client_as, db, query, field):
    response = client_as("observer").get(f"/api/v1/indicators?{query}", headers=api_headers())
    assert response.status_code == 422
    assert [d["field"] for d in response.json["error"]["details"]] == [field]


def test_a_coordinator_sees_their_territories_only(scenario, client_as):
    co = make_user(role="coordinator", territories=[scenario["b"]])
    body = client_as(co).get("/api/v1/indicators?from=2026-10-01&to=2026-11-30",
                             headers=api_headers()).json
    assert [t["code"] for t in body["territories"]] == ["B"]
    assert body["all"]["values"]["referrals_reported"] == 1
    response = client_as(co).get("/api/v1/indicators?from=2026-10-01&to=2026-11-30"
                                 f"&territory={scenario['a'].id}", headers=api_headers())
    assert response.status_code == 404
    for role in ("relay", "social_worker"):
        response = client_as(role).get("/api/v1/indicators?from=2026-10-01&to=2026-11-30",
                                       headers=api_headers())
        assert response.status_code == 403


# --- distinct counts kept month by month ----------------------------------------------

PERIODS = [(datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date()),
           (datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date()),
           (datetime(2026, 10, 1).date(), datetime(2026, 11, 30).date()),
           (datetime(2026, 10, 1).date(), datetime(2026, 12, 31).date())]

DISTINCT_COUNTS = ("residents_reported", "newcomers_reported", "referrals_oriented",
                   "referrals_accepted", "referrals_closed", "closed_helped",
                   "closed_unreachable", "relays_active")


def values_of(user, periods):
    return [(row.code, row.values) for period in periods
            for result in [table(user, *period)] for row in [*result.rows, result.all]]


def every_value(user):
    return values_of(user, PERIODS)


def statements_reading(table_names):
    """The statements run while listening, among those naming one of `table_names`."""
    seen = []

    def listen(conn, cursor, statement, *args):
        if any(name in statement for name in table_names):
            seen.append(statement)
    return seen, listen


def test_frozen_and_partly_frozen_periods_equal_the_live_computation(scenario):
    admin, co = scenario["world"].admin, scenario["world"].coordinator
    # December: r1's person reported again in A, and the relay active again there, so that
    # a person, a referral's move and a relay recur over three months.
    r6 = report(co, paris(2026, 12, 3, 10), IN_A, resident_id=scenario["r1"].resident_id)
    move(co, r6, paris(2026, 12, 3, 11), "assigned", relay_id=scenario["world"].relay.id)
    contact(scenario["world"].relay_user, r6, paris(2026, 12, 4, 9))
    move(co, scenario["r2"], paris(2026, 12, 5, 9), "closed", outcome="helped")
    live = every_value(admin)
    a = by_code(table(admin, datetime(2026, 10, 1).date(), datetime(2026, 12, 31).date()))["A"]
    # worked out by hand: r1's person (r1, r4, r6) and r2's person; one relay; r1 and r2
    # closed, once each
    assert (a["residents_reported"], a["relays_active"], a["referrals_closed"]) == (2, 1, 2)
    with clock.frozen(paris(2026, 11, 9, 5)):  # October only: periods span frozen and live
        assert rollup.freeze_ended_months()["months"] == 1
    assert every_value(admin) == live
    with clock.frozen(paris(2027, 1, 9, 5)):  # October to December, all frozen
        assert rollup.freeze_ended_months()["months"] == 2
    assert every_value(admin) == live
    kept = {(m.month, m.territory_code): m.parts for m in db.session.scalars(
        select(IndicatorMonth))}
    assert kept[(datetime(2026, 11, 1).date(), "A")]["distinct"]["persons"] == \
        {"n": 1, "prev": {"2026-10-01": 1}}  # r4's person, counted in October (r1)
    privacy.oppose(co, str(scenario["r1"].resident_id))  # erased after freezing
    db.session.execute(NetworkMilestone.__table__.delete())
    db.session.expire_all()
    assert {(m.month, m.territory_code): m.parts
            for m in db.session.scalars(select(IndicatorMonth))} == kept
    assert every_value(admin) == live
    # November frozen no more: November live, after the erasure, between frozen months
    db.session.execute(IndicatorMonth.__table__.delete().where(
        IndicatorMonth.month == datetime(2026, 11, 1).date()))
    for (code, values), (_, before) in zip(every_value(admin), live, strict=True):
        for name in DISTINCT_COUNTS:
            assert values[name] == before[name], (code, name)


def test_a_frozen_period_reads_no_history(scenario):
    admin = scenario["world"].admin
    seen, listen = statements_reading(("referral_events", "contacts", " referrals"))
    sqlalchemy_event.listen(Engine, "before_cursor_execute", listen)
    try:
        live = values_of(admin, PERIODS[:3])
        assert seen  # live, the history is read
        with clock.frozen(paris(2026, 12, 8, 5)):
            rollup.freeze_ended_months()
        seen.clear()
        frozen = values_of(admin, PERIODS[:3])
    finally:
        sqlalchemy_event.remove(Engine, "before_cursor_execute", listen)
    assert frozen == live
    assert seen == []


def test_months_frozen_before_the_distinct_counts_are_completed(scenario):
    admin = scenario["world"].admin
    live = every_value(admin)
    with clock.frozen(paris(2026, 12, 8, 5)):
        rollup.freeze_ended_months()
    for row in db.session.scalars(select(IndicatorMonth)):  # as frozen before them
        row.parts = {k: v for k, v in row.parts.items() if k != "distinct"}
    db.session.flush()
    assert every_value(admin) == live  # counted live meanwhile
    with clock.frozen(paris(2026, 12, 9, 5)):
        done = rollup.freeze_ended_months()
    assert done["months"] == 0 and done["completed"] == 2 * 3  # two months, A, B, outside
    assert all("distinct" in row.parts for row in db.session.scalars(select(IndicatorMonth)))
    assert every_value(admin) == live


@pytest.mark.parametrize("seed", range(5))
def test_the_median_is_the_one_of_the_statistics_module(seed):
    draw = random.Random(seed)
    delays = [round(draw.uniform(0, 96), 2) for _ in range(draw.randint(1, 400))]
    delays += [1.1, 1.2] * draw.randint(0, 3)  # two middle ones whose mean ends in 5
    chunks = [delays[:len(delays) // 3], np.array(delays[len(delays) // 3:])]
    expected = round(statistics.median(delays), 1)
    assert indicators._median(chunks) == (expected, len(delays))
    assert indicators._median([]) == (None, 0)
