"""Printable booklets of nearby resources (a neighbourhood, or a point and a radius) and the
one-page "Près de chez vous" sheet for one person's needs.

Resources come as matching orders them (services/fit.py): those known to be full last, then
nearest first (bounded by ST_DWithin) — by walking time from the centre when a street
network is imported —, with true metres, a direction ("à 350 m au nord-est"), the reasons
that do not change with the hour (audience, full, access) and a small SVG map drawn here,
so that the page and the PDF need no tile server and no script. PDFs are rendered by
WeasyPrint.
"""

import json
import math
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import and_, case, func, select

from geo.queries import distance_m, geog_point, lon_lat_of, nearest

from .. import clock
from ..config import setting
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Resource, Structure, Territory
from . import fit
from .codes import category_label, expand_categories, top_categories
from .directory import one_line_address
from .routing import ranking
from .territories import drawable_outline
from .weekly_hours import french_lines

MARGIN_M = 300          # resources just outside a neighbourhood's edge still serve it
MAX_RADIUS_M = 10_000
BOOKLET_LIMIT = 40
SHEET_LIMIT = 5
SHEET_RADIUS_M = 3000
DIRECTIONS = ("au nord", "au nord-est", "à l'est", "au sud-est", "au sud", "au sud-ouest",
              "à l'ouest", "au nord-ouest")


@dataclass
class Entry:
    number: int
    name: str
    structure: str
    description: str
    categories: list
    address: str | None
    phone: str | None
    email: str | None
    website: str | None
    hours: list
    distance_m: float
    direction: str
    lon: float
    lat: float
    id: str = ""
    full: bool = False
    why: str = ""               # the reasons that do not change with the hour
    walk_s: int | None = None   # from the centre, on the street network


@dataclass
class Booklet:
    title: str
    subtitle: str
    centre: tuple          # (lon, lat)
    centre_label: str
    entries: list
    categories: list = field(default_factory=list)  # labels of the chosen categories
    outline: list | None = None  # [(lon, lat), …] of the neighbourhood

    @property
    def map_svg(self):
        return map_svg(self)


def category_choices():
    """[(code, label)] of the top-level data·inclusion categories, for the forms."""
    return list(top_categories().items())


def _categories(codes):
    return expand_categories(list(codes)) if codes else []


def distance_text(metres):
    if metres < 1000:
        return f"{int(round(metres / 10.0) * 10)} m"
    return f"{metres / 1000:.1f} km".replace(".", ",")


