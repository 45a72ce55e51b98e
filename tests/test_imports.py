"""Imports and exports of the directory: data·inclusion, HSDS datapackage, GeoJSON, safe CSV."""

import csv
import io
import json
import uuid
from datetime import date

import pytest
from data_inclusion.schema.v1 import Service
from data_inclusion.schema.v1 import Structure as DiStructure
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from bienveilleurs.extensions import db as _db
from bienveilleurs.models import Resource, Structure
from bienveilleurs.services import exports
from bienveilleurs.services.csv_safe import csv_text, safe_cell, unescape_cell
from bienveilleurs.services.imports import FileSet, import_files, import_path

from .factories import make_resource, make_structure

TODAY = date.today().isoformat()


def area(app):
    return app.config["SERVICE_AREA"]


def files(**contents):
    """A FileSet of in-memory files: files(services_json=b"…") → services.json."""
    entries = {}
    for key, data in contents.items():
        name = key[::-1].replace("_", ".", 1)[::-1]
        payload = data.encode("utf-8") if isinstance(data, str) else data
        entries[name] = (lambda payload=payload: payload)
    return FileSet("essai", entries)


def import_services(app, records, **options):
    """Import data·inclusion services given as a list of records (services.json)."""
    return import_files(files(services_json=json.dumps(records)), "data-inclusion", area=area(app),
                        **options)


def di_service(n, **fields):
    record = {"source": "essai", "structure_id": "essai--s1", "id": f"essai--{n}",
              "nom": f"Service d'essai {n}", "description": "Une description suffisante.",
              "date_maj": "2025-01-15", "thematiques": ["sante--sante-mentale"],
              "latitude": 49.4944, "longitude": 0.1079}
    record.update(fields)
    return record


def di_structure(n=1, **fields):
    record = {"source": "essai", "id": f"essai--s{n}", "nom": f"Centre social d'essai {n}",
              "date_maj": "2025-01-15", "latitude": 49.49, "longitude": 0.11}
    record.update(fields)
    return record


def count(model, **where):
    statement = select(func.count()).select_from(model)
    for key, value in where.items():
        statement = statement.where(getattr(model, key) == value)
    return _db.session.scalar(statement)


# --- data·inclusion -------------------------------------------------------------------------

def test_data_inclusion_json_creates_then_updates_on_source_and_id(app, db):
    payload = files(structures_json=json.dumps([di_structure()]),
                    services_json=json.dumps([di_service(1), di_service(2, publics=["seniors"])]))
    report = import_files(payload, "data-inclusion", area=area(app))
    assert (report.created, report.updated, report.structures_created) == (2, 0, 1)
    assert report.applied and not report.rejected
    resource = db.scalar(select(Resource).where(Resource.source_id == "essai--2"))
    assert resource.audiences == ["seniors"]
    assert resource.structure.name == "Centre social d'essai 1"

    again = import_services(app, [di_service(1, nom="Nouveau nom"),
                                  di_service(2, publics=["seniors"])])
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert count(Resource, source="essai") == 2
    db.expire_all()
    assert db.scalar(select(Resource.name).where(Resource.source_id == "essai--1")) == "Nouveau nom"


def test_data_inclusion_csv_with_list_columns(app, db):
    header = ("source;structure_id;id;nom;description;date_maj;thematiques;publics;latitude;"
              "longitude\n")
    line = ('essai;essai--s1;essai--csv;Permanence CSV;Une description suffisante.;2025-01-15;'
            '"[""famille--garde-denfants"", ""sante--acces-aux-soins""]";{familles,femmes};'
            '49.5;0.12\n')
    report = import_files(files(services_csv="\ufeff" + header + line), "data-inclusion",
                          area=area(app))
    assert report.created == 1, [str(p) for p in report.rejected]
    resource = db.scalar(select(Resource).where(Resource.source_id == "essai--csv"))
    assert resource.categories == ["famille--garde-denfants", "sante--acces-aux-soins"]
    assert resource.audiences == ["familles", "femmes"]


def test_rejections_name_file_position_field_in_french_and_write_nothing(app, db):
    before = count(Resource)
    records = [di_service(1), di_service(2, thematiques=["pas-un-code"]),
               di_service(3, latitude=95), di_service(4, courriel="pas une adresse")]
    report = import_services(app, records)
    assert report.stopped and not report.applied
    assert count(Resource) == before
    found = {(p.file, p.position, p.field) for p in report.rejected}
    assert ("services.json", "élément 2", "thematiques") in found
    assert ("services.json", "élément 4", "courriel") in found
    latitude = [p for p in report.rejected if p.position == "élément 3"]
    assert latitude and latitude[0].field in ("latitude", "latitude,longitude")
    assert "code inconnu" in next(p.message for p in report.rejected if p.position == "élément 2")


