"""Check records one by one: pure functions (no database), so they can run in workers.

Checking a data·inclusion service (its pydantic model, then the directory's rules) costs a
few hundred microseconds, most of it Python. With ``workers`` > 1 and at least PARALLEL_MIN
records, chunks are checked in worker processes ("spawn": a worker shares no database
connection with the parent); results come back in file order. Measured on the 2-core
machine while other work kept it busy (load 4-5), 40,000 services took 10-16 s in the
process and 18-23 s with 2 workers (starting them and pickling the records cost more than
they saved), so the default is to check in the process; give more workers only on a
machine with idle cores.
"""

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from ...errors import BadRequest, ValidationFailed
from ..directory import clean_resource, clean_structure
from . import data_inclusion
from .records import Raw, automatic_source_id

PARALLEL_MIN = 20_000
CHUNK = 2_000


def _clean(cleaner, values, area):
    try:
        return cleaner(values, area=area, strict=False), []
    except (BadRequest, ValidationFailed) as exc:
        details = exc.details or [{"field": None, "message": exc.message}]
        return None, [(d.get("field"), d.get("message")) for d in details]


def _clean_resource_anywhere(values, *, area, strict):
    # Records with neither coordinates nor address are kept, as "non localisées".
    return clean_resource(values, area=area, strict=strict, require_position=False)


def check_item(item, *, kind, area, default_source):
    """Return (name, structure_key, clean or None, problems, structure_id) for one record."""
    row = data_inclusion.build(item) if isinstance(item, Raw) else item
    if row.problems:
        return row.name, row.structure_key, None, list(row.problems), None
    if kind == "structure":
        clean, problems = _clean(clean_structure, row.values, area)
        return row.name, row.structure_key, clean, problems, None
    values = dict(row.values)
    structure_id = values.pop("structure_id", None)
    values["source"] = values.get("source") or default_source
    if not values.get("source_id"):
        values["source_id"] = automatic_source_id(values)
    clean, problems = _clean(_clean_resource_anywhere, values, area)
    return row.name, row.structure_key, clean, problems, structure_id


def _check_chunk(items, kind, area, default_source):
    return [check_item(item, kind=kind, area=area, default_source=default_source) for item in items]


def check_all(items, *, kind, area, default_source, progress, workers=None):
    """Check every item, in order; in worker processes when there are many."""
    workers = workers or 1
    if workers <= 1 or len(items) < PARALLEL_MIN:
        results = []
        for start in range(0, len(items), 500):
            results.extend(_check_chunk(items[start:start + 500], kind, area, default_source))
            progress.advance(len(items[start:start + 500]))
        return results
    chunks = [items[start:start + CHUNK] for start in range(0, len(items), CHUNK)]
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        n = len(chunks)
        done_chunks = pool.map(_check_chunk, chunks, [kind] * n, [area] * n, [default_source] * n)
        for chunk, done in zip(chunks, done_chunks, strict=True):
            results.extend(done)
            progress.advance(len(chunk))
    return results