def direction(from_point, to_point):
    """French compass direction from one (lon, lat) to another."""
    lon1, lat1 = map(math.radians, from_point)
    lon2, lat2 = map(math.radians, to_point)
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    bearing = (math.degrees(math.atan2(y, x)) + 360) % 360
    return DIRECTIONS[int((bearing + 22.5) // 45) % 8]


def _nearby(centre, *, within, categories, limit):
    """Active located resources matching ``categories``, nearest to ``centre`` first."""
    point = geog_point(*centre)
    conditions = [Resource.active.is_(True), Resource.point.isnot(None), within]
    if categories:
        conditions.append(Resource.categories.overlap(categories))
    rows = db.session.execute(
        select(Resource, Structure.name, distance_m(Resource.point, point),
               *lon_lat_of(Resource.point))
        .join(Structure, Structure.id == Resource.structure_id)
        .where(and_(*conditions))
        .order_by(func.coalesce(Resource.saturation == fit.FULL, False),
                  nearest(Resource.point, point), Resource.id)
        .limit(limit)).all()
    entries = []
    for number, (resource, structure_name, metres, lon, lat) in enumerate(rows, start=1):
        distance = float(metres)
        item = {"audiences": resource.audiences, "saturation": resource.saturation,
                "accessible": resource.accessible}
        item["fit"] = fit.reasons(item, audiences=[], languages=[], at=clock.now(),
                                  tz=setting("CITY_TIMEZONE"))
        entries.append(Entry(
            number=number, name=resource.name, structure=structure_name,
            description=(resource.description or "").strip(),
            categories=[category_label(c) for c in resource.categories or []],
            address=one_line_address(resource.address, resource.postal_code, resource.city),
            phone=resource.phone, email=resource.email, website=resource.website,
            hours=french_lines(resource.opening_hours) if resource.opening_hours else [],
            distance_m=round(distance, 1),
            direction="sur place" if distance < 15 else direction(centre, (lon, lat)),
            lon=lon, lat=lat, id=str(resource.id), full=fit.is_full(item),
            why=fit.describe(item, timeless=True, distance=False)))
    return _on_foot(centre, entries)


def _on_foot(centre, entries):
    """With a street network, the entries by walking time from the centre (full ones last),
    numbered again; without one, as they are."""
    if not entries or not ranking.network_ready():
        return entries
    items = [{"id": e.id, "lon": e.lon, "lat": e.lat, "distance_m": e.distance_m,
              "saturation": fit.FULL if e.full else None, "entry": e}
             for e in entries]
    (ranked,) = ranking.on_foot(centre, [items], limit=len(items),
                                speed=setting("WALK_SPEED_M_S"))
    for number, item in enumerate(ranked, start=1):
        item["entry"].number, item["entry"].walk_s = number, item["walk_s"]
    return [item["entry"] for item in ranked]



def neighbourhood_booklet(territory_id, categories=(), *, limit=BOOKLET_LIMIT):
    """The booklet of a neighbourhood: resources inside it (or just outside), from its centre.

    The cost does not grow with the outline's detail: the map draws an outline simplified to
    a thousandth of its extent (under a pixel); an outline longer than TERRITORY_MAX_POINTS
    (stored before that limit) is searched and drawn as its bounding box, and the booklet
    says so.
    """
    try:
        key = uuid.UUID(str(territory_id))
    except ValueError:
        raise NotFound("Quartier introuvable.") from None
    area = Territory.area
    boxed = func.ST_NPoints(area) > setting("TERRITORY_MAX_POINTS")
    extent = func.greatest(func.ST_XMax(area) - func.ST_XMin(area),
                           func.ST_YMax(area) - func.ST_YMin(area))
    centre = case((boxed, func.ST_Centroid(func.ST_Envelope(area))),
                  else_=func.ST_PointOnSurface(area))
    row = db.session.execute(
        select(Territory.name, func.ST_X(centre), func.ST_Y(centre),
               func.ST_AsGeoJSON(drawable_outline(area, extent / 1000), 6), boxed)
        .where(Territory.id == key)).first()
    if row is None:
        raise NotFound("Quartier introuvable.")
    name, lon, lat, geojson, is_boxed = row
    searched = select(func.geography(case((boxed, func.ST_Envelope(area)), else_=area))) \
        .where(Territory.id == key).scalar_subquery()
    entries = _nearby((lon, lat), within=func.ST_DWithin(Resource.point, searched, MARGIN_M),
                      categories=_categories(categories), limit=limit)
    shape = json.loads(geojson)
    # A box is a Polygon, a stored outline a MultiPolygon: the first ring of either.
    rings = shape["coordinates"] if shape["type"] == "Polygon" else \
        (shape["coordinates"] or [[]])[0]
    subtitle = "Les services proches, du plus près au plus loin du centre du quartier."
    if is_boxed:
        subtitle += (" Le contour enregistré de ce quartier est trop détaillé : le livret "
                     "couvre le rectangle qui l'englobe.")
    return Booklet(title=f"Livret ressources — {name}", subtitle=subtitle,
                   centre=(lon, lat), centre_label="Centre du quartier", entries=entries,
                   categories=[category_label(c) for c in categories],
                   outline=[tuple(p) for p in rings[0]] if rings else None)


def _check_radius(radius_m):
    if radius_m is None or radius_m < 100 or radius_m > MAX_RADIUS_M:
        raise ValidationFailed.field(
            "radius_m", f"Le rayon doit être compris entre 100 et {MAX_RADIUS_M} mètres.")
    return radius_m


def point_booklet(lon, lat, radius_m, categories=(), *, limit=BOOKLET_LIMIT):
    """The booklet of the resources within ``radius_m`` of a point."""
    radius_m = _check_radius(radius_m)
    point = geog_point(lon, lat)
    entries = _nearby((lon, lat), within=func.ST_DWithin(Resource.point, point, radius_m),
                      categories=_categories(categories), limit=limit)
    return Booklet(title="Livret ressources",
                   subtitle=f"Les services à moins de {distance_text(radius_m)} du point choisi, "
                            "du plus près au plus loin.",
                   centre=(lon, lat), centre_label="Point de départ", entries=entries,
                   categories=[category_label(c) for c in categories])


def near_you_sheet(lon, lat, categories, *, radius_m=SHEET_RADIUS_M, limit=SHEET_LIMIT):
    """One page for one person: the few nearest resources for their needs."""
    if not categories:
        raise ValidationFailed.field("categories", "Choisissez au moins un besoin.")
    point = geog_point(lon, lat)
    entries = _nearby((lon, lat), within=func.ST_DWithin(Resource.point, point, radius_m),
                      categories=_categories(categories), limit=limit)
    return Booklet(title="Près de chez vous",
                   subtitle="Des services proches pour vous aider. N'hésitez pas à appeler avant "
                            "de vous déplacer.",
                   centre=(lon, lat), centre_label="Vous êtes ici", entries=entries,
                   categories=[category_label(c) for c in categories])


# --- the small map ---------------------------------------------------------------------------

FONT = 'font-family="DejaVu Sans, sans-serif"'
SCALE_LENGTHS_M = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)


def _projection(points, *, width, height, pad):
    """Return (xy, pixels per metre): a local flat projection fitting ``points`` in the frame."""
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    kx = math.cos(mid_lat) * 111_320.0  # metres per degree of longitude here
    ky = 110_574.0
    span_x = max((max(lons) - min(lons)) * kx, 200.0)
    span_y = max((max(lats) - min(lats)) * ky, 200.0)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)  # pixels per metre
    cx, cy = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2

    def xy(lon, lat):
        return (width / 2 + (lon - cx) * kx * scale, height / 2 - (lat - cy) * ky * scale)

    return xy, scale


