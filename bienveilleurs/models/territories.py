"""Territories: polygons that coordinators are attached to."""

import uuid
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import coordinator_territories
from .base import created_at, uuid_pk


class Territory(db.Model):
    __tablename__ = "territories"
    __table_args__ = (
        # "Which territories cover this point" for one point (a notification, a new relay):
        # the test is on geography (geo.queries.point_in_area), so the index is too.
        Index("ix_territories_area_geography", text("(area::geography)"),
              postgresql_using="gist"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Polygons are compared with points by containment only: plain lon/lat geometry is right.
    area = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    created_at: Mapped[datetime] = created_at()

    coordinators = relationship("User", secondary=coordinator_territories, viewonly=True)
