"""Bulk upsert of checked records: COPY into temporary tables, then INSERT … ON CONFLICT.

Rows keyed by (source, source_id) use the partial unique index of that pair; rows that
this application exported itself (source `bienveilleurs`) are matched on their own id.
A row whose values did not change is left alone (neither updated_at nor the counters move).
Re-imported records without coordinates keep the position they already had, and an
import never re-activates a resource someone deactivated here.
"""

import uuid

from sqlalchemy import text

from ...extensions import db

KEY_CONFLICT = "(source, source_id) WHERE source IS NOT NULL AND source_id IS NOT NULL"

STRUCTURE_COLUMNS = [("local_id", "uuid"), ("name", "text"), ("siret", "text"),
                     ("address", "text"), ("point_wkt", "text"), ("phone", "text"),
                     ("email", "text"), ("website", "text"), ("source", "text"),
                     ("source_id", "text")]
STRUCTURE_DATA = ("name", "siret", "address", "phone", "email", "website")

RESOURCE_COLUMNS = [("ord", "int4"), ("local_id", "uuid"), ("structure_id", "uuid"),
                    ("name", "text"), ("description", "text"), ("categories", "text[]"),
                    ("audiences", "text[]"), ("point_wkt", "text"), ("address", "text"),
                    ("postal_code", "text"), ("city", "text"), ("phone", "text"),
                    ("email", "text"), ("website", "text"), ("opening_hours", "text"),
                    ("languages", "text[]"), ("accessible", "bool"), ("active", "bool"),
                    ("source", "text"), ("source_id", "text")]
RESOURCE_DATA = ("structure_id", "name", "description", "categories", "audiences", "address",
                 "postal_code", "city", "phone", "email", "website", "opening_hours", "languages",
                 "accessible")


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _wkt(point):
    return f"SRID=4326;POINT({point[0]!r} {point[1]!r})" if point else None


def _raw_connection():
    """The psycopg connection of the session's current transaction (for COPY)."""
    return db.session.connection().connection.driver_connection


