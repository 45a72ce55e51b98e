"""The stages of a candidacy and who moves them (data only, no query).

`TRANSITIONS` is, row for row, the stage list of API.md ("Becoming a relay"); `MOVES`
indexes it by (from, to). Every check of a move and every button of the pipeline's page is
derived from it (`pipeline.apply_move`, `pipeline.available_moves`), and a test compares it
with API.md.
"""

from dataclasses import dataclass

# Who may make a move.
COORDINATOR = "coordinator"  # a coordinator (or an admin) managing the candidate's territory
CANDIDATE = "candidate"      # the candidate, through the link of their confirmation e-mail

# The way to becoming a relay, in order; then the two other endings.
PATH = ("submitted", "confirmed", "met", "charter_signed", "trained", "active")
ENDINGS = ("active", "declined", "withdrawn")
# Stages a candidacy is still open in (declined and withdrawn are possible from each).
OPEN_STAGES = tuple(stage for stage in PATH if stage not in ENDINGS)
# Stages the coordinators work on (a candidacy is theirs once its address is confirmed).
PIPELINE_STAGES = OPEN_STAGES[1:]


@dataclass(frozen=True)
class Move:
    """One row of the stage table."""

    name: str
    sources: frozenset
    target: str
    actors: frozenset
    # What the move needs besides the actor: "reason" (typed), or a step that only its own
    # use case makes ("signature": a charter signature; "attendance": a training attended;
    # "profile": the relay profile of the activation), never a bare button.
    needs: tuple = ()


def _row(name, sources, target, actors, needs=()):
    return Move(name, frozenset(sources), target, frozenset(actors), tuple(needs))


TRANSITIONS = (
    _row("confirm", {"submitted"}, "confirmed", {CANDIDATE}),
    _row("meet", {"confirmed"}, "met", {COORDINATOR}),
    _row("sign_charter", {"met"}, "charter_signed", {COORDINATOR, CANDIDATE},
         needs=("signature",)),
    _row("train", {"charter_signed"}, "trained", {COORDINATOR}, needs=("attendance",)),
    _row("activate", {"trained"}, "active", {COORDINATOR}, needs=("profile",)),
    _row("decline", OPEN_STAGES, "declined", {COORDINATOR}, needs=("reason",)),
    _row("withdraw", OPEN_STAGES, "withdrawn", {CANDIDATE, COORDINATOR}),
)

MOVES = {(source, move.target): move for move in TRANSITIONS for source in move.sources}

MOVE_LABELS = {
    "confirm": "Confirmer l'adresse", "meet": "Rencontre faite",
    "sign_charter": "Charte signée", "train": "Formation suivie",
    "activate": "Activer comme bienveilleur", "decline": "Ne pas retenir",
    "withdraw": "Retrait de la candidature",
}

# The reason of an event that moves nothing (a note, a link sent).
NOTE_REASON = "note"
CHARTER_LINK_REASON = "charter_link_sent"
REASON_MAX = 200
NOTE_MAX = 4000
