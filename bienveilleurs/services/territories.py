"""Territories: import from GeoJSON, edit one, and which territories cover a point."""

import json
import uuid

from sqlalchemy import case, delete, exists, func, insert, select
from sqlalchemy.orm import defer, selectinload

from geo.errors import GeoError
from geo.queries import geog_point, point_in_area
from geo.territories import parse_territories_geojson, stored_area

from ..config import setting
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Role, Territory, User, coordinator_territories
from . import audit, paging
from .fields import Fields, parse_uuid
from .transaction import use_case

MAP_TOLERANCE_DEG = 0.00002


@use_case
def import_territories(data, *, actor=None):
    """Create or update territories from a GeoJSON FeatureCollection (by code, else by name).

    With an `actor` (the web page), the import is recorded in the audit log.
    """
    try:
        features = parse_territories_geojson(
            data, max_features=setting("TERRITORIES_PER_IMPORT"),
            max_vertices=setting("TERRITORY_MAX_POINTS"))
    except GeoError as exc:
        raise ValidationFailed.field(exc.field or "geojson", exc.message) from None
    existing = count_territories()
    created = updated = 0
    for feature in features:
        query = select(Territory)
        query = query.where(Territory.code == feature.code) if feature.code else \
            query.where(Territory.name == feature.name, Territory.code.is_(None))
        territory = db.session.scalar(query)
        geometry = stored_area(feature.geometry)
        if territory is None:
            db.session.add(Territory(name=feature.name, code=feature.code, area=geometry))
            created += 1
        else:
            territory.name, territory.area = feature.name, geometry
            updated += 1
    _check_total(existing, created)
    if actor is not None:
        audit.record(actor, "territory.imported", target_type="territory",
                     summary=f"Import GeoJSON : {created} créé(s), {updated} mis à jour",
                     created=created, updated=updated, names=[f.name for f in features][:50])
    return {"created": created, "updated": updated}


def coordinators_for_point(lon, lat):
    """Active coordinators who must hear about a point: never nobody.

    Those attached to a territory covering the point; when no such territory has one (or the
    point is unknown, e.g. erased), the city-wide coordinators (attached to no territory);
    failing those, every active coordinator.
    """
    coordinator = (User.role == Role.COORDINATOR.value) & User.active.is_(True)
    if lon is not None and lat is not None:
        covering = db.session.scalars(
            select(User)
            .join(coordinator_territories, coordinator_territories.c.user_id == User.id)
            .join(Territory, Territory.id == coordinator_territories.c.territory_id)
            .where(coordinator, point_in_area(geog_point(lon, lat), Territory.area))
            .distinct().order_by(User.email)).all()
        if covering:
            return covering
    attached = select(coordinator_territories.c.user_id).where(
        coordinator_territories.c.user_id == User.id)
    city_wide = db.session.scalars(
        select(User).where(coordinator, ~exists(attached)).order_by(User.email)).all()
    return city_wide or db.session.scalars(
        select(User).where(coordinator).order_by(User.email)).all()


def _check_total(existing, new):
    """Refuse (422) what would make more territories than TERRITORIES_MAX in all."""
    limit = setting("TERRITORIES_MAX")
    if new and existing + new > limit:
        raise ValidationFailed.field(
            "geojson", f"{new} territoire(s) de plus en feraient {existing + new} : au plus "
            f"{limit} en tout (réglage TERRITORIES_MAX). Regroupez ou supprimez des territoires.")


def list_territories(*, limit=None):
    """Territories by name (the first `limit`), with their coordinators; not their outlines
    (see map_outlines)."""
    return db.session.scalars(select(Territory).options(defer(Territory.area),
                                                        selectinload(Territory.coordinators))
                              .order_by(Territory.name, Territory.id).limit(limit)).all()


def territories_page(*, after=None, size=paging.PAGE_SIZE):
    """A Page of territories by name then id, after the NameKey `after`, with their
    coordinators (one statement for the page's); not their outlines (see map_outlines)."""
    statement = select(Territory).options(defer(Territory.area),
                                          selectinload(Territory.coordinators))
    return paging.keyset_page(statement, (Territory.name, Territory.id),
                              after=(after.name, after.id) if after else None,
                              key=lambda t: paging.NameKey(t.name, t.id), size=size)


