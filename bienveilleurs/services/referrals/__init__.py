"""Referrals: one need of one person, tracked from the report to the closure.

Callers import the package and read `referrals.transition(...)`, `referrals.timeline(...)`;
the modules are split by concern:

- `table`: the lifecycle table (`TRANSITIONS`, row for row API.md's) and its vocabulary;
- `scope`: who sees which referral and how much of it (`scoped_referrals`,
  `get_referral`, `visibility`, notes, contacts and positions by field), and which moves
  they may make (`actor_capacities`, `available_moves`);
- `events`: the one writer of events, and the hook notifications listen to;
- `lifecycle`: the one place where a referral changes status: `apply_move` through the
  table, `transition` and `expire_referrals` (use cases), and the changes outside the
  table for the privacy and relay services (`close_for_opposition`, `release_relay`);
- `intake`: `report` and `correct_details` (use cases) and how their bodies are read;
- `contacts`: `log_contact` (a use case) and who was assigned when;
- `lists`: lists for pages (inbox, stale, "Mes personnes", structures, timeline);
- `reads`: the list pages as use cases, each view access-logged with the people it showed;
- `proposals`: matching for a referral (`referral_matches`, proposed relays and resources);
- `structure_link`: a structure without an account answers from its e-mail (a one-time
  link acting through `transition`); `link_coordination`: the coordinator's view of it and
  their buttons (re-send, disable).

`actor` is always a `User`, `SYSTEM_ACTOR` for the expiry job, or a structure's link
(`structure_link.LinkActor`). Every public function
that writes, or that records a read in the access log, is a use case (one transaction,
committed once); `apply_move`, `record_report`, `close_for_opposition` and `release_relay`
are steps of a caller's use case and never commit.
"""

from .contacts import assignment_periods, log_contact, was_assigned
from .events import record_report
from .intake import CORRECTABLE_FIELDS, correct_details, may_correct, report
from .lifecycle import (
    apply_move,
    close_for_opposition,
    expire_referrals,
    release_relay,
    transition,
)
from .link_coordination import LinkSummary, link_summary
from .lists import (
    REASON_LABELS,
    ROLE_NAMES,
    STALE_LABELS,
    InboxItem,
    RelayContact,
    StaleReferral,
    TimelineRow,
    can_see,
    category_name,
    coordinator_inbox,
    last_return,
    last_returns,
    open_referrals,
    reason_label,
    relay_contact,
    relay_referrals,
    reported_by,
    returns_to_reorient,
    stale_referrals,
    stale_thresholds,
    structure_referrals,
    timeline,
)
from .proposals import (
    RelayProposal,
    declined_resource_ids,
    next_best_resources,
    proposed_relays,
    proposed_relays_for,
    proposed_resources,
    proposed_resources_for,
    referral_matches,
)
from .reads import (
    read_inbox,
    read_map,
    read_my_people,
    read_stale,
    read_structure_referrals,
)
from .scope import (
    SYSTEM_ACTOR,
    AvailableMove,
    actor_capacities,
    available_moves,
    erased_or_not_found,
    event_note,
    get_referral,
    resident_position,
    scoped_referrals,
    scoped_residents,
    sees_referral,
    sees_resident,
    tombstone_resident,
    visibility,
    visible_contacts,
    visible_events,
)
from .structure_link import LinkRefused, LinkView
from .table import (
    ACTIVE_STATUSES,
    CONTACT_REASON,
    CORRECTION_REASON,
    MOVE_LABELS,
    MOVES,
    NEXT_STEPS,
    OUTCOMES_AFTER_ACCEPT,
    OUTCOMES_ANY,
    OUTCOMES_WITHOUT_RESOURCE,
    SEND_BACK_REASONS,
    STRUCTURE_LINK,
    STRUCTURE_SEND_BACK_REASONS,
    TRANSITIONS,
    Move,
)

__all__ = [
    # the table
    "ACTIVE_STATUSES", "CONTACT_REASON", "CORRECTION_REASON", "MOVES", "MOVE_LABELS", "Move",
    "NEXT_STEPS", "OUTCOMES_AFTER_ACCEPT", "OUTCOMES_ANY", "OUTCOMES_WITHOUT_RESOURCE",
    "SEND_BACK_REASONS", "STRUCTURE_LINK", "STRUCTURE_SEND_BACK_REASONS", "TRANSITIONS",
    # scope
    "SYSTEM_ACTOR", "AvailableMove", "actor_capacities", "available_moves",
    "erased_or_not_found", "event_note", "get_referral", "resident_position",
    "scoped_referrals", "scoped_residents", "sees_referral", "sees_resident",
    "tombstone_resident", "visibility", "visible_contacts", "visible_events",
    # events and lifecycle
    "apply_move", "close_for_opposition", "expire_referrals", "record_report", "release_relay",
    "transition",
    # intake
    "CORRECTABLE_FIELDS", "correct_details", "may_correct", "report",
    # contacts
    "assignment_periods", "log_contact", "was_assigned",
    # lists
    "REASON_LABELS", "ROLE_NAMES", "STALE_LABELS", "InboxItem", "RelayContact", "StaleReferral",
    "TimelineRow", "can_see", "category_name", "coordinator_inbox", "last_return", "last_returns",
    "open_referrals", "reason_label", "relay_contact", "relay_referrals", "reported_by",
    "returns_to_reorient", "stale_referrals", "stale_thresholds", "structure_referrals",
    "timeline",
    # access-logged reads of the list pages
    "read_inbox", "read_map", "read_my_people", "read_stale", "read_structure_referrals",
    # proposals
    "RelayProposal", "declined_resource_ids", "next_best_resources", "proposed_relays",
    "proposed_relays_for", "proposed_resources", "proposed_resources_for", "referral_matches",
    # a structure's one-time link (its use cases: structure_link.open_link, read, act;
    # link_coordination.resend, disable)
    "LinkRefused", "LinkSummary", "LinkView", "link_summary",
]
