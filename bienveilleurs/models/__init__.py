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
    OUTCOME_LABELS,
    OUTCOMES,
    STATUS_LABELS,
    STATUSES,
    Contact,
    ErasedId,
    Referral,
    ReferralEvent,
    Resident,
)
from .territories import Territory

__all__ = ["ACCESS_ACTIONS", "ACCOUNT_TOKEN_PURPOSES", "AccessLog", "AccountToken", "ApiToken",
           "AuditEntry", "CHANNELS", "Candidacy", "CandidacyEvent", "CharterPrompt",
           "CharterSignature", "CharterVersion", "NetworkMilestone", "PROFILES", "STAGES",
           "STAGE_LABELS", "TrainingParticipant", "TrainingSession", "CHANNEL_LABELS", "Contact",
           "ErasedId", "LoginThrottle",
           "NOTIFICATION_KINDS", "Notification", "NotificationAttempt", "NotificationPreference",
           "OUTCOMES", "OUTCOME_LABELS", "ROLE_LABELS", "ROLE_VALUES", "RecoveryCode", "Referral",
           "ReferralEvent", "Relay", "Resident", "Resource", "Role", "STATUSES", "STATUS_LABELS",
           "ScheduledJob",
           "Structure", "Territory", "User", "coordinator_territories", "structure_members"]
