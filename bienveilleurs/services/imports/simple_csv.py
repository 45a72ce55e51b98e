"""A simple CSV: one resource per line (name, lat, lon, categories, address, phone…)."""

from .files import FileProblem, read_csv
from .records import Row, match_columns, values_from


def read(files, *, source=None):
    """Return ([], resource rows, warnings) from the .csv files given."""
    names = [n for n in files.names() if n.lower().endswith((".csv", ".txt"))] or files.names()
    rows, warnings = [], []
    for name in names:
        header, records = read_csv(files.read(name), name)
        mapping, unknown = match_columns(header)
        missing = []
        if "name" not in mapping:
            missing.append("name (ou nom)")
        if not ({"lat", "lon"} <= set(mapping) or "address" in mapping):
            missing.append("lat et lon (ou latitude et longitude), ou à défaut address (adresse)")
        if missing:
            raise FileProblem(name, "Colonnes obligatoires absentes : " + " ; ".join(missing) +
                              ". Colonnes trouvées : " + ", ".join(header[:20]) + ".")
        if unknown:
            warnings.append((name, "colonnes ignorées : " + ", ".join(unknown)))
        fields = {ours: theirs for ours, theirs in mapping.items()}
        if "lat" in mapping and "lon" in mapping:
            fields["lat,lon"] = f"{mapping['lat']},{mapping['lon']}"
        for line, record in records:
            position = f"ligne {line}"
            if "__cells__" in record:
                row = Row(name, position, {}, fields=fields)
                row.problem(None, f"la ligne a {record['__cells__']} cellules pour "
                            f"{len(header)} colonnes (séparateur ou guillemets mal placés ?)")
                rows.append(row)
                continue
            values = values_from(record, mapping, spreadsheet=True)
            rows.append(Row(name, position, values, fields=fields))
    return [], rows, warnings
