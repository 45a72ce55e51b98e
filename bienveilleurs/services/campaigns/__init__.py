"""Check-in campaigns and the watch register (API.md, "Check-in campaigns").

- `watch`: the register (add, remove, the coordinators' page, the CSV, the yearly lapse);
- `launch`: preview and launch (one transaction, idempotent on the client id);
- `calls`: a call, an assignment, closing, escalation (the deadline job);
- `reads`: counts, the checks (each read logged), the board a page at a time, the
  outcome CSV;
- `scope`: who sees which campaign and check.
"""

from .calls import CALL_MOVES, assign, close, escalate_at_deadline, record_call
from .launch import add_registered, area_for, launch, plan, preview
from .reads import (
    BOARD_ORDER,
    board_page,
    check_view,
    counts,
    forget_resident,
    list_campaigns,
    my_open_checks,
    offline_checks,
    outcome_csv,
    read_checks,
    shows_contact,
    time_left,
)
from .scope import get_campaign, get_check
from .watch import (
    add_to_register,
    entry_of,
    forget,
    lapse_entries,
    reason_labels,
    register_csv,
    register_rows,
    remove_from_register,
)

__all__ = ["BOARD_ORDER", "CALL_MOVES", "add_registered", "add_to_register", "area_for", "assign",
           "board_page", "check_view", "close", "counts", "entry_of", "escalate_at_deadline",
           "forget", "forget_resident", "get_campaign", "get_check", "lapse_entries", "launch",
           "list_campaigns", "my_open_checks", "offline_checks", "outcome_csv", "plan", "preview",
           "read_checks", "reason_labels", "record_call", "register_csv", "register_rows",
           "remove_from_register", "shows_contact", "time_left"]
