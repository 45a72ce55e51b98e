"""« Pilotage »: the indicators per territory for a chosen period, for coordinators, admins
and observers (API.md, "Indicators"); the same table as the API and the CSV
(services.evaluation.indicators), nothing about any person."""

from datetime import date

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user

from ... import clock
from ...errors import DomainError
from ...models import Role
from ...services.evaluation import indicators
from ..pages import roles_required

bp = Blueprint("steering", __name__)

VIEWERS = (Role.ADMIN, Role.COORDINATOR, Role.OBSERVER)
PERIODS = {"month": "Mois", "quarter": "Trimestre", "year": "Année", "custom": "Période choisie"}


def _default_args(args):
    """The period asked (month, quarter, year or from/to), as `from` and `to`."""
    today = clock.local(clock.now()).date()
    kind = args.get("period", "year")
    if kind == "custom" or ("from" in args and "period" not in args):
        return {"from": args.get("from", ""), "to": args.get("to", ""),
                "territory": args.get("territory", "")}, "custom"
    year = int(args["year"]) if args.get("year", "").isdigit() else today.year
    if kind == "month":
        month = int(args["month"]) if args.get("month", "").isdigit() else today.month
        start = date(year, min(max(month, 1), 12), 1)
        end = indicators.month_end(start)
    elif kind == "quarter":
        quarter = int(args["quarter"]) if args.get("quarter", "").isdigit() else \
            (today.month - 1) // 3 + 1
        start = date(year, 3 * (min(max(quarter, 1), 4) - 1) + 1, 1)
        end = indicators.month_end(date(start.year, start.month + 2, 1))
    else:
        kind = "year"
        start, end = date(year, 1, 1), date(year, 12, 31)
    return {"from": start.isoformat(), "to": end.isoformat(),
            "territory": args.get("territory", "")}, kind


@bp.get("/pilotage")
@roles_required(*VIEWERS)
def index():
    args, kind = _default_args(request.args)
    table, error = None, None
    try:
        table = indicators.read_indicators(current_user, {k: v for k, v in args.items() if v})
    except DomainError as problem:
        error = problem
    given = {k: v for k, v in args.items() if v}
    return render_template("steering/index.html", table=table, error=error, args=args,
                           kind=kind, periods=PERIODS, names=indicators.INDICATORS,
                           csv_url=url_for(".export", **given)), \
        200 if error is None else error.status


@bp.get("/pilotage/indicateurs.csv")
@roles_required(*VIEWERS)
def export():
    args, _ = _default_args(request.args)
    table = indicators.read_indicators(current_user, {k: v for k, v in args.items() if v})
    return Response(indicators.table_csv(table), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="indicateurs-'
                             f'{table.start:%Y-%m}-{table.end:%Y-%m}.csv"'})
