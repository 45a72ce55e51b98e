"""Import the walking network: OpenStreetMap ways a pedestrian may use, into pgRouting.

`import_network(path)` reads the file (geo.walkways, pyosmium), then in one transaction:
builds the new network in the schema `routing_next` (edges by COPY, lengths on the same
sphere as the rest of matching, fragments cut off from the rest dropped, indexes), and
swaps it for the previous one (schema renames, then the old one dropped). Requests
running meanwhile keep the previous network; the next ones get the new one, never a
half-built one.

The schema `routing` is PostGIS and pgRouting data, not the application's: Alembic's
autogenerate leaves it alone (migrations/env.py). Without pgRouting on the server the
import refuses clearly and matching stays straight-line.
"""

import time

from geo.errors import GeoError
from geo.walkways import read_walkways

from ...errors import Conflict, ValidationFailed
from ...extensions import db
from ..transaction import use_case
from .snapping import NETWORK_SCHEMA

BUILD_SCHEMA = "routing_next"
OLD_SCHEMA = "routing_previous"
# A piece of the graph cut off from the rest (a footway inside a closed site, a way clipped
# at the border of the extract) would snap people onto an island: smaller ones than this,
# other than the largest, are dropped.
MIN_COMPONENT_EDGES = 50
_LOCK = 7_415_551  # advisory lock: one import at a time


NO_PGROUTING = ("pgRouting n'est pas installé sur ce serveur PostgreSQL : le réseau piéton ne "
                "peut pas être importé et les distances restent à vol d'oiseau. Installez le "
                "paquet postgresql-N-pgrouting (N : la version du serveur), puis relancez "
                "l'import.")
NO_WAYS = ("Ce fichier ne contient aucune voie praticable à pied : le réseau précédent est "
           "conservé.")
SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")


def pgrouting_status():
    """Return (available on the server, installed in this database) for pgRouting."""
    row = db.session.execute(db.text(
        "SELECT default_version, installed_version FROM pg_available_extensions "
        "WHERE name = 'pgrouting'")).first()
    return (row is not None, row is not None and row.installed_version is not None)


def _ensure_pgrouting():
    available, installed = pgrouting_status()
    if not available:
        raise Conflict(NO_PGROUTING)
    if not installed:
        db.session.execute(db.text("CREATE EXTENSION IF NOT EXISTS pgrouting"))


def _copy_edges(graph):
    driver = db.session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {BUILD_SCHEMA}.staging (id, source, target, osm_way_id, geom) "
                         "FROM STDIN") as copy:
            for number, (source, target, way_id, line) in enumerate(graph.edges, start=1):
                points = ",".join(f"{lon:.7f} {lat:.7f}" for lon, lat in line)
                copy.write_row((number, source + 1, target + 1, way_id,
                                f"SRID=4326;LINESTRING({points})"))