def _copy(table, columns, rows):
    """Create a temporary table and COPY the rows into it."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns)
    db.session.execute(text(f"CREATE TEMPORARY TABLE {table} ({definition}) ON COMMIT DROP"))
    names = ", ".join(name for name, _ in columns)
    with _raw_connection().cursor() as cursor:
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.set_types([kind for _, kind in columns])
            for row in rows:
                copy.write_row(row)


def _changed(table_alias, columns):
    mine = ", ".join(f"{table_alias}.{c}" for c in columns)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in columns)
    return f"({mine}) IS DISTINCT FROM ({theirs})"


def _point_changed(table_alias):
    return (f"(EXCLUDED.point IS NOT NULL AND "
            f"ST_AsBinary({table_alias}.point) IS DISTINCT FROM ST_AsBinary(EXCLUDED.point))")


def _count(result):
    created = updated = 0
    for (inserted,) in result:
        if inserted:
            created += 1
        else:
            updated += 1
    return created, updated


def write(structures, resources, *, now):
    """Upsert ``structures`` ({key: clean}) then ``resources`` ([clean]); return the counters."""
    suffix = uuid.uuid4().hex[:12]
    # One import at a time: concurrent imports of overlapping files would otherwise race on
    # the placeholder structures they create.
    db.session.execute(text(
        "SELECT pg_advisory_xact_lock(hashtext('bienveilleurs:resources-import'))"))
    counts = {"structures_created": 0, "structures_updated": 0, "created": 0, "updated": 0,
              "unchanged": 0}
    if structures:
        created, updated = _upsert_structures(list(structures.values()), suffix, now)
        counts["structures_created"] += created
        counts["structures_updated"] += updated
    ids, created = _resolve_structures(resources, now)
    counts["structures_created"] += created
    if resources:
        created, updated = _upsert_resources(resources, ids, suffix, now)
        counts["created"], counts["updated"] = created, updated
        counts["unchanged"] = len(resources) - created - updated
    return counts


def _upsert(target, alias, table, data_columns, *, active, now, order="", also_set="",
            also_changed=""):
    """Insert the rows of the temporary ``table`` into ``target``, or update the changed ones.

    Rows with a ``local_id`` (this application's own export) are matched on their id, the
    others on (source, source_id). A re-imported row without a point keeps its point.
    Returns (created, updated).
    """
    data = ", ".join(data_columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in data_columns)
    changed = f"{_changed(alias, data_columns)} OR {_point_changed(alias)}{also_changed}"
    common = (f"point = COALESCE(EXCLUDED.point, {alias}.point), {updates}, {also_set}"
              f"updated_at = EXCLUDED.updated_at WHERE {changed} RETURNING (xmax = 0)")
    values = f"{data}, CAST(point_wkt AS geography), {active}"
    keyed = (f"INSERT INTO {target} AS {alias} (id, {data}, point, active, source, source_id, "
             f"created_at, updated_at) SELECT gen_random_uuid(), {values}, source, source_id, "
             f":now, :now FROM {table} WHERE local_id IS NULL{order} "
             f"ON CONFLICT {KEY_CONFLICT} DO UPDATE SET {common}")
    own = (f"INSERT INTO {target} AS {alias} (id, {data}, point, active, created_at, "
           f"updated_at) SELECT local_id, {values}, :now, :now "
           f"FROM {table} WHERE local_id IS NOT NULL{order} "
           f"ON CONFLICT (id) DO UPDATE SET {common}")
    results = [db.session.execute(text(sql), {"now": now}).all() for sql in (keyed, own)]
    db.session.execute(text(f"DROP TABLE {table}"))
    counted = [_count(result) for result in results]
    return sum(c for c, _ in counted), sum(u for _, u in counted)


def _upsert_structures(structures, suffix, now):
    table = f"import_structures_{suffix}"
    _copy(table, STRUCTURE_COLUMNS, (
        (s["local_id"], s["name"], s.get("siret"), s.get("address"), _wkt(s.get("point")),
         s.get("phone"), s.get("email"), s.get("website"), s["source"], s["source_id"])
        for s in structures))
    return _upsert("structures", "s", table, STRUCTURE_DATA, active="true", now=now)


def _resolve_structures(resources, now):
    """Give each resource's structure reference an id, creating missing structures.

    Returns ({reference: structure id}, number of structures created).
    """
    wanted = {"id": {}, "key": {}, "name": {}}
    for resource in resources:
        kind, key, name = resource["structure_ref"]
        wanted[kind].setdefault(key, name)
    ids, created = {}, 0
    for kind, resolve in (("key", _structures_by_key), ("id", _structures_by_own_id),
                          ("name", _structures_by_name)):
        if wanted[kind]:
            found, new = resolve(wanted[kind], now)
            ids.update({(kind, key): value for key, value in found.items()})
            created += new
    return ids, created


def _structures_by_key(wanted, now):
    """Structures named by (source, source_id); missing ones are created as placeholders."""
    keys = list(wanted)
    select_keyed = text(
        "SELECT s.source, s.source_id, s.id FROM structures s "
        "JOIN unnest(CAST(:sources AS text[]), CAST(:ids AS text[])) AS k(source, source_id) "
        "ON s.source = k.source AND s.source_id = k.source_id")
    found = {(r[0], r[1]): r[2] for r in db.session.execute(
        select_keyed, {"sources": [k[0] for k in keys], "ids": [k[1] for k in keys]})}
    missing = [k for k in keys if k not in found]
    # This application's exports name a structure from another source by its own id.
    by_id = {k: _as_uuid(k[1]) for k in missing if _as_uuid(k[1])}
    if by_id:
        existing = set(db.session.scalars(text("SELECT id FROM structures WHERE id = ANY(:ids)"),
                                          {"ids": list(by_id.values())}))
        found.update({k: v for k, v in by_id.items() if v in existing})
        missing = [k for k in missing if k not in found]
    created = 0
    if missing:
        names = [(wanted[k] or f"Structure {k[1]}")[:200] for k in missing]
        inserted = db.session.execute(text(
            "INSERT INTO structures (id, name, active, source, source_id, created_at, "
            "updated_at) SELECT gen_random_uuid(), n, true, s, i, :now, :now "
            "FROM unnest(CAST(:sources AS text[]), CAST(:ids AS text[]), "
            "CAST(:names AS text[])) AS t(s, i, n) "
            f"ON CONFLICT {KEY_CONFLICT} DO NOTHING RETURNING source, source_id, id"),
            {"sources": [k[0] for k in missing], "ids": [k[1] for k in missing],
             "names": names, "now": now}).all()
        created = len(inserted)
        found.update({(r[0], r[1]): r[2] for r in inserted})
    return {k: found[k] for k in keys if k in found}, created


def _structures_by_own_id(wanted, now):
    """Structures of this application named by their id; missing ones are created."""
    own = list(wanted)
    found = set(db.session.scalars(text("SELECT id FROM structures WHERE id = ANY(:ids)"),
                                   {"ids": own}))
    missing = [k for k in own if k not in found]
    if missing:
        db.session.execute(text(
            "INSERT INTO structures (id, name, active, created_at, updated_at) "
            "SELECT i, n, true, :now, :now "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS text[])) "
            "AS t(i, n) ON CONFLICT (id) DO NOTHING"),
            {"ids": missing, "names": [(wanted[k] or f"Structure {k}")[:200] for k in missing],
             "now": now})
    return {k: k for k in own}, len(missing)


def _structures_by_name(wanted, now):
    """Structures named only by their name (case and spaces aside); missing ones are created."""
    keys = list(wanted)
    normalised = "lower(regexp_replace(name, '\\s+', ' ', 'g'))"
    found = {r[0]: r[1] for r in db.session.execute(text(
        f"SELECT DISTINCT ON ({normalised}) {normalised}, id FROM structures "
        f"WHERE {normalised} = ANY(:keys) ORDER BY {normalised}, created_at, id"),
        {"keys": keys})}
    missing = [k for k in keys if k not in found]
    created = 0
    if missing:
        inserted = db.session.execute(text(
            "INSERT INTO structures (id, name, active, created_at, updated_at) "
            "SELECT gen_random_uuid(), n, true, :now, :now "
            "FROM unnest(CAST(:names AS text[])) AS t(n) RETURNING id, name"),
            {"names": [wanted[k][:200] for k in missing], "now": now}).all()
        created = len(inserted)
        by_name = {r[1]: r[0] for r in inserted}
        found.update({k: by_name[wanted[k][:200]] for k in missing})
    return {k: found[k] for k in keys}, created


def _upsert_resources(resources, structure_ids, suffix, now):
    table = f"import_resources_{suffix}"
    _copy(table, RESOURCE_COLUMNS, (
        (index, r["local_id"], structure_ids[(r["structure_ref"][0], r["structure_ref"][1])],
         r["name"], r.get("description") or "", r.get("categories") or [],
         r.get("audiences") or [], _wkt(r.get("point")), r.get("address"), r.get("postal_code"),
         r.get("city"), r.get("phone"), r.get("email"), r.get("website"),
         r.get("opening_hours"), r.get("languages") or [], r.get("accessible"),
         r.get("active", True) is not False, r["source"], r["source_id"])
        for index, r in enumerate(resources)))
    # An import never re-activates a resource someone deactivated here.
    return _upsert("resources", "r", table, RESOURCE_DATA, active="active", now=now,
                   order=" ORDER BY ord", also_set="active = r.active AND EXCLUDED.active, ",
                   also_changed=" OR (r.active AND NOT EXCLUDED.active)")
