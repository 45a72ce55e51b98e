"""CSV that spreadsheets open safely: UTF-8 with a BOM, and no cell read as a formula.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return may be run as a formula
by Excel or LibreOffice (CSV injection); such cells get a leading apostrophe, which the
spreadsheets show as text. Plain numbers ("-0.1234") are left alone. The escape is
reversible (`unescape_cell`), so a file exported here imports back unchanged; a value that
itself starts with an apostrophe before one of those characters gets a second one.

Usage: ``csv_text(header, rows, separator=";")`` returns the whole file as text;
``write_csv(stream, header, rows)`` writes it to an open text stream.
"""

import csv
import io
import re

BOM = "\ufeff"
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
SEPARATORS = (",", ";", "\t")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def _needs_escape(text):
    if text.startswith(DANGEROUS_FIRST):
        return not _NUMBER.fullmatch(text)
    return text.startswith("'") and text.lstrip("'").startswith(DANGEROUS_FIRST)


def safe_cell(value):
    """Return ``value`` as CSV cell text that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    text = value if isinstance(value, str) else str(value)
    return "'" + text if _needs_escape(text) else text


def unescape_cell(text):
    """Undo `safe_cell` on a cell read back from a CSV file."""
    if text.startswith("'") and text.lstrip("'").startswith(DANGEROUS_FIRST):
        return text[1:]
    return text


def _writer(stream, separator):
    if separator not in SEPARATORS:
        raise ValueError(f"unsupported CSV separator {separator!r}")
    return csv.writer(stream, delimiter=separator, quoting=csv.QUOTE_MINIMAL,
                      lineterminator="\r\n")


def write_csv(stream, header, rows, *, separator=",", bom=True):
    """Write ``header`` then ``rows`` (sequences of values) to a text stream."""
    writer = _writer(stream, separator)
    if bom:
        stream.write(BOM)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


def csv_chunks(header, rows, *, separator=",", bom=True, rows_per_chunk=500):
    """Yield the CSV file as text, `rows_per_chunk` rows at a time (see `write_csv`)."""
    buffer = io.StringIO(newline="")
    writer = _writer(buffer, separator)

    def taken():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    if bom:
        buffer.write(BOM)
    writer.writerow([safe_cell(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if count % rows_per_chunk == 0:
            yield taken()
    yield taken()


def csv_text(header, rows, *, separator=",", bom=True):
    """Return the whole CSV file as text (see `write_csv`)."""
    return "".join(csv_chunks(header, rows, separator=separator, bom=bom))
