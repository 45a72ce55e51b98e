"""Ranking by fit (no street network here): full resources last, audiences, reasons, the line."""

import random
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bienveilleurs.services import fit, matching
from bienveilleurs.services.matching import MatchQuery, match_resources
from geo.distance import haversine_m

from .factories import make_resource, make_structure

CENTRE = (0.1079, 49.4944)
PARIS = ZoneInfo("Europe/Paris")


def query_at(**kwargs):
    return MatchQuery(lon=CENTRE[0], lat=CENTRE[1], **kwargs)


def ids(rows):
    return [row["id"] for row in rows]


def reasons(row):
    return {(r["code"], r["value"]) for r in row["fit"]}


def test_full_resources_come_after_every_other(db):
    structure = make_structure()
    full = [make_resource(structure=structure, lon=CENTRE[0] + 0.0002 * n, lat=CENTRE[1],
                          saturation="full") for n in range(1, 13)]
    open_ = make_resource(structure=structure, lon=CENTRE[0] + 0.03, lat=CENTRE[1],
                          saturation="limited")
    # Twelve full ones nearer than the one with room: still the first proposed.
    assert ids(match_resources(query_at(limit=1))) == [str(open_.id)]
    found = match_resources(query_at(limit=4))
    assert ids(found) == [str(open_.id)] + [str(r.id) for r in full[:3]]
    assert [("full", True) in reasons(row) for row in found] == [False, True, True, True]


def test_ranking_agrees_with_brute_force(db):
    """Random directories: the order of API.md, computed by hand, on 150 random points."""
    rng = random.Random(20261207)
    structure = make_structure()
    audiences = ["seniors", "familles", "jeunes", "tous-publics"]
    made = []
    for _ in range(250):
        lon, lat = rng.uniform(0.05, 0.24), rng.uniform(49.46, 49.56)
        made.append((make_resource(
            structure=structure, lon=lon, lat=lat,
            saturation=rng.choice([None, "available", "limited", "full"]),
            audiences=rng.sample(audiences, rng.randint(0, 2))), lon, lat))
    compared = 0
    for n in range(150):
        lon, lat = rng.uniform(0.05, 0.24), rng.uniform(49.46, 49.56)
        wanted = [rng.choice(audiences[:3])] if n % 2 else []
        limit = rng.choice([1, 3, 5, 12])
        expected = sorted(
            ((r.saturation == "full", haversine_m(lon, lat, rlon, rlat), str(r.id))
             for r, rlon, rlat in made
             if not wanted or not r.audiences
             or set(r.audiences) & (set(wanted) | {"tous-publics"})))[:limit]
        found = match_resources(MatchQuery(lon=lon, lat=lat, audiences=wanted, limit=limit))
        assert ids(found) == [rid for *_, rid in expected]
        compared += len(expected)
    assert compared > 600


def test_resources_for_other_audiences_are_left_out_when_the_persons_are_known(db):
    structure = make_structure()
    families = make_resource(structure=structure, audiences=["familles"])
    seniors = make_resource(structure=structure, audiences=["seniors", "familles"],
                            lon=CENTRE[0] + 0.001)
    everyone = make_resource(structure=structure, audiences=["tous-publics"],
                             lon=CENTRE[0] + 0.002)
    unstated = make_resource(structure=structure, audiences=[], lon=CENTRE[0] + 0.003)
    found = match_resources(query_at(audiences=["seniors"]))
    assert ids(found) == [str(seniors.id), str(everyone.id), str(unstated.id)]
    assert ("audience", "seniors") in reasons(found[0])
    assert not any(r["code"] == "audience" for row in found[1:] for r in row["fit"])
    # Audiences unknown: nothing left out; a specific audience is said.
    found = match_resources(query_at())
    assert ids(found) == [str(families.id), str(seniors.id), str(everyone.id), str(unstated.id)]
    assert ("audience", "familles") in reasons(found[0])