def test_skip_invalid_imports_the_valid_ones_and_lists_the_others(app, db):
    records = [di_service(1), di_service(2, thematiques=["pas-un-code"]), di_service(3)]
    report = import_services(app, records, skip_invalid=True)
    assert report.applied and not report.stopped
    assert report.created == 2 and report.rejected_count == 1
    assert count(Resource, source="essai") == 2


def test_truncated_json_is_reported_and_nothing_written(app, db):
    before = count(Resource)
    text = json.dumps([di_service(1), di_service(2)])[:-40]
    report = import_files(files(services_json=text), "data-inclusion", area=area(app),
                          skip_invalid=True)
    assert report.stopped and count(Resource) == before
    assert report.rejected[0].position is None
    assert "JSON invalide ou tronqué" in report.rejected[0].message


def test_out_of_area_point_is_rejected_with_the_reason(app, db):
    report = import_services(app, [di_service(1, latitude=48.85, longitude=2.35)])
    assert report.stopped
    assert "territoire" in report.rejected[0].message


def test_records_without_coordinates_are_imported_unlocated_and_listed(app, db):
    record = di_service(1, adresse="1 rue de Paris", code_postal="76600", commune="Le Havre")
    del record["latitude"], record["longitude"]
    report = import_services(app, [record])
    assert report.created == 1
    assert report.unlocated and report.unlocated[0]["position"] == "élément 1"
    assert db.scalar(select(Resource.point).where(Resource.source_id == "essai--1")) is None


def test_missing_coordinates_are_geocoded_when_a_geocoder_is_given(app, db):
    from geo.geocoding import GeocodeResult

    class Fixed:
        def geocode(self, query):
            assert "1 rue de Paris" in query
            return GeocodeResult(lon=0.1100, lat=49.4900, label="1 Rue de Paris 76600 Le Havre",
                                 score=0.9)

    record = di_service(1, adresse="1 rue de Paris", code_postal="76600", commune="Le Havre")
    del record["latitude"], record["longitude"]
    report = import_services(app, [record], geocoder=Fixed())
    assert report.created == 1 and not report.unlocated
    lat = db.scalar(select(func.ST_Y(func.geometry(Resource.point)))
                    .where(Resource.source_id == "essai--1"))
    assert lat == pytest.approx(49.49)


def test_duplicate_ids_in_one_file_are_rejected(app, db):
    report = import_files(files(services_json=json.dumps([di_service(1), di_service(1)])),
                          "data-inclusion", area=area(app))
    assert report.stopped
    assert "double" in report.rejected[0].message and report.rejected[0].position == "élément 2"


def test_big_files_are_checked_in_worker_processes_with_the_same_result(app, db, monkeypatch):
    from bienveilleurs.services.imports import checking
    monkeypatch.setattr(checking, "PARALLEL_MIN", 0)
    # One chunk, so one worker process to start (starting one costs a few seconds).
    monkeypatch.setattr(checking, "CHUNK", 100)
    records = [di_service(i) for i in range(7)] + [di_service(7, thematiques=["inconnu"])]
    report = import_services(app, records, skip_invalid=True, workers=2)
    assert (report.created, report.structures_created, report.rejected_count) == (7, 1, 1)
    assert report.rejected[0].position == "élément 8" and report.rejected[0].field == "thematiques"
    assert count(Resource, source="essai") == 7


def test_dry_run_counts_but_writes_nothing(app, db):
    before = count(Resource)
    report = import_files(files(services_json=json.dumps([di_service(1), di_service(2)])),
                          "data-inclusion", area=area(app), dry_run=True)
    assert report.created == 2 and not report.applied
    assert count(Resource) == before


# --- simple CSV and GeoJSON -----------------------------------------------------------------

def test_simple_csv_semicolons_bom_and_french_headers(app, db):
    text = ("\ufeffnom;latitude;longitude;thematiques;adresse;téléphone\n"
            "Épicerie solidaire;49,4950;0,1100;equipement-et-alimentation--alimentation|famille;"
            "3 rue Victor Hugo;02 35 11 22 33\n")
    report = import_files(files(ressources_csv=text), "csv", area=area(app))
    assert report.created == 1, [str(p) for p in report.rejected]
    resource = db.scalar(select(Resource).where(Resource.name == "Épicerie solidaire"))
    assert resource.categories == ["equipement-et-alimentation--alimentation", "famille"]
    assert resource.phone == "02 35 11 22 33"
    # No id in the file: a stable one is derived, so importing again updates.
    again = import_files(files(ressources_csv=text), "csv", area=area(app))
    assert (again.created, again.unchanged) == (0, 1)