def _scale_bar(scale, *, width, height, pad):
    """A scale bar of a round length near a fifth of the width, and north."""
    target = (width / 5) / scale
    length = next(v for v in SCALE_LENGTHS_M if v >= target * 0.6)
    bar = length * scale
    return [f'<line x1="{pad}" y1="{height - 14}" x2="{pad + bar:.1f}" y2="{height - 14}" '
            'stroke="#222" stroke-width="3"/>',
            f'<text x="{pad}" y="{height - 20}" font-size="13" {FONT} '
            f'fill="#222">{distance_text(length)}</text>',
            f'<text x="{width - pad}" y="{pad}" text-anchor="end" font-size="15" '
            f'{FONT} fill="#222" font-weight="bold">N ↑</text>']


def _pill_half_width(label):
    return max(12, 4 + 4 * len(label))


def marker_groups(entries, xy):
    """[((x, y), [numbers])]: entries whose markers would overlap on the plan (a shared
    address, a building with several services) share one marker, at the first one's place."""
    groups = []
    for entry in entries:
        x, y = xy(entry.lon, entry.lat)
        for (gx, gy), numbers in groups:
            reach = _pill_half_width(number_ranges(numbers)) + _pill_half_width(str(entry.number))
            if abs(y - gy) < 26 and abs(x - gx) < reach + 2:
                numbers.append(entry.number)
                break
        else:
            groups.append(((x, y), [entry.number]))
    return groups


def number_ranges(numbers):
    """ "1–4", "1, 3", "1–3, 5" from sorted numbers."""
    parts, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            parts.append(str(start) if start == n else
                         f"{start}, {n}" if n == start + 1 else f"{start}–{n}")
            start = None
    return ", ".join(parts)


def map_svg(booklet, *, width=640, height=420, pad=28):
    """An accessible SVG map: the neighbourhood outline, the start point, numbered resources."""
    points = [booklet.centre] + [(e.lon, e.lat) for e in booklet.entries] + \
        list(booklet.outline or [])
    xy, scale = _projection(points, width=width, height=height, pad=pad)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="booklet-map" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="map-title">',
             f'<title id="map-title">Plan : {escape(booklet.centre_label)} et les '
             f'{len(booklet.entries)} lieux numérotés comme dans la liste</title>',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f6f8" '
             'stroke="#9aa3ad"/>']
    if booklet.outline:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*p) for p in booklet.outline))
        parts.append(f'<polygon points="{path}" fill="#dfe9f5" stroke="#1d4f91" '
                     'stroke-width="2"/>')
    x0, y0 = xy(*booklet.centre)
    parts.append(f'<rect x="{x0 - 9:.1f}" y="{y0 - 9:.1f}" width="18" height="18" fill="#b3261e" '
                 'stroke="#fff" stroke-width="2"/>')
    parts.append(f'<text x="{x0 + 13:.1f}" y="{y0 + 5:.1f}" font-size="15" {FONT} '
                 f'fill="#b3261e" font-weight="bold">{escape(booklet.centre_label)}</text>')
    for (x, y), numbers in reversed(marker_groups(booklet.entries, xy)):  # nearest on top
        label = number_ranges(numbers)
        half = _pill_half_width(label)  # a pill as wide as its label
        parts.append(f'<rect x="{x - half:.1f}" y="{y - 12:.1f}" width="{2 * half}" height="24" '
                     'rx="12" fill="#1d4f91" stroke="#fff" stroke-width="2"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="13" '
                     f'{FONT} fill="#fff" font-weight="bold">{label}</text>')
    parts.extend(_scale_bar(scale, width=width, height=height, pad=pad))
    parts.append("</svg>")
    return Markup("".join(parts))


# --- PDF -------------------------------------------------------------------------------------

def pdf_filename(booklet, day):
    """ "livret-ressources-aplemont-2026-12-07.pdf": what the booklet is, and of which day."""
    ascii_title = unicodedata.normalize("NFKD", booklet.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "livret"
    return f"{slug}-{day.isoformat()}.pdf"


def render_pdf(html, *, stylesheet):
    """Render the booklet HTML to PDF with WeasyPrint (no network: no external resources)."""
    from weasyprint import CSS, HTML

    def no_fetch(url, *args, **kwargs):
        raise ValueError(f"external resource refused: {url}")

    return HTML(string=html, url_fetcher=no_fetch, base_url=os.path.dirname(stylesheet)).write_pdf(
        stylesheets=[CSS(filename=stylesheet)])
