"""Becoming a relay (API.md, "Becoming a relay"): a public offer, the meeting, the charter,
training, then active.

- `table`: the stages and who moves them (the stage list of API.md, row for row);
- `pipeline`: `apply_move`, the one place a candidacy changes stage, and the coordinators'
  use cases on it; `events`: the one writer of its events (and the hook after each move);
- `scope`: whose candidacy or training session it is (`services.areas`, in the query);
- `public`: the public form (throttled, honeypot, size limits, no enumeration) and the
  candidate's link (confirm, read, withdraw, erase);
- `charter`, `trainings`, `activation`: the three steps and their pages' use cases;
- `retention`: the scheduled purge; `privacy`: the candidate's export and erasure;
- `milestones`: the anonymous facts the indicators `candidacies_received` and
  `relays_trained` count (`milestones.candidacies_received(start, end)`…);
- `messages`: what is e-mailed, through the notifications outbox.

Callers use the modules: ``candidacies.pipeline.move(user, id, "met")``.
"""

from . import (
    activation,
    charter,
    milestones,
    pipeline,
    public,
    retention,
    scope,
    table,
    trainings,
)

__all__ = ["activation", "charter", "milestones", "pipeline", "public", "retention", "scope",
           "table", "trainings"]