def test_simple_csv_with_wrong_columns_is_refused_whole(app, db):
    before = count(Resource)
    report = import_files(files(ressources_csv="titre,x1,y1\nA,1,2\n"), "csv", area=area(app))
    assert report.stopped and count(Resource) == before
    assert "Colonnes obligatoires absentes" in report.rejected[0].message


def test_simple_csv_bad_coordinates_and_ragged_lines(app, db):
    text = ("name,lat,lon,categories\n"
            "Bon,49.49,0.11,sante\n"
            "Mauvais,quarante-neuf,0.11,sante\n"
            "Inversé,0.11,49.49,sante\n"
            "Trop,49.49,0.11,sante,en trop\n")
    report = import_files(files(r_csv=text), "csv", area=area(app))
    positions = {p.position for p in report.rejected}
    assert positions == {"ligne 3", "ligne 4", "ligne 5"}
    assert report.stopped and count(Resource, name="Bon") == 0


def test_unparsable_website_and_control_characters_are_refused_on_their_field(app, db):
    # "http://[" makes urlsplit raise: the field rules say it is an invalid website instead.
    text = ("name,lat,lon,categories,website\n"
            "Bon,49.49,0.11,sante,exemple.fr\n"
            "Crochet,49.49,0.11,sante,http://[\n"
            "Contrôle,49.49,0.11,sante,\x07exemple.fr\n")
    report = import_files(files(r_csv=text), "csv", area=area(app), skip_invalid=True)
    assert report.created == 1
    assert {(p.position, p.field) for p in report.rejected} == {("ligne 3", "website"),
                                                                ("ligne 4", "website")}


def test_dry_run_inside_a_use_case_is_refused(app, db):
    from bienveilleurs.services.transaction import use_case

    @use_case
    def outer():
        return import_files(files(services_json=json.dumps([di_service(1)])),
                            "data-inclusion", area=area(app), dry_run=True)

    with pytest.raises(RuntimeError):
        outer()


def test_geojson_points_and_bad_geometries(app, db):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0.11, 49.49]},
         "properties": {"name": "Point A", "categories": ["sante"], "id": "a"}},
        {"type": "Feature",
         "geometry": {"type": "LineString", "coordinates": [[0.1, 49.4], [0.2, 49.5]]},
         "properties": {"name": "Ligne", "categories": ["sante"]}},
        {"type": "Feature", "geometry": None,
         "properties": {"name": "Sans lieu", "categories": "sante", "address": "10 rue X"}},
    ]}
    report = import_files(files(r_geojson=json.dumps(collection)), "geojson", area=area(app),
                          skip_invalid=True)
    assert report.created == 2 and report.rejected_count == 1
    assert report.rejected[0].field == "geometry" and report.rejected[0].position == "élément 2"
    assert [u["name"] for u in report.unlocated] == ["Sans lieu"]


def test_records_with_neither_coordinates_nor_address_are_kept_unlocated(app, db):
    record = di_service(1)
    del record["latitude"], record["longitude"]
    report = import_services(app, [record])
    assert report.created == 1
    assert report.unlocated[0]["note"] == "ni coordonnées ni adresse"


# --- HSDS datapackage -----------------------------------------------------------------------

def write_datapackage(folder, *, services_extra=""):
    (folder / "datapackage.json").write_text(json.dumps({"name": "annuaire-essai", "resources": [
        {"name": "organization", "path": "organizations.csv"},
        {"name": "service", "path": "services.csv"},
        {"name": "location", "path": "locations.csv"},
        {"name": "service_at_location", "path": "service_at_locations.csv"},
        {"name": "phone", "path": "phones.csv"}, {"name": "schedule", "path": "schedules.csv"},
        {"name": "taxonomy_term", "path": "taxonomy_terms.csv"},
        {"name": "attribute", "path": "attributes.csv"},
    ]}), encoding="utf-8")
    org, svc, loc = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    (folder / "organizations.csv").write_text(
        f"id,name,email\n{org},Association HSDS,contact@asso.fr\n")
    (folder / "services.csv").write_text(
        "id,organization_id,name,description,status\n"
        f"{svc},{org},Aide alimentaire HSDS,Colis,active\n" + services_extra)
    (folder / "locations.csv").write_text(f"id,name,latitude,longitude,location_type\n"
                                          f"{loc},Local,49.5010,0.1200,physical\n")
    (folder / "service_at_locations.csv").write_text(
        f"id,service_id,location_id\n{uuid.uuid4()},{svc},{loc}\n")
    (folder / "phones.csv").write_text(
        f"id,service_id,number\n{uuid.uuid4()},{svc},02 35 99 99 99\n")
    (folder / "schedules.csv").write_text(
        f"id,service_id,freq,byday,opens_at,closes_at\n{uuid.uuid4()},{svc},WEEKLY,\"MO,TU\",09:00,12:00\n")
    term = str(uuid.uuid4())
    (folder / "taxonomy_terms.csv").write_text(
        f"id,code,name,description\n{term},equipement-et-alimentation--alimentation,Alimentation,x\n")
    (folder / "attributes.csv").write_text(
        f"id,link_id,taxonomy_term_id\n{uuid.uuid4()},{svc},{term}\n")
    return svc


