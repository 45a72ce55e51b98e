"""Structures, the resources (services) they offer, and relays (bienveilleurs)."""

import uuid
from datetime import datetime

from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at, point_geometry_index, updated_at, uuid_pk


def point_type():
    """Return a new geography point type (one instance per column: GeoAlchemy2 keeps
    per-column state such as nullability on the type)."""
    # Geography on WGS84: `<->` and ST_DWithin then work in true metres with the index.
    return Geography("POINT", srid=4326, spatial_index=True)

structure_members = Table(
    "structure_members",
    db.metadata,
    Column("user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("structure_id", UUID(as_uuid=True), ForeignKey("structures.id", ondelete="CASCADE"),
           primary_key=True),
)


class Structure(db.Model):
    """An organisation (CCAS, centre social, association…); social workers belong to it."""

    __tablename__ = "structures"
    __table_args__ = (
        point_geometry_index("structures"),
        Index("uq_structures_source", "source", "source_id", unique=True,
              postgresql_where=text("source IS NOT NULL AND source_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str | None] = mapped_column(String(14))
    address: Mapped[str | None] = mapped_column(String(300))
    point = mapped_column(point_type(), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    # Where notifications go while the structure has no member account yet.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    resources = relationship("Resource", back_populates="structure", order_by="Resource.name")
    members = relationship("User", secondary=structure_members, lazy="selectin")


class Resource(db.Model):
    """One service a structure offers at a point; referrals go to a resource."""

    __tablename__ = "resources"
    __table_args__ = (
        point_geometry_index("resources"),
        Index("uq_resources_source", "source", "source_id", unique=True,
              postgresql_where=text("source IS NOT NULL AND source_id IS NOT NULL")),
        Index("ix_resources_categories", "categories", postgresql_using="gin"),
        # HSDS pages of active services, by name then id: the index walks to page N.
        Index("ix_resources_active_name", "name", "id", postgresql_where=text("active")),
        CheckConstraint("saturation IN ('available', 'limited', 'full')", name="saturation_known"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    structure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("structures.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # data·inclusion codes: `thematiques` (sub-codes like sante--sante-mentale) and `publics`.
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    audiences: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    # Null when the source gave no coordinates and geocoding failed ("non localisée").
    point = mapped_column(point_type(), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    opening_hours: Mapped[str | None] = mapped_column(String(255))  # OpenStreetMap syntax
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)  # ISO 639-1
    accessible: Mapped[bool | None] = mapped_column(Boolean)
    capacity: Mapped[int | None] = mapped_column(Integer)
    saturation: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(100))
    source_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()

    structure = relationship("Structure", back_populates="resources", lazy="joined")


class Relay(db.Model):
    """A bienveilleur: a volunteer with a home or shop point, a radius and a capacity."""

    __tablename__ = "relays"
    __table_args__ = (
        point_geometry_index("relays"),
        CheckConstraint("status IN ('active', 'paused', 'ended')", name="status_known"),
        CheckConstraint("radius_m > 0", name="radius_positive"),
        CheckConstraint("capacity >= 0", name="capacity_positive"),
        CheckConstraint("active_referrals >= 0", name="load_positive"),
        Index("ix_relays_display_name", "display_name", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # Given at the candidacy or in the imported list: for the coordination only.
    phone: Mapped[str | None] = mapped_column(String(40))
    # Often the relay's home: shown to coordinators and admins only.
    point = mapped_column(point_type(), nullable=False)
    radius_m: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    # Referrals not closed and assigned to this relay. Kept by the referral service under a
    # row lock, so that concurrent assignments cannot exceed `capacity` and matching can
    # filter on free capacity with no aggregate.
    active_referrals: Mapped[int] = mapped_column(Integer, default=0)
    languages: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    # Weekly availability in OpenStreetMap opening_hours syntax
    # ("Mo-Fr 17:00-20:00; Sa 10:00-12:00").
    availability: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    ended_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))
    # Set by the retention job once a relay who left is anonymised (name, exact point).
    anonymised_at: Mapped[datetime | None] = mapped_column(db.DateTime(timezone=True))

    user = relationship("User", lazy="joined")

    @property
    def free_capacity(self):
        return max(0, self.capacity - self.active_referrals)
