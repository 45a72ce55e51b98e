"""Shared column helpers for the models."""

import uuid

from sqlalchemy import DateTime
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
