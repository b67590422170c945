"""The curator's dashboard: what their links, looks and products brought, in their own days."""
from __future__ import annotations

from flask import Blueprint, abort, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from commissions.analytics import charts, curator, services
from commissions.analytics.periods import PRESETS, PeriodError, choose_period
from share import rollups
from storefront import clock, localtime
from storefront.exports import csv_response
from storefront.extensions import db
from storefront.shops.services import find_shop_for_user

blueprint = Blueprint("analytics", __name__)


def _zone_choices() -> list[str]:
    return list(localtime.COMMON_ZONES) + sorted(localtime.all_zone_names() - set(localtime.COMMON_ZONES))


def _stats() -> tuple[object, curator.CuratorStats | None, str]:
    """(shop, stats, error) for the signed-in curator and the requested period."""
    shop = find_shop_for_user(current_user.id)
    tz = rollups.curator_zone(current_user)
    try:
        days = choose_period(request.args, clock.now(), tz)
    except PeriodError as error:
        return shop, None, str(error)
    if shop is None:
        return None, None, ""
    return shop, curator.curator_stats(shop, days, current_app.config["CURRENCY"]), ""


@blueprint.route("/me/dashboard")
@login_required
def dashboard() -> tuple[str, int]:
    shop, stats, error = _stats()
    chart_days = [] if stats is None else stats.by_day
    return render_template(
        "analytics/curator.html", shop=shop, stats=stats, error=error, presets=PRESETS,
        chosen_days=request.args.get("days", ""), zones=_zone_choices(),
        clicks_chart=charts.bar_chart(_("Clicks per day"), [(p.day, p.clicks) for p in chart_days]),
        orders_chart=charts.bar_chart(_("Orders per day"), [(p.day, p.orders) for p in chart_days]),
    ), 400 if error else 200


@blueprint.route("/me/dashboard.csv")
@login_required
def dashboard_csv() -> Response:
    shop, stats, error = _stats()
    if error or stats is None:
        abort(400, description=error or _("Open a shop first: your numbers start with your shop's first share."))
    rows = [
        ("day", point.day.isoformat(), "", point.clicks, point.visitors, point.orders, "", "") for point in stats.by_day
    ]
    for kind, table in (("channel", stats.by_channel), ("link", stats.by_link), ("look", stats.by_look)):
        rows += [(kind, row.key, row.label, row.clicks, row.visitors, row.orders, row.sales.minor, row.commission.minor) for row in table]
    rows += [("product", str(row.product_id), row.title, "", "", row.orders, row.sales.minor, "") for row in stats.by_product]
    # Column names in the reader's language, like the operators' exports (the API serves scripts); the keys stay codes.
    header = [_("breakdown"), _("key"), _("label"), _("clicks"), _("unique_visitors"), _("orders"),
              _("sales_minor_%(currency)s", currency=stats.currency), _("commission_minor_%(currency)s", currency=stats.currency)]
    return csv_response(f"vitrine-{shop.handle}-{stats.days.first}-{stats.days.last}.csv", header, rows)


@blueprint.route("/me/time-zone", methods=["POST"])
@login_required
def set_time_zone() -> Response:
    name = request.form.get("time_zone", "").strip()
    try:
        changed = services.set_user_time_zone(current_user, name)
    except localtime.UnknownZone as error:
        flash(str(error), "error")
        return redirect(url_for("analytics.dashboard"), 303)
    if changed:
        db.session.commit()
    flash(_("Your days now follow %(zone)s.", zone=name), "success")
    return redirect(url_for("analytics.dashboard"), 303)
