"""The directory: structures, the resources they offer, and relays (bienveilleurs).

Each function that writes is one use case (`@use_case`): every field is read through
`services.fields` first, with every problem collected and named on its field, so a refused
request writes nothing; then the change is committed once.

- `cleaning`: the field rules of a structure or a resource record; pure, so the importers
  run them on each imported record (`clean_resource`, `clean_structure`);
- `structures`, `resources`, `relays`: the use cases and the queries of their pages, each
  management query scoped to what the user manages (`managed_structures`,
  `managed_resources`, `managed_relays`: the territories' rule of `services.areas`);
- `locating`: an address geocoded into a point, and the point of a row;
- `common`: ids from URLs, row and key locks, the duplicate-key conflict.

Callers read `directory.create_resource(...)`: the public names are all here.
"""

from .cleaning import SATURATIONS, clean_resource, clean_structure
from .common import Saved, parse_uuid
from .locating import NOT_LOCATED, Location, locate_address, lon_lat, one_line_address
from .relays import (
    RELAY_STATUSES,
    clean_relay,
    get_relay,
    list_relays,
    managed_relays,
    register_relay,
    relay_for_user,
    relay_record,
    set_relay_status,
    update_own_profile,
    update_relay,
)
from .resources import (
    RESOURCE_FIELDS,
    create_resource,
    get_resource,
    list_resources,
    managed_resource,
    managed_resources,
    resources_in_bbox,
    set_resource_active,
    update_resource,
)
from .structures import (
    create_structure,
    get_structure,
    list_structures,
    managed_structures,
    structure_choices,
    update_structure,
)

__all__ = [
    "NOT_LOCATED", "RELAY_STATUSES", "RESOURCE_FIELDS", "SATURATIONS", "Location", "Saved",
    "clean_relay", "clean_resource", "clean_structure", "create_resource", "create_structure",
    "get_relay", "get_resource", "get_structure", "list_relays", "list_resources",
    "list_structures", "locate_address", "lon_lat", "managed_relays", "managed_resource",
    "managed_resources", "managed_structures", "one_line_address", "parse_uuid",
    "register_relay", "relay_for_user", "relay_record", "resources_in_bbox",
    "set_relay_status", "set_resource_active", "structure_choices", "update_own_profile",
    "update_relay", "update_resource", "update_structure",
]
