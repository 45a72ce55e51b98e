"""« Pilotage »: the indicators per territory for a chosen period, for coordinators, admins
and observers (API.md, "Indicators"); the same table as the API and the CSV
(services.evaluation.indicators), nothing about any person."""

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ... import clock
from ...errors import DomainError
from ...models import Role
from ...services import booklets
from ...services.evaluation import charts, indicators
from ...services.fields import QueryFields
from ..pages import roles_required

bp = Blueprint("steering", __name__)

VIEWERS = (Role.ADMIN, Role.COORDINATOR, Role.OBSERVER)
MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre")
PERIODS = {"month": "Mois", "quarter": "Trimestre", "year": "Année", "custom": "Période choisie"}


def _default_args(args):
    """The period asked (month, quarter, year or from/to), as `from` and `to`; a year, month or
    quarter that is not one is refused in French (DomainError), as the API's dates are."""
    today = clock.local(clock.now()).date()
    kind = args.get("period", "year")
    if kind == "custom" or ("from" in args and "period" not in args):
        return {"from": args.get("from", ""), "to": args.get("to", ""),
                "territory": args.get("territory", "")}, "custom"
    fields = QueryFields(args)
    year = fields.integer("year", label="L'année", minimum=indicators.FIRST_YEAR,
                          maximum=indicators.LAST_YEAR)
    month = fields.integer("month", label="Le mois", minimum=1, maximum=12)
    quarter = fields.integer("quarter", label="Le trimestre", minimum=1, maximum=4)
    fields.done()
    year = year or today.year
    if kind == "month":
        start = date(year, month or today.month, 1)
        end = indicators.month_end(start)
    elif kind == "quarter":
        start = date(year, 3 * ((quarter or (today.month - 1) // 3 + 1) - 1) + 1, 1)
        end = indicators.month_end(date(start.year, start.month + 2, 1))
    else:
        kind = "year"
        start, end = date(year, 1, 1), date(year, 12, 31)
    return {"from": start.isoformat(), "to": end.isoformat(),
            "territory": args.get("territory", "")}, kind


@bp.app_template_filter("decimal")
def decimal(value):
    """A number the French way: a comma before the decimals, a true minus sign."""
    if isinstance(value, float):
        text = f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"
        return text.replace(".", ",").replace("-", "\u2212")
    return value


def _chosen(args):
    name = request.args.get("indicateur", "referrals_reported")
    return name if name in indicators.INDICATORS else "referrals_reported"


@bp.get("/pilotage")
@roles_required(*VIEWERS)
def index():
    name = _chosen(request.args)
    table, error, points = None, None, []
    try:
        args, kind = _default_args(request.args)
    except DomainError as problem:
        error = problem
        args, kind = _default_args({})
    given = {k: v for k, v in args.items() if v}
    if error is None:
        try:
            table = indicators.read_indicators(current_user, given)
            period, wanted = indicators.read_period(given)
            points = charts.trend(current_user, period, name, wanted)
        except DomainError as problem:
            error = problem
    chart_args = {**given, "indicateur": name}
    return render_template("steering/index.html", table=table, error=error, args=args,
                           kind=kind, periods=PERIODS, names=indicators.INDICATORS,
                           name=name, points=points, chart_args=chart_args,
                           month_names=MONTH_NAMES,
                           csv_url=url_for(".export", **given)), \
        200 if error is None else error.status


def _svg_response(svg):
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/pilotage/tendance.svg")
@roles_required(*VIEWERS)
def trend_chart():
    args, _ = _default_args(request.args)
    given = {k: v for k, v in args.items() if v}
    indicators.read_indicators(current_user, given)  # the same checks and scope
    period, wanted = indicators.read_period(given)
    name = _chosen(request.args)
    return _svg_response(charts.trend_svg(charts.trend(current_user, period, name, wanted),
                                          name))


@bp.get("/pilotage/carte.svg")
@roles_required(*VIEWERS)
def map_chart():
    args, _ = _default_args(request.args)
    table = indicators.read_indicators(current_user, {k: v for k, v in args.items() if v})
    return _svg_response(charts.map_svg(table, _chosen(request.args)))


REPORT_INDICATORS = ("referrals_reported", "first_contact_48h_pct", "referrals_closed",
                     "relays_active", "follow_ups_done", "ucla3_mean_change")


@bp.get("/pilotage/rapport.pdf")
@roles_required(*VIEWERS)
def report():
    """The yearly report, for the city or one territory: the table, then one chart (with its
    figures) per headline indicator, printed through the booklets' PDF pipeline."""
    args, _ = _default_args({"period": "year", "year": request.args.get("year", ""),
                             "territory": request.args.get("territory", "")})
    given = {k: v for k, v in args.items() if v}
    table = indicators.read_indicators(current_user, given)
    period, wanted = indicators.read_period(given)
    trends = []
    for name in REPORT_INDICATORS:
        points = charts.trend(current_user, period, name, wanted)
        trends.append((name, points, Markup(charts.trend_svg(points, name))))
    territory = table.rows[0].territory["name"] if wanted and table.rows else "Toute la ville"
    html = render_template("steering/report.html", table=table, trends=trends,
                           names=indicators.INDICATORS, territory=territory,
                           year=period.start.year,
                           made=clock.local(clock.now()).strftime("%d/%m/%Y"),
                           city_map=Markup(charts.map_svg(table, "referrals_reported"))
                           if not wanted else None)
    stylesheet = f"{current_app.static_folder}/css/booklet.css"
    response = Response(booklets.render_pdf(html, stylesheet=stylesheet),
                        mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline",
                         filename=f"rapport-indicateurs-{period.start.year}.pdf")
    return response


@bp.get("/pilotage/indicateurs.csv")
@roles_required(*VIEWERS)
def export():
    args, _ = _default_args(request.args)
    table = indicators.read_indicators(current_user, {k: v for k, v in args.items() if v})
    return Response(indicators.table_csv(table), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="indicateurs-'
                             f'{table.start:%Y-%m}-{table.end:%Y-%m}.csv"'})
