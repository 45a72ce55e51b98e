"""Territories: polygons that coordinators are attached to."""

import uuid
from datetime import datetime

from geoalchemy2 import Geography, Geometry
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import coordinator_territories
from .base import created_at, uuid_pk


class Territory(db.Model):
    __tablename__ = "territories"
    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    # Polygons are compared with points by containment only: plain lon/lat geometry is right.
    area = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    created_at: Mapped[datetime] = created_at()

    coordinators = relationship("User", secondary=coordinator_territories, viewonly=True)


class CoverageCell(db.Model):
    """One hexagon of a territory's coverage grid (services.coverage_cache), with how many
    available relays reach its centre, as of its territory's `CoverageState`."""

    __tablename__ = "coverage_cells"

    territory_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True)
    i: Mapped[int] = mapped_column(Integer, primary_key=True)
    j: Mapped[int] = mapped_column(Integer, primary_key=True)
    shape = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)
    centre = mapped_column(Geography("POINT", srid=4326, spatial_index=True), nullable=False)
    relays: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CoverageState(db.Model):
    """When a territory's coverage was computed, for which outline, and its totals."""

    __tablename__ = "territory_coverage"

    territory_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True)
    outline_md5: Mapped[str] = mapped_column(String(32))
    cells: Mapped[int] = mapped_column(Integer, default=0)
    uncovered: Mapped[int] = mapped_column(Integer, default=0)
    relays: Mapped[int] = mapped_column(Integer, default=0)
    free_places: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
