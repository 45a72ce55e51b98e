"""Privacy use cases about residents, by concern:

- `registry`: `PERSONAL_DATA`, every table holding data about residents and what erasure and
  anonymisation do to each column (the export and both scrubbing passes are driven by it);
- `access`: a resident's file for the coordinators in scope and its export (right of access);
- `opposition`: erasure at once when the person opposes;
- `retention`: the scheduled anonymisation and purges.

Callers use the names re-exported here: ``privacy.oppose(user, resident_id)``.
"""

from .access import (
    export_resident,
    get_resident_for_coordinator,
    read_resident,
    resident_file,
)
from .opposition import Erasure, erase_resident, oppose
from .registry import ANONYMISED_NAME, CANDIDATE_DATA, PERSONAL_DATA, PersonalTable
from .retention import (
    ANONYMISED_RELAY,
    RETENTION_OUTCOME,
    purge_access_log,
    residents_due,
    run_retention,
)

__all__ = ["ANONYMISED_NAME", "ANONYMISED_RELAY", "CANDIDATE_DATA", "Erasure", "PERSONAL_DATA",
           "PersonalTable",
           "RETENTION_OUTCOME", "erase_resident", "export_resident",
           "get_resident_for_coordinator", "oppose", "purge_access_log", "read_resident",
           "resident_file", "residents_due", "run_retention"]
