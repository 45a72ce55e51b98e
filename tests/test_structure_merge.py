"""Issue 8: merging a duplicate structure into the one kept (service and pages)."""

import html
import re
import uuid

import pytest
from sqlalchemy import func, select

from bienveilleurs.errors import NotFound, ValidationFailed
from bienveilleurs.models import AuditEntry, Resource, Structure, structure_members
from bienveilleurs.services import structure_merge

from .factories import make_resource, make_structure, make_user


def members(db, structure_id):
    return set(db.scalars(select(structure_members.c.user_id)
                          .where(structure_members.c.structure_id == structure_id)))


def duplicates(db):
    keep = make_structure(name="CCAS du Havre", phone="02 35 00 00 00", email=None, website=None)
    other = make_structure(name="C.C.A.S. Le Havre", phone="02 35 99 99 99",
                           email="ccas@example.fr", website="https://ccas.example.fr",
                           lat=49.49, lon=0.11)
    shared, mine, theirs = (make_user(role="social_worker") for _ in range(3))
    keep.members = [shared, mine]
    other.members = [shared, theirs]
    kept_resource = make_resource(structure=keep, name="Permanence logement")
    moved = [make_resource(structure=other, name="Aide alimentaire"),
             make_resource(structure=other, name="Domiciliation", active=False)]
    db.flush()
    return keep, other, (shared, mine, theirs), kept_resource, moved


def test_merge_moves_resources_and_members_fills_blanks_and_is_audited(db):
    keep, other, (shared, mine, theirs), kept_resource, moved = duplicates(db)
    admin = make_user(role="admin")
    other_id = other.id
    plan = structure_merge.merge_plan(admin, keep.id, other.id)
    assert sorted(r.name for r in plan["resources"]) == ["Aide alimentaire", "Domiciliation"]
    assert [u.id for u in plan["members"]] == [theirs.id]
    assert plan["fills"] == ["point", "email", "website"] and plan["deleted"]

    result = structure_merge.merge_structures(admin, keep.id, other.id)
    db.expire_all()
    assert result["resources"] == 2 and result["members"] == 1
    owners = dict(db.execute(select(Resource.id, Resource.structure_id)).all())
    assert {owners[r.id] for r in moved} == {keep.id} and owners[kept_resource.id] == keep.id
    assert members(db, keep.id) == {shared.id, mine.id, theirs.id}
    kept = db.get(Structure, keep.id)
    # Blanks filled from the duplicate; what the kept structure had stays.
    assert (kept.email, kept.website, kept.phone) == ("ccas@example.fr", "https://ccas.example.fr",
                                                      "02 35 00 00 00")
    assert db.scalar(select(func.ST_Y(func.ST_GeomFromWKB(func.ST_AsBinary(Structure.point))))
                     .where(Structure.id == keep.id)) == pytest.approx(49.49)
    assert db.get(Structure, other_id) is None  # nothing references it any more
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "structure.merged"))
    assert entry.actor_id == admin.id and entry.target_id == str(keep.id)
    assert entry.details["merged_id"] == str(other_id) and len(entry.details["resources"]) == 2


def test_an_imported_duplicate_is_deactivated_not_deleted(db):
    keep = make_structure(name="Centre social")
    other = make_structure(name="Centre social (import)", source="dora", source_id="abc")
    make_resource(structure=other)
    structure_merge.merge_structures(make_user(role="coordinator"), keep.id, other.id)
    db.expire_all()
    row = db.get(Structure, other.id)
    assert row is not None and row.active is False
    assert db.scalar(select(func.count()).select_from(Resource)
                     .where(Resource.structure_id == other.id)) == 0


def test_merging_into_itself_or_unknown_is_refused_and_writes_nothing(db):
    keep = make_structure(name="Seule")
    make_resource(structure=keep)
    admin = make_user(role="admin")
    db.commit()  # what was there before: a refused use case rolls back only its own work
    with pytest.raises(ValidationFailed) as refused:
        structure_merge.merge_structures(admin, keep.id, keep.id)
    assert "elle-même" in refused.value.message
    with pytest.raises(NotFound):
        structure_merge.merge_structures(admin, keep.id, uuid.uuid4())
    with pytest.raises(NotFound):
        structure_merge.merge_structures(admin, uuid.uuid4(), keep.id)
    assert db.get(Structure, keep.id) is not None
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "structure.merged")) is None


def csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_pages_confirm_then_merge(client_as, db):
    keep, other, (shared, mine, theirs), _, moved = duplicates(db)
    other_id = other.id
    client = client_as("coordinator")
    base = f"/gestion/structures/{keep.id}/fusion"
    edit = client.get(f"/gestion/structures/{keep.id}").get_data(as_text=True)
    assert base in edit
    search = html.unescape(client.get(base + "?q=Havre").get_data(as_text=True))
    assert "C.C.A.S. Le Havre" in search and f"doublon={other.id}" in search
    confirm = client.get(f"{base}?doublon={other.id}")
    page = html.unescape(confirm.get_data(as_text=True))
    assert confirm.status_code == 200
    assert "Aide alimentaire" in page and "Domiciliation" in page and theirs.email in page
    assert "ccas@example.fr" in page and "Confirmer la fusion" in page
    assert shared.email not in page  # already a member: nothing to add
    # Without the CSRF token nothing happens.
    refused = client.post(base, data={"duplicate": str(other.id)})
    assert refused.status_code == 400
    db.expire_all()
    assert db.get(Structure, other.id) is not None
    done = client.post(base, data={"csrf_token": csrf(page), "duplicate": str(other.id)})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/gestion/structures/{keep.id}")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Structure)
                     .where(Structure.id == other_id)) == 0
    assert members(db, keep.id) == {shared.id, mine.id, theirs.id}
    assert db.scalar(select(AuditEntry.actor_id)
                     .where(AuditEntry.action == "structure.merged")) == client.user.id


def test_page_errors_are_in_french_and_roles_checked(client_as, db):
    keep = make_structure(name="Maison de quartier")
    base = f"/gestion/structures/{keep.id}/fusion"
    client = client_as("admin")
    itself = client.get(f"{base}?doublon={keep.id}")
    assert itself.status_code == 422 and "elle-même" in html.unescape(itself.get_data(as_text=True))
    assert client.get(f"{base}?doublon={uuid.uuid4()}").status_code == 404
    token = csrf(client.get(f"/gestion/structures/{keep.id}").get_data(as_text=True))
    empty = client.post(base, data={"csrf_token": token})
    assert empty.status_code == 422 and "Choisissez la structure en double" in html.unescape(
        empty.get_data(as_text=True))
    gone = client.post(base, data={"csrf_token": token, "duplicate": str(uuid.uuid4())})
    assert gone.status_code == 422 and "n'existe plus" in html.unescape(gone.get_data(as_text=True))
    assert client.get(f"/gestion/structures/{uuid.uuid4()}/fusion").status_code == 404
    for role in ("relay", "social_worker"):
        assert client_as(role).get(base).status_code in (403, 404)
