"""The HSDS 3.0 schemas the application serves, from the project's unmodified copy.

`standards/hsds-3.0/` keeps the specification's object schemas (`schema/`), which refer to one
another by file name. The self-contained service schema that the specification also publishes
(`compiled/service.json`) is those references replaced by what they name: it is built here,
once per process, rather than kept in git (its README says why).
"""

import hashlib
import json
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).resolve().parents[1] / "standards" / "hsds-3.0"
BUILT = {"compiled/service.json": "schema/service.json"}


def names():
    """Every schema served, by its path under the copy."""
    kept = {path.relative_to(FOLDER).as_posix() for path in FOLDER.rglob("*.json")}
    return kept | set(BUILT)


def _read(name):
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


def _resolved(node, folder):
    """`node` with every reference to a sibling file replaced by that file, resolved too."""
    if isinstance(node, list):
        return [_resolved(item, folder) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        named = _resolved(_read(f"{folder}/{ref}"), folder)
        rest = {key: _resolved(value, folder) for key, value in node.items() if key != "$ref"}
        return {**named, **rest}
    return {key: _resolved(value, folder) for key, value in node.items()}


@cache
def document(name):
    """The schema `name` (a path from `names()`) as a Python value; KeyError when unknown."""
    if name not in names():
        raise KeyError(name)
    source = BUILT.get(name)
    if source is None:
        return _read(name)
    return _resolved(_read(source), source.rpartition("/")[0])


@cache
def served(name):
    """The schema `name` as the bytes served and their ETag."""
    body = json.dumps(document(name), ensure_ascii=False, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:32]
