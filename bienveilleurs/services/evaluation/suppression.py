"""Small counts (API.md, "Indicators", `STATS_MIN_CELL` = K): pure functions, no database.

A count between 1 and K−1 is hidden (None) and listed as suppressed; zero is shown. A share
is hidden when its denominator is below K, or its numerator or complement is between 1 and
K−1; a mean or a median when it is over fewer than K items (over none, it is null without
being hidden: there is nothing to hide). Complementary suppression: for
each count indicator, when exactly one territory row is hidden, the smallest other non-zero
row is hidden too (ties: lowest code), so that `all` minus the rows shown never gives it.
"""

from dataclasses import dataclass, field


@dataclass
class Cell:
    """One indicator of one row before suppression: its value and what it rests on."""

    value: object  # a number, or None when there is nothing to compute it from
    kind: str  # "count", "share", "mean" (a mean or a median)
    numerator: int = 0  # shares
    denominator: int = 0  # shares; means and medians: how many items


@dataclass
class Row:
    code: str | None
    cells: dict  # name -> Cell
    values: dict = field(default_factory=dict)
    suppressed: list = field(default_factory=list)


def small(count, k):
    return 0 < count < k


def hidden(cell, k):
    """Tell whether one cell must be hidden on its own (the primary suppression)."""
    if cell.kind == "count":
        return cell.value is not None and small(cell.value, k)
    if cell.denominator == 0:
        return False  # nothing to compute it from: null, and nothing hidden
    if cell.kind == "share":
        return (cell.denominator < k or small(cell.numerator, k)
                or small(cell.denominator - cell.numerator, k))
    return cell.denominator < k


def _sort_key(row):
    return (row.code is None, row.code or "")


def suppress(rows, k):
    """Fill `values` and `suppressed` of each row: primary, then complementary suppression."""
    for row in rows:
        row.values = {name: cell.value for name, cell in row.cells.items()}
        row.suppressed = [name for name, cell in row.cells.items() if hidden(cell, k)]
    names = list(rows[0].cells) if rows else []
    for name in names:
        if rows[0].cells[name].kind != "count":
            continue
        hit = [row for row in rows if name in row.suppressed]
        if len(hit) != 1:
            continue
        others = [row for row in rows if name not in row.suppressed
                  and (row.cells[name].value or 0) > 0]
        if others:
            second = min(others, key=lambda r: (r.cells[name].value, _sort_key(r)))
            second.suppressed.append(name)
    for row in rows:
        for name in row.suppressed:
            row.values[name] = None
        row.suppressed = [name for name in row.cells if name in row.suppressed]
    return rows


def suppress_one(row, k):
    """The `all` row: its own small counts only (it is computed from the rows)."""
    row.values = {name: cell.value for name, cell in row.cells.items()}
    row.suppressed = [name for name, cell in row.cells.items() if hidden(cell, k)]
    for name in row.suppressed:
        row.values[name] = None
    return row