def test_hsds_datapackage(app, db, tmp_path):
    service_id = write_datapackage(tmp_path)
    report = import_path(tmp_path / "datapackage.json", "hsds", area=area(app))
    assert report.created == 1 and report.structures_created == 1, [str(p) for p in report.rejected]
    resource = db.scalar(select(Resource).where(Resource.source_id == service_id))
    assert resource.source == "annuaire-essai"
    assert resource.categories == ["equipement-et-alimentation--alimentation"]
    assert resource.phone == "02 35 99 99 99"
    assert resource.opening_hours == "Mo-Tu 09:00-12:00"
    assert resource.structure.name == "Association HSDS"


def test_hsds_service_with_unknown_location_is_rejected(app, db, tmp_path):
    write_datapackage(tmp_path)
    link = open(tmp_path / "service_at_locations.csv").read().splitlines()[1]
    (tmp_path / "service_at_locations.csv").write_text(
        "id,service_id,location_id\n" + link.rsplit(",", 1)[0] + f",{uuid.uuid4()}\n")
    report = import_path(tmp_path, "hsds", area=area(app))
    assert report.stopped and report.rejected[0].field == "location_id"


# --- exports --------------------------------------------------------------------------------

def test_data_inclusion_export_is_valid_for_the_package_models(app, db):
    structure = make_structure(name="CCAS", source=None)
    make_resource(structure=structure, name="AB", categories=["sante"],
                  audiences=["tous-publics", "seniors"], description="",
                  website="https://exemple.fr", email="a@exemple.fr", postal_code="2A004")
    make_resource(structure=structure, name="Point écoute", categories=["sante--sante-mentale"],
                  lat=None)
    services = exports.data_inclusion_services()
    assert len(services) >= 2
    for record in services:
        Service.model_validate(record)
    for record in exports.data_inclusion_structures():
        DiStructure.model_validate(record)
    short = next(s for s in services if s["nom"].startswith("AB"))
    assert set(short["thematiques"]) > {"sante--sante-mentale"} and short["publics"] == ["seniors"]
    assert short["code_postal"] is None


def test_csv_export_escapes_formulas_and_opens_in_a_spreadsheet(app, db):
    make_resource(name="=HYPERLINK(\"http://x\")", phone="+33 2 35 00 00 00", lat=49.49, lon=-0.05,
                  categories=["sante"], description="a;b\n\"c\"")
    text = exports.csv_export(separator=";")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    row = dict(zip(header, next(r for r in body if "HYPERLINK" in r[header.index("name")]),
                   strict=True))
    assert row["name"] == "'=HYPERLINK(\"http://x\")"
    assert row["phone"] == "'+33 2 35 00 00 00"
    assert row["lon"] == "-0.05"  # plain numbers stay numbers
    assert row["description"] == "a;b\n\"c\""


@pytest.mark.parametrize("value", ["=1+1", "+33", "-x", "@SUM(A1)", "\tx", "\rx", "'=x", "''+y",
                                   "'abc", "abc", "-12.5", ""])
def test_safe_cell_round_trips(value):
    escaped = safe_cell(value)
    dangerous = escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert not dangerous or escaped in ("-12.5", "+33")  # plain numbers stay numbers
    assert unescape_cell(escaped) == value
    parsed = list(csv.reader(io.StringIO(csv_text(["h"], [[value]], bom=False), newline="")))
    assert parsed[1] == [escaped]


# --- round trips ----------------------------------------------------------------------------

NAME_ALPHABET = st.sampled_from(list("abcdéèàçôÉÀ ;'\"\n-=+@,|") + ["Œ", "ß"])
names = st.builds(lambda prefix, body: (prefix + body).strip(),
                  st.sampled_from(["", "=", "+", "@", "-", "'="]),
                  st.text(NAME_ALPHABET, min_size=3, max_size=40)).filter(
    lambda n: len(n) >= 3 and len(n.strip(";'\"\n-=+@,| ")) >= 1 and not n.endswith(".")
    and _normalise(n) is not None and len(_normalise(n)) >= 3)