def test_reasons_say_open_now_or_when_it_opens_languages_and_access(db):
    resource = make_resource(opening_hours="Mo-Fr 09:00-12:00", languages=["fr", "ar"],
                             accessible=True)
    sunday_evening = datetime(2026, 11, 22, 18, 0, tzinfo=PARIS)
    found = match_resources(query_at(speaks=["ar"]), at=sunday_evening)
    assert ids(found) == [str(resource.id)]
    assert found[0]["fit"] == [
        {"code": "opens_at", "value": "2026-11-23T09:00:00+01:00"},
        {"code": "language", "value": "ar"},
        {"code": "accessible", "value": True}]
    assert found[0]["open_now"] is False
    monday_morning = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
    found = match_resources(query_at(), at=monday_morning)
    assert found[0]["fit"] == [{"code": "open_now", "value": True},
                               {"code": "accessible", "value": True}]
    # Filters still filter: a language the resource does not speak leaves it out.
    assert match_resources(query_at(languages=["uk"]), at=monday_morning) == []


def test_opening_hours_are_read_in_the_citys_time_zone(app, db, monkeypatch):
    make_resource(opening_hours="Mo-Fr 09:00-12:00")
    monday_15h_utc = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("UTC"))
    assert match_resources(query_at(), at=monday_15h_utc)[0]["open_now"] is False
    monkeypatch.setitem(app.config, "CITY_TIMEZONE", ZoneInfo("America/New_York"))
    assert match_resources(query_at(), at=monday_15h_utc)[0]["open_now"] is True  # 10:00 there


def test_the_line_says_why_in_french():
    now = datetime(2026, 11, 22, 18, 0, tzinfo=PARIS)
    item = {"fit": [{"code": "audience", "value": "seniors"},
                    {"code": "opens_at", "value": "2026-11-23T09:00:00+01:00"}],
            "walk_s": 720, "distance_m": 480.0}
    assert fit.describe(item, now=now) == "pour les séniors · ouvert demain à 9 h · 12 min à pied"
    assert fit.describe(item, now=now, timeless=True) == "pour les séniors · 12 min à pied"
    item = {"fit": [{"code": "full", "value": True}, {"code": "open_now", "value": True},
                    {"code": "language", "value": "fr"}, {"code": "language", "value": "ar"},
                    {"code": "accessible", "value": True}],
            "walk_s": None, "distance_m": 1234.0}
    assert fit.describe(item, now=now) == (
        "complet · ouvert maintenant · parle arabe · accessible en fauteuil · "
        "1,2 km à vol d'oiseau")
    later = {"fit": [{"code": "opens_at", "value": "2026-11-26T14:30:00+01:00"}],
             "walk_s": 4000, "distance_m": 3000.0}
    assert fit.describe(later, now=now) == "ouvert jeudi à 14 h 30 · 1 h 07 à pied"
    assert fit.distance_words(None, 67.4) == "67 m à vol d'oiseau"


def test_order_key_puts_unknown_walks_last_and_settles_ties_by_id():
    a, b, c, d = (str(uuid.UUID(int=n)) for n in range(4))
    items = [{"id": d, "walk_s": None, "distance_m": 10.0},
             {"id": c, "walk_s": 300, "distance_m": 200.0},
             {"id": b, "walk_s": 300, "distance_m": 100.0, "saturation": "full"},
             {"id": a, "walk_s": 300, "distance_m": 250.0}]
    walking = sorted(items, key=lambda i: fit.order_key(i, walking=True))
    assert [i["id"] for i in walking] == [a, c, d, b]
    straight = sorted(items, key=lambda i: fit.order_key(i, walking=False))
    assert [i["id"] for i in straight] == [d, c, a, b]


@pytest.mark.parametrize("raw", ["60", "7200"])
def test_max_walk_s_is_read_within_its_bounds(raw):
    assert matching.parse_max_walk(raw) == int(raw)


def test_booklets_list_full_resources_last_with_their_reasons(db):
    from bienveilleurs.services import booklets
    structure = make_structure()
    full = make_resource(structure=structure, name="Complet tout près", saturation="full",
                         audiences=["seniors"])
    room = make_resource(structure=structure, name="De la place plus loin",
                         lon=CENTRE[0] + 0.01, accessible=True)
    booklet = booklets.point_booklet(*CENTRE, 2000)
    assert [(e.number, e.name) for e in booklet.entries] == [(1, room.name), (2, full.name)]
    assert booklet.entries[0].why == "accessible en fauteuil"
    assert booklet.entries[1].why == "pour les séniors · complet"
    assert booklet.entries[0].walk_s is None  # no street network here
