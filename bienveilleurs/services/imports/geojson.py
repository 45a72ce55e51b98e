"""GeoJSON (RFC 7946): a FeatureCollection of Point features whose properties describe resources."""

import math

from .files import FileProblem, load_json
from .records import Row, match_columns, values_from


def read(files, *, source=None):
    """Return ([], resource rows, warnings) from the GeoJSON files given."""
    names = [n for n in files.names() if n.lower().endswith((".geojson", ".json"))] or files.names()
    rows, warnings = [], []
    for name in names:
        document = load_json(files.read(name), name)
        if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
                or not isinstance(document.get("features"), list):
            raise FileProblem(name, "Le fichier doit être une FeatureCollection GeoJSON "
                              "(« type »: « FeatureCollection » et une liste « features »).")
        unknown_seen = set()
        for index, feature in enumerate(document["features"], start=1):
            position = f"élément {index}"
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                row = Row(name, position, {})
                row.problem(None, "l'élément n'est pas une Feature GeoJSON")
                rows.append(row)
                continue
            properties = feature.get("properties") or {}
            if not isinstance(properties, dict):
                properties = {}
            mapping, unknown = match_columns(properties)
            unknown_seen.update(unknown)
            values = values_from(properties, mapping)
            if "source_id" not in values and feature.get("id") not in (None, ""):
                values["source_id"] = str(feature["id"])
            row = Row(name, position, values, fields={
                **mapping, "lat": "geometry", "lon": "geometry", "lat,lon": "geometry"})
            _geometry(row, feature.get("geometry"))
            rows.append(row)
        if unknown_seen:
            warnings.append((name, "propriétés ignorées : " + ", ".join(sorted(unknown_seen))))
    return [], rows, warnings


def _geometry(row, geometry):
    """Set lat/lon from a Point; null geometry means "not located"."""
    row.values.pop("lat", None)
    row.values.pop("lon", None)
    if geometry is None:
        return
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        row.problem("geometry", f"géométrie « {kind} » : un point (Point) est attendu")
        return
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2 or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
            for c in coordinates[:2]):
        row.problem("geometry", "coordonnées du point invalides : [longitude, latitude] attendu")
        return
    row.values["lon"], row.values["lat"] = coordinates[0], coordinates[1]