def count_territories():
    return db.session.scalar(select(func.count()).select_from(Territory))


def drawable_outline(area, tolerance):
    """SQL for an outline a map can draw at `tolerance` degrees, in time linear in its size.

    Douglas-Peucker (ST_Simplify), the original when it would collapse; an outline longer
    than TERRITORY_MAX_POINTS (stored before that limit existed) is drawn as its bounding
    box, which costs nothing to compute.
    """
    too_detailed = func.ST_NPoints(area) > setting("TERRITORY_MAX_POINTS")
    return case((too_detailed, func.ST_Envelope(area)),
                else_=func.coalesce(func.ST_Simplify(area, tolerance), area))


def territories_near(points, *, limit=100, margin=0.02):
    """The ids of the territories (at most `limit`) whose outline meets the box around
    these (lon, lat) points, widened by `margin` degrees (a kilometre or two): what a map of
    them shows for context, found through the outlines' index."""
    points = [(lon, lat) for lon, lat in points if lon is not None and lat is not None]
    if not points:
        return []
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    box = func.ST_MakeEnvelope(min(lons) - margin, min(lats) - margin, max(lons) + margin,
                               max(lats) + margin, 4326)
    return db.session.scalars(select(Territory.id).where(Territory.area.op("&&")(box))
                              .order_by(Territory.name, Territory.id).limit(limit)).all()


def map_outlines(territory_ids):
    """[(name, GeoJSON geometry)] of these territories, simplified to what a map shows.

    Points within MAP_TOLERANCE_DEG (about 2 m) of the line are dropped, in the database:
    a page never carries an outline at survey precision, however detailed the stored one is.
    """
    if not territory_ids:
        return []
    shape = func.ST_AsGeoJSON(drawable_outline(Territory.area, MAP_TOLERANCE_DEG), 6)
    rows = db.session.execute(select(Territory.name, shape)
                              .where(Territory.id.in_(list(territory_ids)))
                              .order_by(Territory.name, Territory.id))
    return [(name, json.loads(geometry)) for name, geometry in rows]


def territory_ids_named(values, *, field="territory"):
    """Return the ids of the territories named by `values`, each a code or an id.

    A code is compared as typed (trimmed); a value naming no territory either way is a 422
    on `field` that says so, and which codes exist (for `users create --territory`).
    """
    fields = Fields({field: list(values or ())}, strict=False)
    names = fields.string_list(field, label="Les territoires", max_length=40) or []
    fields.done()
    found, unknown = [], []
    for name in names:
        territory_id = parse_uuid(name)
        match = db.session.scalar(select(Territory.id).where(
            Territory.id == territory_id if territory_id else Territory.code == name))
        (found if match else unknown).append(match or name)
    if unknown:
        codes = db.session.scalars(select(Territory.code).where(Territory.code.is_not(None))
                                   .order_by(Territory.code).limit(30)).all()
        known = (" Codes connus : " + ", ".join(codes) + "." if codes
                 else " Aucun territoire n'a de code : importez-les d'abord.")
        raise ValidationFailed.field(field, "Aucun territoire n'a pour code ou identifiant "
                                     + ", ".join(f"« {u} »" for u in unknown) + "." + known)
    return list(dict.fromkeys(found))


def get_territory(territory_id):
    try:
        territory = db.session.get(Territory, uuid.UUID(str(territory_id)))
    except ValueError:
        territory = None
    if territory is None:
        raise NotFound("Territoire introuvable.")
    return territory


def _name_and_code(name, code):
    """Return the cleaned name and optional code of a territory, or raise 422 on the fields."""
    fields = Fields({"name": name, "code": code}, strict=False)
    name = fields.text("name", label="Le nom", max_length=120)
    if name is None and not fields.failed("name"):
        fields.fail("name", "Indiquez le nom du territoire.")
    code = fields.text("code", label="Le code", max_length=40)
    fields.done()
    return name, code