def _normalise(name):
    """What the directory stores for a name (its own cleaning rules)."""
    from bienveilleurs.errors import DomainError
    from bienveilleurs.services.directory import clean_resource
    from geo.points import LE_HAVRE_AREA
    try:
        record = {"name": name, "categories": ["sante"], "lat": 49.49, "lon": 0.11}
        return clean_resource(record, area=LE_HAVRE_AREA)["name"]
    except DomainError:
        return None


def _snapshot(source):
    rows = _db.session.execute(
        select(Resource.name, Resource.description, Resource.categories, Resource.audiences,
               Resource.phone, Resource.address, Resource.opening_hours,
               func.ST_X(func.geometry(Resource.point)), func.ST_Y(func.geometry(Resource.point)),
               Structure.name)
        .join(Structure, Structure.id == Resource.structure_id)
        .where(Resource.source == source).order_by(Resource.source_id)).all()
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def _export_filtered(fmt, source):
    chunks, _, _ = exports.export(fmt, separator=";")
    text = "".join(chunks)
    if fmt == "data-inclusion":
        return json.dumps([r for r in json.loads(text) if r["source"] == source])
    if fmt == "geojson":
        data = json.loads(text)
        data["features"] = [f for f in data["features"] if f["properties"]["source"] == source]
        return json.dumps(data)
    rows = text.split("\r\n")
    return "\r\n".join(rows[:1] + [r for r in rows[1:] if r.startswith(source + ";")]) + "\r\n"


@pytest.mark.parametrize("fmt", ["data-inclusion", "geojson", "csv"])
@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(names, min_size=1, max_size=4, unique_by=_normalise))
def test_export_then_import_gives_back_the_same_resources(app, db, fmt, batch):
    source = f"rt-{uuid.uuid4().hex[:8]}"
    structure = make_structure(name=f"Structure « {source} »; \"=x\"", source=source,
                               source_id="s1")
    for index, name in enumerate(batch):
        make_resource(structure=structure, name=_normalise(name), source=source,
                      source_id=f"r{index}", description=f"{name}\n(détails ; « suite »)",
                      categories=["sante--sante-mentale"], audiences=["seniors"],
                      phone="+33 2 35 00 00 0" + str(index),
                      address="1, rue « du Port »; =B2", opening_hours="Mo-Fr 09:00-12:00",
                      lat=49.49 + index / 1000, lon=0.1 + index / 1000)
    before = _snapshot(source)
    exported = _export_filtered(fmt, source)
    structures_file = json.dumps([r for r in exports.data_inclusion_structures()
                                  if r["source"] == source])

    db.execute(delete(Resource).where(Resource.source == source))
    payload = {"data-inclusion": {"services_json": exported, "structures_json": structures_file},
               "geojson": {"export_geojson": exported}, "csv": {"export_csv": exported}}[fmt]
    report = import_files(files(**payload), fmt, area=area(app), skip_invalid=fmt == "csv")
    assert report.created == len(batch), [str(p) for p in report.rejected]
    assert _snapshot(source) == before

    again = import_files(files(**payload), fmt, area=area(app), skip_invalid=fmt == "csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(batch))


def test_own_resources_round_trip_by_id_without_duplicates(app, db):
    structure = make_structure(name="Maison de quartier")
    resource = make_resource(structure=structure, name="Atelier couture",
                             categories=["remobilisation"])
    text = exports.csv_export()
    report = import_files(files(export_csv=text), "csv", area=area(app), skip_invalid=True)
    assert report.created == 0 and report.unchanged >= 1
    assert count(Resource, name="Atelier couture") == 1
    assert db.get(Resource, resource.id).source is None


def test_cli_import_and_export(app, db, tmp_path):
    (tmp_path / "services.json").write_text(
        json.dumps([di_service(1), di_service(2, thematiques=["x"])]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["resources", "import", str(tmp_path / "services.json"),
                                 "--format", "data-inclusion"])
    assert result.exit_code == 1
    assert "élément 2" in result.output and "rien n'a été enregistré" in result.output
    result = runner.invoke(args=["resources", "import", str(tmp_path / "services.json"),
                                 "--format", "data-inclusion", "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "1 ressource(s) ont été créée(s)" in result.output
    out = tmp_path / "export.geojson"
    result = runner.invoke(args=["resources", "export", "--format", "geojson", "-o", str(out)])
    assert result.exit_code == 0
    collection = json.loads(out.read_text())
    assert any(f["properties"]["source_id"] == "essai--1" for f in collection["features"])
