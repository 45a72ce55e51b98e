"""The access log: who read which resident's file or referral, and every export.

It holds identifiers only (no names, no notes, no positions). A database trigger (migration
priv_01) refuses every UPDATE, and every DELETE of a row younger than ACCESS_LOG_DAYS: only
the retention job, which tells the trigger the setting, purges older rows.
"""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at

ACCESS_ACTIONS = {
    "resident.read": "Consultation du dossier de la personne",
    "referral.read": "Consultation d'une orientation",
    # Lists that show people (a name, a position): one row per referral shown, per page view.
    "referral.map": "Vue sur la carte des orientations ouvertes (coordination)",
    "referral.inbox": "Vue dans « À attribuer » (coordination)",
    "referral.stale": "Vue dans « En attente » (coordination)",
    "referral.structure_list": "Vue dans les orientations reçues (structure)",
    "referral.my_people": "Vue dans « Mes personnes » (bienveilleur)",
    "referral.offline_copy": "Copie de « Mes personnes » gardée sur le téléphone (bienveilleur)",
    "referral.follow_ups": "Vue dans « À rappeler » (bienveilleur) ou dans les rappels en "
                           "retard (coordination)",
    # Read by a structure without an account, through its one-time link (no user).
    "referral.structure_link": "Lien structure : orientation ouverte par la structure, "
                               "sans compte",
    "campaign.checks": "Vue dans une veille (appels d'une campagne)",
    "watch.register": "Vue dans le registre de veille (coordination)",
    "export": "Export",
    "resident.export": "Export des données de la personne (droit d'accès)",
    "resident.erase": "Effacement sur opposition",
}


class AccessLog(db.Model):
    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = created_at()
    # No cascade: an account that read personal data cannot be deleted while its traces last.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


Index("ix_access_log_at", AccessLog.at)
