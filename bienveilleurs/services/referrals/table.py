"""The lifecycle table of a referral, and the words that go with it (data only, no query).

`TRANSITIONS` is, row for row, the table of API.md ("The lifecycle"); `MOVES` indexes it by
(from, to). Every check of a move and every button of a page is derived from it (see
`lifecycle.apply_move` and `scope.available_moves`), and a test compares it with API.md.
"""

from dataclasses import dataclass

# Who may make a move. A user may hold several of these capacities on one referral.
COORDINATOR = "coordinator"            # a coordinator whose scope holds the referral
# any relay, assigning only themselves, and only when no other relay holds an active
# referral of the same person (scope.another_relay_holds)
RELAY_SELF = "relay_self"
ASSIGNED_RELAY = "assigned_relay"      # the relay the referral is assigned to
STRUCTURE_WORKER = "structure_worker"  # a social worker of the resource's structure
# the structure's one-time link to this one referral (no account; services/referrals/
# structure_link.py): a social worker's rights on that referral, and its actor role too
STRUCTURE_LINK = "structure_link"
SYSTEM = "system"                      # the expiry job

# Outcomes (API.md): after a resource accepted; without a resource; any of them.
OUTCOMES_AFTER_ACCEPT = frozenset({"helped", "not_helped", "redirected"})
OUTCOMES_WITHOUT_RESOURCE = frozenset({"helped", "unreachable", "declined_help",
                                       "no_longer_needed", "duplicate"})
# Never "opposed": only an opposition sets it (lifecycle.close_for_opposition).
OUTCOMES_ANY = OUTCOMES_AFTER_ACCEPT | OUTCOMES_WITHOUT_RESOURCE

# Statuses in which the assigned relay carries the referral (counts toward their capacity).
ACTIVE_STATUSES = frozenset({"assigned", "contacted", "referred", "accepted"})


@dataclass(frozen=True)
class Move:
    """One row of the lifecycle table."""

    # assign, reassign, unassign, contact, refer, accept, send_back, close, reopen
    name: str
    sources: frozenset        # statuses the move starts from
    target: str               # status it leads to
    actors: frozenset         # capacities allowed to make it
    needs: tuple = ()         # fields the move requires
    outcomes: frozenset = frozenset()  # allowed outcomes (closing moves)


def _row(name, sources, target, actors, needs=(), outcomes=frozenset()):
    return Move(name, frozenset(sources), target, frozenset(actors), tuple(needs),
                frozenset(outcomes))


# The table of API.md, row for row. Two rows of API.md are written as two moves each,
# because their actors differ by starting state or by outcome: "reported, assigned,
# contacted → closed" (the assigned relay not from reported) and "accepted → closed"
# (everyone listed with the three outcomes after an acceptance, the coordinator with any).
TRANSITIONS = (
    _row("assign", {"reported"}, "assigned", {COORDINATOR, RELAY_SELF}, needs=("relay_id",)),
    _row("reassign", {"assigned", "contacted"}, "assigned", {COORDINATOR},
         needs=("relay_id", "version")),
    _row("unassign", {"assigned"}, "reported", {COORDINATOR, ASSIGNED_RELAY}, needs=("reason",)),
    _row("contact", {"assigned"}, "contacted", {ASSIGNED_RELAY, COORDINATOR}),
    _row("refer", {"contacted"}, "referred", {ASSIGNED_RELAY, COORDINATOR},
         needs=("resource_id",)),
    _row("accept", {"referred"}, "accepted",
         {STRUCTURE_WORKER, STRUCTURE_LINK, COORDINATOR, ASSIGNED_RELAY}),
    _row("send_back", {"referred"}, "contacted",
         {STRUCTURE_WORKER, STRUCTURE_LINK, COORDINATOR, ASSIGNED_RELAY, SYSTEM},
         needs=("reason",)),
    _row("close", {"accepted"}, "closed",
         {STRUCTURE_WORKER, STRUCTURE_LINK, COORDINATOR, ASSIGNED_RELAY},
         needs=("outcome",), outcomes=OUTCOMES_AFTER_ACCEPT),
    _row("close", {"reported", "assigned", "contacted"}, "closed", {COORDINATOR},
         needs=("outcome",), outcomes=OUTCOMES_WITHOUT_RESOURCE),
    _row("close", {"assigned", "contacted"}, "closed", {ASSIGNED_RELAY},
         needs=("outcome",), outcomes=OUTCOMES_WITHOUT_RESOURCE),
    _row("close", {"referred", "accepted"}, "closed", {COORDINATOR},
         needs=("outcome",), outcomes=OUTCOMES_ANY),
    _row("reopen", {"closed"}, "reported", {COORDINATOR}, needs=("reason",)),
)


def _index(table):
    by_pair = {}
    for move in table:
        for source in move.sources:
            by_pair.setdefault((source, move.target), []).append(move)
    for (source, target), moves in by_pair.items():
        # Several rows for one pair differ only by actors and outcomes, never by meaning.
        assert len({(m.name, m.needs) for m in moves}) == 1, (source, target)
    return {pair: tuple(moves) for pair, moves in by_pair.items()}


MOVES = _index(TRANSITIONS)

MOVE_LABELS = {
    "assign": "Attribuer", "reassign": "Réattribuer", "unassign": "Retirer l'attribution",
    "contact": "Contact établi", "refer": "Orienter vers une ressource",
    "accept": "Prise en charge confirmée", "send_back": "Refusée ou sans réponse",
    "close": "Clôturer", "reopen": "Rouvrir",
}

# Reasons for a referral sent back by the resource (any other short text is accepted too).
SEND_BACK_REASONS = {
    "declined": "Refusée par la structure",
    "no_answer": "Pas de réponse de la structure",
    "expired": "Délai de réponse dépassé",
}
# The reasons a structure gives when it refuses, in its own words: its social workers' list
# and its one-time link's (not answering is not something a structure says).
STRUCTURE_SEND_BACK_REASONS = {
    "declined": "Notre structure ne peut pas accompagner cette personne",
}
# Reason written on the automatic move of a reached contact.
CONTACT_REASON = "contact"
# Reason of the changes made outside the table.
EXPIRED_REASON = "expired"
OPPOSITION_REASON = "opposition"
RELAY_ENDED_REASON = "relay_ended"
# Reason of a correction of the details: an event that moves nothing (from = to); its note
# lists the corrected fields, in French.
CORRECTION_REASON = "correction"

# What a relay has to do next, by status (for "Mes personnes").
NEXT_STEPS = {
    "reported": "En attente d'attribution",
    "assigned": "Prendre contact avec la personne",
    "contacted": "Orienter vers une ressource",
    "referred": "En attente de la réponse de la structure",
    "accepted": "Suivre la prise en charge, puis clôturer",
    "closed": "Clôturée",
}

# Longest texts kept, in characters.
NOTE_MAX = 2000
REASON_MAX = 200
NAME_MAX = 80
OUTCOME_MAX = 30


def is_correction(event):
    """Tell whether an event is a correction of the details (it moves nothing)."""
    return event.reason == CORRECTION_REASON and event.from_status == event.to_status
