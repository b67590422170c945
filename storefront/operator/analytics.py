"""The retailer's analytics: the curator programme's sales, cost, channels, curators and products, in the store's days."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from commissions.analytics import charts
from commissions.analytics.periods import PRESETS, PeriodError, choose_period
from commissions.analytics.retailer import RetailerStats, retailer_stats
from storefront import clock, localtime
from storefront.exports import csv_response
from storefront.operator.access import operator_required

blueprint = Blueprint("operator_analytics", __name__, url_prefix="/operator")


def _stats() -> RetailerStats:
    try:
        days = choose_period(request.args, clock.now(), localtime.zone(current_app.config["STORE_TIME_ZONE"]))
    except PeriodError as error:
        abort(400, description=str(error))
    return retailer_stats(days, current_app.config["CURRENCY"])


@blueprint.route("/analytics")
@operator_required
def analytics() -> str:
    stats = _stats()
    return render_template(
        "operator/analytics.html", stats=stats, presets=PRESETS,
        clicks_chart=charts.bar_chart(_("Clicks per day"), [(p.day, p.clicks) for p in stats.by_day]),
        orders_chart=charts.bar_chart(_("Orders through curators per day"), [(p.day, p.orders) for p in stats.by_day]),
    )


@blueprint.route("/analytics.csv")
@operator_required
def analytics_csv() -> Response:
    stats = _stats()
    money = stats.currency
    rows: list[tuple[object, ...]] = [
        ("summary", "attributed_sales", "", "", "", "", stats.attributed_sales.minor, ""),
        ("summary", "direct_sales", "", "", "", "", stats.direct_sales.minor, ""),
        ("summary", "commission", "", "", "", "", "", stats.commission.minor),
    ]
    rows += [("day", point.day.isoformat(), point.clicks, point.visitors, point.orders, "", "", "") for point in stats.by_day]
    for kind, table in (("channel", stats.by_channel), ("curator", stats.top_curators)):
        rows += [(kind, row.key, row.clicks, row.visitors, row.orders, row.label, row.sales.minor, row.commission.minor) for row in table]
    rows += [("product", str(row.product_id), "", "", row.units, row.title, row.sales.minor, "") for row in stats.top_products]
    rows += [("new_curators_week", monday.isoformat(), "", "", count, "", "", "") for monday, count in stats.new_curators]
    # The header is for the person opening the file; the breakdown codes in the rows stay as they are.
    header = [_("breakdown"), _("key"), _("clicks"), _("unique_visitors"), _("orders_or_count"), _("label"),
              _("sales_minor_%(currency)s", currency=money), _("commission_minor_%(currency)s", currency=money)]
    return csv_response(f"vitrine-analytics-{stats.days.first}-{stats.days.last}.csv", header, rows)
