"""Read territory polygons from GeoJSON (RFC 7946, lon/lat) for import."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import shapely
import shapely.errors
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from geo.errors import InvalidGeoJSON


@dataclass(frozen=True)
class TerritoryFeature:
    """Hold one territory read from a file: its name, optional code and area."""

    name: str
    code: str | None
    geometry: MultiPolygon


_POLYGONAL_TYPES = ("Polygon", "MultiPolygon")


def parse_territories_geojson(
    data: bytes | str | dict, *, max_features: int | None = None,
    max_vertices: int | None = None,
) -> list[TerritoryFeature]:
    """Parse a FeatureCollection of named polygons into territories.

    Each feature needs a Polygon or MultiPolygon geometry and a ``name`` property; a
    ``code`` property is optional. Self-intersecting polygons are repaired when the
    repair is still an area. Raises InvalidGeoJSON, with the index of the feature at
    fault, on the first problem found: a file is imported whole or not at all.

    The cost of a file is bounded before any geometry is built: more than
    ``max_features`` features, or a feature with more than ``max_vertices`` points, is
    refused with the count and the limit (an outline is never simplified behind the
    user's back: they simplify it in their GIS, at the tolerance they choose).
    """
    document = _load(data)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InvalidGeoJSON(
            "Le fichier doit contenir une collection d'objets GeoJSON (« FeatureCollection »)."
        )
    features = document.get("features")
    if not isinstance(features, list):
        raise InvalidGeoJSON("La collection GeoJSON doit avoir une liste « features ».")
    if not features:
        raise InvalidGeoJSON("Le fichier ne contient aucun territoire.")
    if max_features is not None and len(features) > max_features:
        raise InvalidGeoJSON(
            f"Le fichier contient {_count(len(features))} territoires : au plus "
            f"{_count(max_features)} par import. Découpez-le en plusieurs fichiers."
        )
    return [_parse_feature(feature, index, max_vertices) for index, feature in enumerate(features)]


def _count(number: int) -> str:
    """Write a count the French way: 1 150 000 (narrow no-break spaces between thousands)."""
    return f"{number:,}".replace(",", "\u202f")


def count_vertices(coordinates: object, depth: int) -> int:
    """Count the positions of Polygon (depth 3) or MultiPolygon (depth 4) coordinates.

    Cheap (one step per ring, never per point) and never raises: whatever is not a list
    counts for nothing, the full check comes after.
    """
    if not isinstance(coordinates, list):
        return 0
    if depth == 2:
        return len(coordinates)
    return sum(count_vertices(item, depth - 1) for item in coordinates)


def stored_area(geometry: BaseGeometry) -> WKBElement:
    """Return the value to store in a territory's ``area`` column (geometry, EPSG:4326)."""
    return from_shape(geometry, srid=4326)


def to_wkt_multipolygon(geometry: BaseGeometry) -> str:
    """Return the WKT of a Polygon or MultiPolygon as a MULTIPOLYGON, at full precision.

    Wrap the result in ``geoalchemy2.WKTElement(wkt, srid=4326)`` to store it.
    """
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if not isinstance(geometry, MultiPolygon):
        raise TypeError(f"expected a Polygon or MultiPolygon, got {geometry.geom_type}")
    return shapely.to_wkt(geometry, rounding_precision=-1, trim=True)


def _load(data: bytes | str | dict) -> object:
    """Decode bytes or text as JSON; pass a dict through."""
    if isinstance(data, dict):
        return data
    if isinstance(data, (bytes, bytearray)):
        try:
            # utf-8-sig: files saved by some desktop GIS start with a byte-order mark.
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidGeoJSON("Le fichier doit être encodé en UTF-8.") from None
    if not isinstance(data, str):
        raise InvalidGeoJSON("Le fichier GeoJSON doit être du texte JSON.")
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InvalidGeoJSON(
            f"Le fichier n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno})."
        ) from None
    except RecursionError:
        raise InvalidGeoJSON("Le fichier JSON est trop profondément imbriqué.") from None


def _parse_feature(feature: object, index: int, max_vertices: int | None) -> TerritoryFeature:
    """Turn one GeoJSON feature into a TerritoryFeature or raise InvalidGeoJSON."""
    # People count from 1; the index attribute stays 0-based for programs.
    where = f"Territoire n° {index + 1}"

    def fail(message: str, field: str | None = None) -> InvalidGeoJSON:
        return InvalidGeoJSON(f"{where} : {message}", field=field, index=index)

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise fail("ce n'est pas un objet GeoJSON de type « Feature ».")

    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise fail("les propriétés (« properties ») sont absentes.", "properties")
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("la propriété « name » (nom du territoire) est obligatoire.", "name")
    name = name.strip()
    where = f"Territoire n° {index + 1} ({name})"
    code = properties.get("code")
    if isinstance(code, bool) or not (code is None or isinstance(code, (str, int))):
        raise fail("la propriété « code » doit être un texte.", "code")
    if code is not None:
        # INSEE codes are sometimes written as JSON numbers; keep them as text.
        code = str(code).strip() or None

    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in _POLYGONAL_TYPES:
        raise fail("la géométrie doit être un polygone (« Polygon » ou « MultiPolygon »).",
                   "geometry")
    coordinates = geometry.get("coordinates")
    depth = 3 if geometry["type"] == "Polygon" else 4
    vertices = count_vertices(coordinates, depth)
    if max_vertices is not None and vertices > max_vertices:
        raise fail(f"le contour compte {_count(vertices)} points, au plus {_count(max_vertices)} "
                   "sont acceptés. Simplifiez-le dans votre logiciel de cartographie (QGIS : "
                   "Vecteur › Géométrie › Simplifier, une tolérance de quelques mètres suffit) "
                   "puis importez-le de nouveau.", "geometry")
    problem = _check_coordinates(coordinates, depth)
    if problem:
        raise fail(problem, "geometry")
    try:
        shp = shape({"type": geometry["type"], "coordinates": coordinates})
    except (ValueError, TypeError, shapely.errors.ShapelyError):
        raise fail("chaque contour doit compter au moins trois points distincts.",
                   "geometry") from None
    shp = shapely.force_2d(shp)
    if shp.is_empty:
        raise fail("la géométrie est vide.", "geometry")
    return TerritoryFeature(name=name, code=code, geometry=_as_valid_multipolygon(shp, fail))


def _check_coordinates(coordinates: object, depth: int) -> str | None:
    """Return a French description of what is wrong with nested positions, or None."""
    if depth == 1:
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            return "chaque point doit être une liste [longitude, latitude]."
        for value in coordinates:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return "les coordonnées doivent être des nombres."
            if not math.isfinite(value):
                return "les coordonnées doivent être des nombres."
        lon, lat = coordinates[0], coordinates[1]
        if not -180 <= lon <= 180 or not -90 <= lat <= 90:
            return (
                f"le point [{lon}, {lat}] est hors limites : GeoJSON attend "
                "[longitude, latitude] en degrés WGS84 (longitude entre -180 et 180, "
                "latitude entre -90 et 90)."
            )
        return None
    if not isinstance(coordinates, list) or not coordinates:
        return "les coordonnées de la géométrie sont absentes ou mal formées."
    for item in coordinates:
        problem = _check_coordinates(item, depth - 1)
        if problem:
            return problem
    return None


def _as_valid_multipolygon(geometry: BaseGeometry, fail) -> MultiPolygon:
    """Repair an invalid polygon when the repair is still an area, as a MultiPolygon."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        # make_valid may leave lines or points where a spike or a sliver collapsed;
        # they have no area, so dropping them changes nothing that can be mapped.
        polygons = [
            part
            for part in shapely.get_parts(geometry)
            if isinstance(part, (Polygon, MultiPolygon))
        ]
        flat: list[Polygon] = []
        for part in polygons:
            flat.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
        if not flat or sum(p.area for p in flat) == 0:
            raise fail(
                "le polygone est invalide et ne peut pas être corrigé automatiquement "
                "(contour sans surface).",
                "geometry",
            )
        geometry = MultiPolygon(flat)
        if not geometry.is_valid:
            geometry = shapely.union_all(flat)
            if isinstance(geometry, Polygon):
                geometry = MultiPolygon([geometry])
            if not isinstance(geometry, MultiPolygon) or not geometry.is_valid:
                raise fail(
                    "le polygone est invalide et ne peut pas être corrigé automatiquement.",
                    "geometry",
                )
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if geometry.area == 0:
        raise fail("le polygone n'a pas de surface.", "geometry")
    return geometry
