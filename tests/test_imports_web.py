"""The admin upload page: preview before confirming, the file kept server-side, size limit."""

import io
import json

import pytest
from sqlalchemy import func, select

from bienveilleurs.models import Resource

from .test_imports import di_service


def upload(client, content, *, filename="services.json", fmt="data-inclusion", skip_invalid=False):
    data = {"file": (io.BytesIO(content), filename), "format": fmt}
    if skip_invalid:
        data["skip_invalid"] = "y"
    return client.post("/admin/imports/", data=data, content_type="multipart/form-data")


def resources_from(db, source="essai"):
    return db.scalar(select(func.count()).select_from(Resource).where(Resource.source == source))


@pytest.fixture
def admin(client_as, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return client_as("admin")


def test_preview_then_confirm(admin, db, tmp_path):
    content = json.dumps([di_service(1), di_service(2)]).encode()
    response = upload(admin, content)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/imports/apercu")
    # The file waits under a random token folder; the token is in the session, not in a form.
    stored = list((tmp_path / "uploads").iterdir())
    assert len(stored) == 1 and (stored[0] / "services.json").read_bytes() == content

    page = admin.get("/admin/imports/apercu")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Confirmer l'import" in html
    assert stored[0].name not in html
    assert resources_from(db) == 0

    done = admin.post("/admin/imports/confirmer")
    assert done.status_code == 303
    db.expire_all()
    assert resources_from(db) == 2
    assert not (tmp_path / "uploads" / stored[0].name).exists()
    assert "2 ressource(s) ont été créée(s)" in admin.get("/admin/imports/").get_data(as_text=True)


def test_preview_lists_rejections_and_offers_no_confirmation(admin, db):
    content = json.dumps([di_service(1), di_service(2, thematiques=["inconnu"])]).encode()
    upload(admin, content)
    html = admin.get("/admin/imports/apercu").get_data(as_text=True)
    assert "élément 2" in html and "thematiques" in html and "code inconnu" in html
    assert "Confirmer l'import" not in html
    assert admin.post("/admin/imports/confirmer").status_code == 303
    assert resources_from(db) == 0


def test_skip_invalid_then_confirm_writes_the_valid_ones(admin, db):
    content = json.dumps([di_service(1), di_service(2, thematiques=["inconnu"])]).encode()
    upload(admin, content, skip_invalid=True)
    assert "Confirmer l'import" in admin.get("/admin/imports/apercu").get_data(as_text=True)
    admin.post("/admin/imports/confirmer")
    db.expire_all()
    assert resources_from(db) == 1


def test_cancel_deletes_the_file(admin, db, tmp_path):
    upload(admin, b"[]")
    admin.post("/admin/imports/annuler")
    assert list((tmp_path / "uploads").iterdir()) == []
    assert admin.get("/admin/imports/apercu").status_code == 303


def test_upload_over_the_limit_is_413_in_french_and_writes_nothing(admin, app, db, monkeypatch,
                                                                   tmp_path):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    big = json.dumps([di_service(i) for i in range(400)]).encode()
    assert len(big) > 64 * 1024
    response = upload(admin, big)
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)
    assert resources_from(db) == 0
    assert not (tmp_path / "uploads").exists() or list((tmp_path / "uploads").iterdir()) == []


def test_missing_file_shows_a_field_error(admin):
    response = admin.post("/admin/imports/", data={"format": "csv"},
                          content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Choisissez un fichier à importer." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "relay", "social_worker"])
def test_only_admins(client_as, role):
    client = client_as(role)
    assert client.get("/admin/imports/").status_code == 403
    assert client.post("/admin/imports/confirmer").status_code in (400, 403)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/imports/")
    assert response.status_code in (302, 303) and "/connexion" in response.headers["Location"]


def test_one_web_import_is_bounded_in_records_and_addresses_looked_up(admin, db, app,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_WEB_MAX_RECORDS", 3)
    upload(admin, json.dumps([di_service(n) for n in range(4)]).encode())
    html = admin.get("/admin/imports/apercu").get_data(as_text=True)
    assert "4 enregistrements : au plus 3 par import depuis le navigateur" in html
    assert "Confirmer l'import" not in html and resources_from(db) == 0

    from bienveilleurs.services.imports import import_files

    from .test_imports import area, files

    class Counting:
        asked = 0

        def geocode(self, query):
            Counting.asked += 1
            return None

    records = [{**di_service(n), "latitude": None, "longitude": None,
                "adresse": f"{n} rue du Port", "code_postal": "76600", "commune": "Le Havre"}
               for n in range(5)]
    report = import_files(files(services_json=json.dumps(records)), "data-inclusion",
                          area=area(app), geocoder=Counting(), max_geocoded=2, dry_run=True)
    assert Counting.asked == 2
    notes = [u["note"] for u in report.unlocated]
    assert sum("plus de 2 adresses à localiser" in n for n in notes) == 3
