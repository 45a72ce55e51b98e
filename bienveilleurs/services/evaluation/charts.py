"""Charts of the indicators, drawn by matplotlib as SVG on the server: a monthly trend of one
indicator, and a map colouring the territories by one indicator. The figures are those of
`indicators.compute` (suppressed months and territories stay hidden: « s »); every chart
is shown beside the same figures as a table."""

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: files only

from geoalchemy2.shape import to_shape  # noqa: E402
from matplotlib import pyplot  # noqa: E402
from matplotlib.patches import Polygon as Patch  # noqa: E402
from sqlalchemy import select  # noqa: E402

from ...extensions import db  # noqa: E402
from ...models import Territory  # noqa: E402
from .indicators import INDICATORS, Period, compute, month_end  # noqa: E402

MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc.")
COLOUR = "#1f5f8b"
HIDDEN = "#c8c8c8"
pyplot.rcParams.update({"svg.fonttype": "none", "font.size": 9, "font.family": "DejaVu Sans"})


@dataclass(frozen=True)
class Point:
    month: object
    value: object  # a number, or None (hidden or nothing to compute)
    hidden: bool

    @property
    def label(self):
        return f"{MONTHS[self.month.month - 1]} {self.month.year}"


def trend(user, period, name, wanted=None):
    """One indicator month by month over `period` (the `all` row, or one territory's)."""
    points = []
    for month in period.months:
        table = compute(user, Period(month, month_end(month)), wanted)
        row = table.all
        points.append(Point(month, row.values[name], name in row.suppressed))
    return points


def _svg(figure):
    out = io.StringIO()
    figure.savefig(out, format="svg")  # the figure's own size: the page reserves it
    pyplot.close(figure)
    text = out.getvalue()
    return text[text.index("<svg"):]  # the element alone, for a page or a PDF


def trend_svg(points, name):
    """A bar per month; a hidden month is a grey « s » bar."""
    label = INDICATORS[name][0]
    figure, axes = pyplot.subplots(figsize=(7, 2.6), layout="constrained")
    values = [p.value if p.value is not None else 0 for p in points]
    colours = [HIDDEN if p.hidden else COLOUR for p in points]
    positions = range(len(points))
    axes.bar(positions, values, color=colours)
    for x, point in zip(positions, points, strict=True):
        if point.hidden:
            axes.annotate("s", (x, 0), ha="center", va="bottom", color="#333")
    axes.set_xticks(list(positions), [p.label for p in points], rotation=45, ha="right")
    axes.set_title(label, loc="left")
    axes.axhline(0, color="#555", linewidth=0.6)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def map_svg(table, name):
    """The territories coloured by one indicator; hidden or empty ones in grey."""
    label = INDICATORS[name][0]
    ids = [row.territory["id"] for row in table.rows if row.territory["id"]]
    areas = {str(t.id): to_shape(t.area) for t in db.session.scalars(
        select(Territory).where(Territory.id.in_(ids)))}
    shown = [row.values[name] for row in table.rows if row.values[name] is not None]
    top = max(shown, default=0) or 1
    low = min(min(shown, default=0), 0)
    colours = matplotlib.colormaps["Blues"]
    figure, axes = pyplot.subplots(figsize=(6, 5), layout="constrained")
    for row in table.rows:
        shape = areas.get(row.territory["id"] or "")
        if shape is None:
            continue
        value = row.values[name]
        fill = HIDDEN if value is None else colours(0.15 + 0.8 * (value - low) / (top - low))
        for polygon in getattr(shape, "geoms", [shape]):
            axes.add_patch(Patch(list(polygon.exterior.coords), facecolor=fill,
                                 edgecolor="#333", linewidth=0.6))
        centre = shape.representative_point()
        text = "s" if name in row.suppressed else ("—" if value is None else
                                                   f"{value:g}".replace(".", ","))
        dark = value is not None and (value - low) / (top - low) > 0.55
        axes.annotate(f"{row.territory['name']}\n{text}", (centre.x, centre.y), ha="center",
                      va="center", fontsize=7, color="white" if dark else "black")
    axes.autoscale_view()
    axes.set_aspect(1.5)
    axes.set_axis_off()
    axes.set_title(label, loc="left")
    return _svg(figure)
