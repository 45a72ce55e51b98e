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
from .campaigns import (
    CALL_CHANNELS,
    CALL_OUTCOMES,
    CAMPAIGN_KIND_LABELS,
    CAMPAIGN_KINDS,
    CAMPAIGN_STATUSES,
    CHECK_STATUS_LABELS,
    CHECK_STATUSES,
    WATCH_REASON_LABELS,
    WATCH_REASONS,
    Campaign,
    CampaignCall,
    CampaignCheck,
    WatchEntry,
)
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
from .evaluation import (
    MOMENTS,
    NETWORK_LABELS,
    NETWORKS,
    UCLA3_ANSWERS,
    UCLA3_QUESTIONS,
    FollowUp,
    IndicatorMonth,
    WellbeingMeasure,
)
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
from .territories import CoverageCell, CoverageState, Territory

__all__ = ["ACCESS_ACTIONS", "ACCOUNT_TOKEN_PURPOSES", "AccessLog", "AccountToken", "ApiToken",
           "AuditEntry", "CALL_CHANNELS", "CALL_OUTCOMES", "CAMPAIGN_KINDS",
           "CAMPAIGN_KIND_LABELS", "CAMPAIGN_STATUSES", "CHANNELS", "CHANNEL_LABELS",
           "CHECK_STATUSES", "CHECK_STATUS_LABELS", "Campaign", "CampaignCall", "CampaignCheck",
           "Candidacy", "CandidacyEvent", "CharterPrompt", "CharterSignature", "CharterVersion",
           "Contact", "ErasedId", "FollowUp", "IndicatorMonth", "LINK_ACTIONS",
           "LINK_END_REASONS", "LoginThrottle", "MOMENTS", "NETWORKS", "NETWORK_LABELS",
           "NOTIFICATION_KINDS", "NetworkMilestone", "Notification", "NotificationAttempt",
           "NotificationPreference", "OUTCOMES", "OUTCOME_LABELS", "PROFILES", "ROLE_LABELS",
           "ROLE_VALUES", "RecoveryCode", "Referral", "ReferralEvent", "Relay", "Resident",
           "Resource", "Role", "STAGES", "STAGE_LABELS", "STATUSES", "STATUS_LABELS",
           "ScheduledJob", "Structure", "StructureLink", "Territory", "TrainingParticipant",
           "TrainingSession", "UCLA3_ANSWERS", "UCLA3_QUESTIONS", "User", "WATCH_REASONS",
           "WATCH_REASON_LABELS", "WatchEntry", "WellbeingMeasure", "coordinator_territories",
           "structure_members", "CoverageCell", "CoverageState"]
