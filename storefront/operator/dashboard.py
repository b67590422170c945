"""The operator's dashboard: attributed sales, commission balances, curators and share links for a period."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _

from commissions import dashboard as queries
from storefront import clock
from storefront.exports import csv_safe
from storefront.operator.access import operator_required

blueprint = Blueprint("operator_dashboard", __name__, url_prefix="/operator")


def _dashboard() -> queries.Dashboard:
    period = queries.period_ending(clock.now(), queries.choose_days(request.args.get("days")))
    return queries.dashboard(period, current_app.config["CURRENCY"])


@blueprint.route("/")
@blueprint.route("/dashboard")
@operator_required
def home() -> str:
    return render_template("operator/dashboard.html", report=_dashboard(), choices=queries.PERIOD_DAYS)


@blueprint.route("/dashboard.csv")
@operator_required
def home_csv() -> Response:
    report = _dashboard()
    share = report.sales.attributed_share
    rows: list[tuple[str, str, str]] = [
        ("period", "start", report.period.start.isoformat()),
        ("period", "end", report.period.end.isoformat()),
        ("period", "days", str(report.period.days)),
        ("period", "currency", report.currency),
        ("sales", "attributed", report.sales.attributed.to_decimal_string()),
        ("sales", "direct", report.sales.direct.to_decimal_string()),
        ("sales", "attributed_share_percent", "" if share is None else str(share)),
        ("sales", "orders", str(report.sales.orders)),
        ("balances", "pending", report.balances.pending.to_decimal_string()),
        ("balances", "available", report.balances.available.to_decimal_string()),
        ("balances", "paid", report.balances.paid.to_decimal_string()),
        ("curators", "active", str(report.active_curators)),
    ]
    for curator in report.top_curators:
        rows.append(("top_curator_sales", csv_safe(curator.handle), curator.sales.to_decimal_string()))
        rows.append(("top_curator_commission", csv_safe(curator.handle), curator.commission.to_decimal_string()))
    for link in report.top_links:
        rows.append(("top_link_clicks", link.code, str(link.clicks)))
        rows.append(("top_link_orders", link.code, str(link.orders)))
    for channel in report.channels:
        rows.append(("channel_clicks", channel.channel, str(channel.clicks)))
        rows.append(("channel_orders", channel.channel, str(channel.orders)))
        rows.append(("channel_sales", channel.channel, channel.sales.to_decimal_string()))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # The header is for the person opening the file; the rows' section and name stay codes a script can match.
    writer.writerow([_("section"), _("name"), _("value")])
    writer.writerows(rows)
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="vitrine-dashboard-{report.period.end:%Y%m%d}-{report.period.days}d.csv"',
        "Cache-Control": "private, no-store",
    })
