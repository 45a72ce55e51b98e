"""« Pilotage » pages: the table, the charts (matplotlib SVG) with their figures as tables,
the CSV and the yearly PDF; the relay's measure page and « À rappeler »."""

import subprocess
import uuid
from datetime import timedelta

from sqlalchemy import select

from bienveilleurs import clock
from bienveilleurs.models import WellbeingMeasure

from .referral_helpers import bring_to, make_world, new_referral
from .test_indicators import scenario  # noqa: F401  (the hand-built scenario, as a fixture)

QUERY = "period=custom&from=2026-10-01&to=2026-11-30"


def test_the_pilotage_page_shows_the_table_the_charts_and_their_figures(scenario,  # noqa: F811
                                                                       client_as):
    observer = client_as("observer")
    page = observer.get(f"/pilotage?{QUERY}&indicateur=referrals_reported")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Quartier A" in html and "Hors territoire" in html and "Ensemble" in html
    assert "oct. 2026" in html and "nov. 2026" in html  # the trend's figures as a table
    trend = observer.get(f"/pilotage/tendance.svg?{QUERY}&indicateur=referrals_reported")
    assert trend.status_code == 200 and trend.mimetype == "image/svg+xml"
    assert trend.get_data(as_text=True).startswith("<svg")
    area = observer.get(f"/pilotage/carte.svg?{QUERY}&indicateur=closed_helped")
    assert "Clôtures : personne aidée" in area.get_data(as_text=True)
    csv = observer.get(f"/pilotage/indicateurs.csv?{QUERY}")
    assert csv.get_data(as_text=True).startswith("\ufeffterritory_code;")
    bad = observer.get("/pilotage?period=custom&from=2026-10-02&to=2026-11-30")
    assert bad.status_code == 422 and "premier jour" in bad.get_data(as_text=True)
    # an observer reaches nothing about people
    for path in ("/mes-personnes", "/coordination/en-attente", "/coordination/carte"):
        assert observer.get(path).status_code in (403, 404), path


def test_a_year_month_or_quarter_that_is_not_one_is_refused_in_french(db, client_as):
    coordinator = client_as("coordinator")
    for query, status, words in (("period=year&year=0", 422, "L&#39;année"),
                                 ("period=month&year=2026&month=13", 422, "Le mois"),
                                 ("period=quarter&year=2026&quarter=5", 422, "Le trimestre"),
                                 ("period=year&year=%C2%B2", 400, "L&#39;année"),
                                 ("period=month&month=deux", 400, "Le mois")):
        page = coordinator.get(f"/pilotage?{query}")
        assert page.status_code == status, query
        summary = page.get_data(as_text=True).split('class="error-summary"')[1].split("</div>")[0]
        assert words in summary, query
        chart = coordinator.get(f"/pilotage/tendance.svg?{query}")
        assert chart.status_code == status, query
    assert coordinator.get("/pilotage?period=quarter&year=2026&quarter=2").status_code == 200


def test_the_yearly_report_is_a_pdf_with_the_figures(scenario, client_as, tmp_path):  # noqa: F811
    response = client_as("observer").get("/pilotage/rapport.pdf?year=2026")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "rapport.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "indicateurs 2026" in text and "Toute la ville" in text
    assert "Signalements" in text and "oct. 2026 : 3" in text  # r1, r2, r3 in October
    assert "A : Quartier A · B : Quartier B" in text  # the columns' codes, named


def test_the_relay_answers_the_three_questions_from_their_page(db, client_as, app,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    world = make_world()
    referral = bring_to(world, new_referral(world), "contacted")
    relay = client_as(world.relay_user)
    people = relay.get("/mes-personnes").get_data(as_text=True)
    assert f"/orientations/{referral.id}/mesure/baseline" in people
    page = relay.get(f"/orientations/{referral.id}/mesure/baseline")
    assert "Vous arrive-t-il de manquer de compagnie" in page.get_data(as_text=True)
    response = relay.post(f"/orientations/{referral.id}/mesure/baseline", data={
        "id": str(uuid.uuid4()), "answered": "true", "lacks_company": "3", "left_out": "2",
        "isolated": "1", "networks": ["family", "neighbours"]})
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    row = db.scalar(select(WellbeingMeasure))
    assert (row.lacks_company, row.left_out, row.isolated) == (3, 2, 1)
    assert row.networks == ["family", "neighbours"]
    missing = relay.post(f"/orientations/{referral.id}/mesure/baseline",
                         data={"answered": "true", "lacks_company": "3"})
    assert missing.status_code in (400, 422)


def test_a_call_back_shows_in_a_rappeler_and_starts_a_new_need(db, client_as, app,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    world = make_world()
    referral = bring_to(world, new_referral(world), "closed")
    later = clock.now() + timedelta(days=app.config["FOLLOW_UP_DAYS"])
    with clock.frozen(later):
        relay = client_as(world.relay_user)
        html = relay.get("/mes-personnes").get_data(as_text=True)
        assert "À rappeler (1)" in html and "Noter le rappel" in html
        response = relay.post(f"/orientations/{referral.id}/mesure/follow_up",
                              data={"answered": "false"})
        assert response.status_code == 303
        assert "À rappeler" not in relay.get("/mes-personnes").get_data(as_text=True)
        response = relay.post(f"/orientations/{referral.id}/nouveau-besoin",
                              data={"category": "mobilite"})
        assert response.status_code == 303
