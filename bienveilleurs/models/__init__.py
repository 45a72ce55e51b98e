"""SQLAlchemy models. They never commit: services own the transactions."""

from .accounts import (
    ROLE_LABELS,
    ROLE_VALUES,
    ApiToken,
    LoginThrottle,
    RecoveryCode,
    Role,
    User,
    coordinator_territories,
)
from .administration import ACCOUNT_TOKEN_PURPOSES, AccountToken, AuditEntry
from .candidacies import (
    PROFILES,
    STAGE_LABELS,
    STAGES,
    Candidacy,
    CandidacyEvent,
    CharterPrompt,
    CharterSignature,
    CharterVersion,
    NetworkMilestone,
    TrainingParticipant,
    TrainingSession,
)
from .directory import Relay, Resource, Structure, structure_members
from .jobs import ScheduledJob
from .notifications import (
    NOTIFICATION_KINDS,
    Notification,
    NotificationAttempt,
    NotificationPreference,
)
from .privacy import ACCESS_ACTIONS, AccessLog
from .referrals import (
    CHANNEL_LABELS,
    CHANNELS,
    LINK_ACTIONS,
    LINK_END_REASONS,
    OUTCOME_LABELS,
    OUTCOMES,
    STATUS_LABELS,
    STATUSES,
    Contact,
    ErasedId,
    Referral,
    ReferralEvent,
    Resident,
    StructureLink,
)
from .territories import Territory

__all__ = ["ACCESS_ACTIONS", "ACCOUNT_TOKEN_PURPOSES", "AccessLog", "AccountToken", "ApiToken",
           "AuditEntry", "CHANNELS", "CHANNEL_LABELS", "Candidacy", "CandidacyEvent",
           "CharterPrompt", "CharterSignature", "CharterVersion", "Contact", "ErasedId",
           "LINK_ACTIONS", "LINK_END_REASONS", "LoginThrottle", "NOTIFICATION_KINDS",
           "NetworkMilestone", "Notification", "NotificationAttempt", "NotificationPreference",
           "OUTCOMES", "OUTCOME_LABELS", "PROFILES", "ROLE_LABELS", "ROLE_VALUES", "RecoveryCode",
           "Referral", "ReferralEvent", "Relay", "Resident", "Resource", "Role", "STAGES",
           "STAGE_LABELS", "STATUSES", "STATUS_LABELS", "ScheduledJob", "Structure",
           "StructureLink", "Territory", "TrainingParticipant", "TrainingSession", "User",
           "coordinator_territories", "structure_members"]