def _check_code_free(code, *, other_than=None):
    """Raise 409 when another territory already has this code."""
    if not code:
        return
    taken = select(Territory.id).where(Territory.code == code)
    if other_than is not None:
        taken = taken.where(Territory.id != other_than)
    if db.session.scalar(taken):
        raise Conflict(f"Le code {code} est déjà pris par un autre territoire.",
                       details=[{"field": "code", "message": f"Le code {code} est déjà pris."}])


def _coordinators(coordinator_ids):
    """The coordinator accounts named by ``coordinator_ids`` (422 for any other id)."""
    try:
        ids = {uuid.UUID(str(c)) for c in coordinator_ids}
    except ValueError:
        raise ValidationFailed.field("coordinators", "Coordinateur inconnu.") from None
    found = db.session.scalars(select(User).where(
        User.id.in_(ids), User.role == Role.COORDINATOR.value)).all() if ids else []
    if len(found) != len(ids):
        raise ValidationFailed.field("coordinators", "Seuls des comptes de coordination "
                                     "peuvent être rattachés.")
    return found


@use_case
def update_territory(actor, territory_id, *, name, code, coordinator_ids):
    """Rename a territory, change its code and set its coordinators; audited."""
    territory = get_territory(territory_id)
    name, code = _name_and_code(name, code)
    _check_code_free(code, other_than=territory.id)
    found = _coordinators(coordinator_ids)
    before = {"name": territory.name, "code": territory.code,
              "coordinators": sorted(u.email for u in territory.coordinators)}
    territory.name, territory.code = name, code
    db.session.execute(delete(coordinator_territories).where(
        coordinator_territories.c.territory_id == territory.id))
    if found:
        db.session.execute(insert(coordinator_territories),
                           [{"user_id": u.id, "territory_id": territory.id} for u in found])
    after = {"name": name, "code": code, "coordinators": sorted(u.email for u in found)}
    audit.record(actor, "territory.updated", target_type="territory", target_id=territory.id,
                 summary=f"Territoire « {name} » : "
                         + (", ".join(after["coordinators"]) or "aucun coordinateur"),
                 before=before, after=after)
    db.session.flush()
    db.session.expire(territory)
    return territory


@use_case
def replace_outline(actor, territory_id, data):
    """Replace one territory's outline from GeoJSON (a geometry, a feature, a collection of one)."""
    territory = get_territory(territory_id)
    territory.area = stored_area(_one_outline(data, territory.name))
    audit.record(actor, "territory.updated", target_type="territory", target_id=territory.id,
                 summary=f"Contour du territoire « {territory.name} » remplacé")
    return territory


@use_case
def create_territory(actor, *, name, code, data):
    """Create a territory from a name, an optional unique code and one GeoJSON outline; audited."""
    name, code = _name_and_code(name, code)
    geometry = _one_outline(data, name)
    _check_code_free(code)
    _check_total(count_territories(), 1)
    territory = Territory(name=name, code=code, area=stored_area(geometry))
    db.session.add(territory)
    db.session.flush()
    audit.record(actor, "territory.created", target_type="territory", target_id=territory.id,
                 summary=f"Territoire « {name} » créé", code=code)
    return territory


def _one_outline(data, name):
    """The geometry of exactly one outline in GeoJSON, or ValidationFailed on field `geojson`."""
    try:
        document = json.loads(data) if isinstance(data, (bytes, str)) else data
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed.field("geojson",
                                     "Le fichier n'est pas du GeoJSON lisible.") from None
    if isinstance(document, dict) and document.get("type") in ("Polygon", "MultiPolygon"):
        document = {"type": "Feature", "geometry": document, "properties": {}}
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    features = document.get("features") if isinstance(document, dict) else None
    if isinstance(features, list) and len(features) != 1:
        raise ValidationFailed.field("geojson",
                                     "Le fichier doit contenir un seul contour (un polygone).")
    if isinstance(features, list) and isinstance(features[0], dict):
        properties = features[0].get("properties") or {}
        features[0]["properties"] = {**properties, "name": properties.get("name") or name}
    try:
        (feature,) = parse_territories_geojson(document,
                                               max_vertices=setting("TERRITORY_MAX_POINTS"))
    except GeoError as exc:
        raise ValidationFailed.field("geojson", exc.message) from None
    return feature.geometry
