"""Shared column helpers for the models."""

import uuid

from sqlalchemy import DateTime, Index, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import mapped_column

from .. import clock


def uuid_pk():
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def created_at():
    return mapped_column(DateTime(timezone=True), nullable=False, default=clock.now)


def updated_at():
    return mapped_column(DateTime(timezone=True), nullable=False, default=clock.now,
                         onupdate=clock.now)


# Rows placed in territories by their point (people, relays, structures, resources,
# candidacies, training sessions) are tested against outlines in longitude and latitude
# (geo.queries.point_in_area): this index on the point read as geometry answers that test
# from the territories' side.
POINT_GEOMETRY_INDEXED = ("residents", "relays", "structures", "resources", "candidacies",
                          "training_sessions")


def point_geometry_index(table):
    return Index(f"ix_{table}_point_geometry", text("(point::geometry)"),
                 postgresql_using="gist")