_BUILD = (
    f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE",
    f"CREATE SCHEMA {BUILD_SCHEMA}",
    f"""CREATE TABLE {BUILD_SCHEMA}.staging (id integer, source integer, target integer,
        osm_way_id bigint, geom geometry(LineString, 4326))""",
)
# Lengths on the sphere (as `<->` and distance_m); rows in space-filling-curve order, so
# that the edges of one neighbourhood share disk pages: each match reads a window of them.
_FINISH = (
    f"""CREATE TABLE {BUILD_SCHEMA}.edges AS
        SELECT s.id, s.source, s.target, ST_Length(s.geom::geography, false) AS length_m,
               s.osm_way_id, ST_Transform(s.geom, 3857)::geometry(LineString, 3857) AS geom
        FROM {BUILD_SCHEMA}.staging s
        WHERE s.id NOT IN (SELECT id FROM {BUILD_SCHEMA}.dropped)
        ORDER BY ST_GeoHash(ST_StartPoint(s.geom), 10)""",
    f"ALTER TABLE {BUILD_SCHEMA}.edges ADD PRIMARY KEY (id)",
    f"CREATE INDEX edges_geom ON {BUILD_SCHEMA}.edges USING gist (geom)",
    f"DROP TABLE {BUILD_SCHEMA}.staging, {BUILD_SCHEMA}.dropped",
    f"ANALYZE {BUILD_SCHEMA}.edges",
)
# Components by pgRouting itself; the largest is always kept.
_FRAGMENTS = f"""
    CREATE TABLE {BUILD_SCHEMA}.dropped AS
    WITH vertex AS (
        SELECT component, node FROM pgr_connectedComponents(
            'SELECT id, source, target, 1.0::float8 AS cost, 1.0::float8 AS reverse_cost
             FROM {BUILD_SCHEMA}.staging')
    ), edge AS (
        SELECT s.id, v.component FROM {BUILD_SCHEMA}.staging s
        JOIN vertex v ON v.node = s.source
    ), size AS (
        SELECT component, count(*) AS edges FROM edge GROUP BY component
    )
    SELECT e.id FROM edge e JOIN size USING (component)
    WHERE size.edges < :smallest
      AND component <> (SELECT component FROM size ORDER BY edges DESC, component LIMIT 1)
"""
_SWAP = (
    f"DROP SCHEMA IF EXISTS {OLD_SCHEMA} CASCADE",
    f"""DO $$ BEGIN
          IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{NETWORK_SCHEMA}') THEN
            ALTER SCHEMA {NETWORK_SCHEMA} RENAME TO {OLD_SCHEMA};
          END IF;
        END $$""",
    f"ALTER SCHEMA {BUILD_SCHEMA} RENAME TO {NETWORK_SCHEMA}",
    f"DROP SCHEMA IF EXISTS {OLD_SCHEMA} CASCADE",
)


def _run(statements, **params):
    for statement in statements:
        db.session.execute(db.text(statement), params)


@use_case
def import_network(path, *, source=None):
    """Build the walking network from an OSM file and put it in place of the previous one.

    Returns a summary: ways read, nodes and edges kept, fragments dropped, seconds.
    """
    started = time.monotonic()
    if not str(path).lower().endswith(SUFFIXES):
        raise ValidationFailed("Le fichier doit être un extrait OpenStreetMap "
                               "(.osm.pbf ou .osm).")
    try:
        graph = read_walkways(path)
    except GeoError as exc:
        raise ValidationFailed(exc.message) from None
    read_s = time.monotonic() - started
    if not graph.edges:
        raise ValidationFailed(NO_WAYS)
    db.session.execute(db.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    _ensure_pgrouting()
    _run(_BUILD)
    _copy_edges(graph)
    _run((_FRAGMENTS,), smallest=MIN_COMPONENT_EDGES)
    dropped = db.session.scalar(db.text(f"SELECT count(*) FROM {BUILD_SCHEMA}.dropped"))
    _run(_FINISH)
    edges, nodes = db.session.execute(db.text(
        f"""SELECT count(*), (SELECT count(*) FROM (SELECT source FROM {BUILD_SCHEMA}.edges
                                                   UNION SELECT target FROM {BUILD_SCHEMA}.edges)
                              AS v)
            FROM {BUILD_SCHEMA}.edges""")).one()
    db.session.execute(db.text(
        f"""CREATE TABLE {BUILD_SCHEMA}.network AS
            SELECT now() AS imported_at, CAST(:source AS text) AS source, CAST(:ways AS integer)
                   AS ways, CAST(:nodes AS integer) AS nodes, CAST(:edges AS integer) AS edges"""),
        {"source": source or str(path), "ways": graph.ways, "nodes": nodes, "edges": edges})
    _run(_SWAP)
    return {"ways": graph.ways, "nodes": nodes, "edges": edges, "dropped_edges": dropped,
            "read_s": read_s, "seconds": time.monotonic() - started}
