"""SQL built for geography columns: index-friendly, parameters bound."""

from geoalchemy2 import Geography
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlalchemy.dialects import postgresql

from geo.queries import distance_m, geog_point, in_bbox, nearest, within_m

metadata = MetaData()
relays = Table(
    "relays",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location", Geography("POINT", srid=4326)),
)


def compiled(statement):
    return statement.compile(dialect=postgresql.psycopg.dialect())


def test_radius_and_nearest_query_keeps_the_column_bare():
    point = geog_point(0.1077, 49.4939)
    statement = (
        select(relays.c.id, distance_m(relays.c.location, point).label("distance_m"))
        .where(within_m(relays.c.location, point, 1500))
        .order_by(nearest(relays.c.location, point))
        .limit(5)
    )
    sql = str(compiled(statement))
    assert "ST_DWithin(relays.location, CAST(ST_SetSRID(ST_MakePoint(" in sql
    assert "ORDER BY relays.location <-> CAST(ST_SetSRID(ST_MakePoint(" in sql
    assert "ST_Distance(relays.location, CAST(" in sql
    assert "AS geography(POINT,4326))" in sql
    assert "CAST(relays.location" not in sql
    assert "ST_Transform" not in sql
    assert "ST_Distance(relays.location, CAST(ST_SetSRID(ST_MakePoint(" in sql.split("WHERE")[0]
    assert "ST_Distance" not in sql.split("WHERE")[1]


def test_coordinates_and_radius_are_bound_parameters_not_sql_text():
    point = geog_point(0.1077, 49.4939)
    result = compiled(select(relays.c.id).where(within_m(relays.c.location, point, 1500)))
    assert "0.1077" not in str(result) and "1500" not in str(result)
    values = list(result.params.values())
    assert 0.1077 in values and 49.4939 in values and 1500.0 in values
    assert 4326 in values
    # lon first: ST_MakePoint takes (x, y).
    assert values.index(0.1077) < values.index(49.4939)


def test_geog_point_refuses_text_so_nothing_is_spliced_into_sql():
    try:
        geog_point("0.1; DROP TABLE relays", 49.5)
    except ValueError:
        pass
    else:
        raise AssertionError("a non-numeric longitude must be refused")


def test_bbox_filter_casts_only_the_envelope():
    condition = in_bbox(relays.c.location, (0.0, 49.4, 0.3, 49.6))
    sql = str(compiled(select(relays.c.id).where(condition)))
    assert "ST_Intersects(relays.location, CAST(ST_MakeEnvelope(" in sql
    assert "AS geography(POLYGON,4326))" in sql
    assert "CAST(relays.location" not in sql
