"""Operator pages for the commission programme: rates and tiers, and holding, releasing or rejecting commissions."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user

from commissions import payout_runs, payouts, queries, reconciliation, rules, services
from commissions.ledger import LedgerError
from commissions.models import CommissionStatus, PayoutMethod, PayoutRun, PayoutStatus, RateScope
from commissions.states import COMMISSION_STATUS_LABELS, PAYOUT_STATE_NAMES
from storefront.audit.services import record_audit
from storefront.catalog.services import find_category, find_product_by_sku
from storefront.exports import csv_response, csv_safe
from storefront.extensions import db
from storefront.listing import page_number
from storefront.money import Money
from storefront.navigation import safe_next_path
from commissions.maturation import run_maturation
from storefront.operator.access import moves_money, operator_required, password_confirmation_needed
from storefront.payments.providers import ProviderError, active_provider

blueprint = Blueprint("operator_commissions", __name__, url_prefix="/operator")

#: How the console names stored values it shows (the values themselves never change), by kind.
CONSOLE_LABELS = {
    "shop": {"draft": _l("draft"), "published": _l("published")},
    "payout": {str(status): label for status, label in PAYOUT_STATE_NAMES.items()},
    "payout_method": {PayoutMethod.MANUAL: _l("manual"), PayoutMethod.STRIPE: _l("Stripe")},
    "decision": {"hold": _l("Hold"), "release": _l("Release"), "reject": _l("Reject")},
    "discrepancy": {
        reconciliation.Kind.PAID_ORDER_WITHOUT_COMMISSION: _l("paid attributed order without commission"),
        reconciliation.Kind.COMMISSION_WITHOUT_PAID_ORDER: _l("commission without a paid order"),
        reconciliation.Kind.COMMISSION_AMOUNT: _l("commission amount is not rate × net paid"),
        reconciliation.Kind.REFUND_NOT_REVERSED: _l("refund not reversed"),
        reconciliation.Kind.PAYMENT_MISSING_LOCALLY: _l("payment at the provider missing here"),
        reconciliation.Kind.PAYMENT_AMOUNT_DIFFERS: _l("payment amount differs from the provider's"),
        reconciliation.Kind.PAYMENT_MISSING_AT_PROVIDER: _l("payment here missing at the provider"),
        reconciliation.Kind.REFUND_MISSING_LOCALLY: _l("refund at the provider missing here"),
        reconciliation.Kind.REFUND_AMOUNT_DIFFERS: _l("refund amount differs from the provider's"),
        reconciliation.Kind.PAYOUT_WITHOUT_TRANSFER: _l("payout without a matching transfer"),
        reconciliation.Kind.TRANSFER_WITHOUT_PAYOUT: _l("transfer without a matching payout"),
        reconciliation.Kind.TRANSFER_AMOUNT_DIFFERS: _l("transfer amount differs from its payout"),
        reconciliation.Kind.PAYOUTS_VS_LEDGER: _l("payouts and the ledger disagree"),
        reconciliation.Kind.LEDGER: _l("ledger does not balance"),
    },
}


@blueprint.app_template_filter("console_label")
def console_label(value: str, kind: str) -> str:
    """A stored value (a shop status, a payout method, a discrepancy kind…) in the reader's language; unknown ones as they are."""
    label = CONSOLE_LABELS[kind].get(str(value))
    return str(label) if label is not None else str(value)


class BadInput(ValueError):
    pass


_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


def parse_percent(text: str) -> int:
    """ "7.5" (percent) → 750 basis points; plain digits with at most two decimals, 0 to 100."""
    text = text.strip().rstrip("%").strip()
    if not _PERCENT.match(text):
        raise BadInput(_("Write the rate as a percentage from 0 to 100 with at most two decimals, e.g. 7.5"))
    bps = int(Decimal(text).scaleb(2))
    if bps > 10_000:
        raise BadInput(_("A rate is a percentage from 0 to 100 with at most two decimals."))
    return bps


@blueprint.route("/commissions")
@operator_required
def commission_list() -> str:
    status, curator, start, end = _commission_filters()
    listing = queries.list_commissions(status=status, curator=curator, start=start, end=end, page=page_number(request.args.get("page")))
    return render_template(
        "operator/commissions.html", listing=listing, status=status, curator=curator, statuses=list(CommissionStatus),
        date_from=request.args.get("from", ""), date_to=request.args.get("to", ""),
    )


@blueprint.route("/commissions/mature", methods=["POST"])
@operator_required
def mature_now() -> Response:
    """What `flask commissions mature` does, for an operator who does not want to wait for cron."""
    result = run_maturation()
    flash(ngettext("%(num)d commission became available.", "%(num)d commissions became available.", result.matured), "success")
    for commission_id, problem in sorted(result.failed.items()):
        flash(_("Commission %(id)s stays pending: %(problem)s", id=commission_id, problem=problem), "error")
    return redirect(url_for(".commission_list"), 303)


FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def _day_arg(raw: str) -> date:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        abort(400, description=_("Dates are written like 2026-11-01."))
    if not FIRST_DAY <= day <= LAST_DAY:
        abort(400, description=_("Choose a date between 2000 and 2999."))
    return day


def _optional_day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    return _day_arg(raw) if raw else None


def _commission_filters() -> tuple[CommissionStatus | None, str, datetime | None, datetime | None]:
    raw_status = request.args.get("status", "")
    status = CommissionStatus(raw_status) if raw_status in set(CommissionStatus) else None
    first, last = _optional_day("from"), _optional_day("to")
    start = datetime.combine(first, datetime.min.time(), UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC) if last else None
    return status, request.args.get("curator", "")[:100], start, end


@blueprint.route("/commissions.csv")
@operator_required
def commission_csv() -> Response:
    status, curator, start, end = _commission_filters()
    rows = (
        [row.commission.id, row.order_number, row.product, row.handle, row.curator_email, row.commission.rate_bps,
         Money(row.commission.earned_minor, row.commission.currency).to_decimal_string(),
         Money(row.commission.net_minor, row.commission.currency).to_decimal_string(), row.commission.currency,
         row.commission.status, row.commission.status_reason, row.commission.created_at.strftime("%Y-%m-%d %H:%M:%S")]
        for row in queries.all_commissions(status=status, curator=curator, start=start, end=end)
    )
    return csv_response("vitrine-commissions.csv", ["id", "order", "product", "shop", "curator_email", "rate_bps", "earned", "net",
                                                    "currency", "status", "reason", "created_at"], rows)


@blueprint.route("/commissions/<int(max=999999999):commission_id>/<any(hold, release, reject):action>", methods=["POST"])
@operator_required
def decide(commission_id: int, action: str) -> Response:
    commission = queries.find_commission(commission_id)
    if commission is None:
        abort(404, description=_("There is no such commission."))
    if action == "reject" and (confirm := password_confirmation_needed()) is not None:
        return confirm
    reason = request.form.get("reason", "").strip()[:255]
    try:
        getattr(services, action)(commission, reason=reason, actor_user_id=current_user.id)
    except services.CommissionError as error:
        db.session.rollback()
        flash(str(error), "error")
    except LedgerError as error:
        db.session.rollback()
        flash(_("The ledger refused this: %(error)s. Nothing was changed; run `flask commissions check`.", error=error), "error")
    else:
        db.session.commit()
        flash(_("Commission #%(id)s is now %(status)s.", id=commission.id,
                status=COMMISSION_STATUS_LABELS[CommissionStatus(commission.status)]), "success")
    return redirect(safe_next_path(request.form.get("next"), url_for(".commission_list")))


@blueprint.route("/rates")
@operator_required
def rates() -> str:
    return render_template(
        "operator/rates.html", default_bps=current_app.config["COMMISSION_DEFAULT_BPS"],
        categories=queries.categories_with_rates(), products=queries.products_with_own_rates(),
        tiers=rules.list_tiers(current_app.config["CURRENCY"]), currency=current_app.config["CURRENCY"],
    )


def _set_rate(scope: RateScope, target_id: int, raw: str, label: str) -> None:
    try:
        rate = None if not raw.strip() else parse_percent(raw)
        rules.set_rate(scope, target_id, rate)
    except (BadInput, rules.RateError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return
    record_audit(
        actor_user_id=current_user.id, action=f"rate.{scope.value}", subject_type=scope.value, subject_id=target_id,
        reason=request.form.get("reason", "")[:255], details={"rate_bps": rate},
    )
    db.session.commit()
    if rate is None:
        flash(_("%(name)s: rate removed. Past orders keep their rate.", name=label), "success")
    else:
        flash(_("%(name)s: %(rate)s. Past orders keep their rate.", name=label,
                rate=format_percent(Decimal(rate).scaleb(-4), "#,##0.##%")), "success")


@blueprint.route("/rates/category/<int(max=999999999):category_id>", methods=["POST"])
@operator_required
def set_category_rate(category_id: int) -> Response:
    category = find_category(category_id)
    if category is None:
        abort(404, description=_("There is no such category."))
    _set_rate(RateScope.CATEGORY, category.id, request.form.get("rate", ""), category.name)
    return redirect(url_for(".rates"))


@blueprint.route("/rates/product", methods=["POST"])
@operator_required
def set_product_rate() -> Response:
    sku = request.form.get("sku", "").strip()[:64]
    product = find_product_by_sku(sku) if sku else None
    if product is None:
        flash(_("No product with SKU %(sku)s.", sku=repr(sku)) if sku else _("Give the product's SKU."), "error")
        return redirect(url_for(".rates"))
    _set_rate(RateScope.PRODUCT, product.id, request.form.get("rate", ""), product.title)
    return redirect(url_for(".rates"))


@blueprint.route("/tiers", methods=["POST"])
@operator_required
def add_tier() -> Response:
    currency = current_app.config["CURRENCY"]
    try:
        threshold = Money.parse(request.form.get("min_sales", ""), currency)
        tier = rules.add_tier(request.form.get("name", ""), currency, threshold.minor, parse_percent(request.form.get("bonus", "")))
    except (BadInput, rules.RateError, ValueError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".rates"))
    record_audit(actor_user_id=current_user.id, action="tier.add", subject_type="tier", subject_id=tier.id,
                 details={"min_sales_minor": tier.min_sales_minor, "bonus_bps": tier.bonus_bps})
    db.session.commit()
    flash(_("Tier “%(name)s” added.", name=tier.name), "success")
    return redirect(url_for(".rates"))


@blueprint.route("/tiers/<int(max=999999999):tier_id>/delete", methods=["POST"])
@operator_required
def remove_tier(tier_id: int) -> Response:
    try:
        rules.remove_tier(tier_id)
    except rules.RateError as error:
        flash(str(error), "error")
        return redirect(url_for(".rates"))
    record_audit(actor_user_id=current_user.id, action="tier.remove", subject_type="tier", subject_id=tier_id)
    db.session.commit()
    flash(_("Tier removed."), "success")
    return redirect(url_for(".rates"))


# Payouts ------------------------------------------------------------------------------------


@blueprint.route("/payouts")
@operator_required
def payout_runs_page() -> str:
    return render_template(
        "operator/payouts.html", listing=queries.list_payout_runs(page=page_number(request.args.get("page"))),
        minimum=Money(current_app.config["PAYOUT_MIN_MINOR"], current_app.config["CURRENCY"]), methods=list(PayoutMethod),
    )


@blueprint.route("/payouts.csv")
@operator_required
def payouts_csv() -> Response:
    """Every payout, with its run and status."""
    rows = ([p.reference, p.run_id, p.method, p.curator_user_id, Money(p.amount_minor, p.currency).to_decimal_string(),
             Money(p.netted_minor, p.currency).to_decimal_string(), p.currency, p.status, p.provider_reference or "",
             p.failure_reason, p.created_at.strftime("%Y-%m-%d %H:%M:%S")] for p in queries.all_payouts())
    return csv_response("vitrine-payouts.csv", ["reference", "run", "method", "curator_user_id", "amount", "netted", "currency",
                                                "status", "provider_reference", "failure_reason", "created_at"], rows)


@blueprint.route("/payouts/run", methods=["POST"])
@operator_required
@moves_money
def start_payout_run() -> Response:
    raw = request.form.get("method", "")
    if raw not in set(PayoutMethod):
        flash(_("Choose how to pay: manual file or Stripe transfers."), "error")
        return redirect(url_for(".payout_runs_page"))
    config = current_app.config
    try:
        report = payout_runs.start_run(PayoutMethod(raw), currency=config["CURRENCY"], minimum_minor=config["PAYOUT_MIN_MINOR"],
                                       provider=active_provider(), started_by_user_id=current_user.id)
    except payouts.PayoutError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".payout_runs_page"))
    flash(_("Run %(run)s: payouts reserved: %(reserved)d; paid by transfer: %(settled)d; voided: %(voided)d; "
            "awaiting the provider: %(unknown)d; curators left out: %(skipped)d.", run=report.run.id, reserved=len(report.reserved),
            settled=len(report.settled), voided=len(report.voided), unknown=len(report.unknown), skipped=len(report.skipped)),
          "success" if not (report.voided or report.unknown) else "error")
    return redirect(url_for(".payout_run", run_id=report.run.id))


def _run_or_404(run_id: int) -> PayoutRun:
    run = queries.find_payout_run(run_id)
    if run is None:
        abort(404, description=_("There is no such payout run."))
    return run


@blueprint.route("/payouts/<int(max=999999999):run_id>")
@operator_required
def payout_run(run_id: int) -> str:
    run = _run_or_404(run_id)
    return render_template("operator/payout_run.html", run=run, lines=queries.payout_lines(run.id))


@blueprint.route("/payouts/<int(max=999999999):run_id>.csv")
@operator_required
def payout_run_csv(run_id: int) -> Response:
    """The bank / PIX / Alipay batch file: the payouts still to pay."""
    run = _run_or_404(run_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["curator", "email", "amount", "currency", "reference"])
    for payout, email, handle in queries.payout_lines(run.id):
        if payout.status == PayoutStatus.RESERVED:
            writer.writerow([csv_safe(handle or f"user {payout.curator_user_id}"), csv_safe(email),
                             Money(payout.amount_minor, payout.currency).to_decimal_string(), payout.currency, payout.reference])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="vitrine-payouts-{run.id}.csv"', "Cache-Control": "private, no-store",
    })


@blueprint.route("/payouts/<int(max=999999999):run_id>/paid", methods=["POST"])
@operator_required
@moves_money
def mark_run_paid(run_id: int) -> Response:
    run = _run_or_404(run_id)
    try:
        settled = payout_runs.mark_manual_run_paid(run, actor_user_id=current_user.id)
    except payouts.PayoutError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".payout_run", run_id=run.id))
    flash(ngettext("%(num)d payout marked paid.", "%(num)d payouts marked paid.", settled), "success")
    return redirect(url_for(".payout_run", run_id=run.id))


@blueprint.route("/payouts/lines/<int(max=999999999):payout_id>/failed", methods=["POST"])
@operator_required
@moves_money
def mark_payout_failed(payout_id: int) -> Response:
    payout = queries.find_payout(payout_id)
    if payout is None:
        abort(404, description=_("There is no such payout."))
    reason = request.form.get("reason", "").strip()[:255]
    if not reason:
        flash(_("Say why this payout failed."), "error")
        return redirect(url_for(".payout_run", run_id=payout.run_id))
    try:
        payout_runs.mark_manual_payout_failed(payout, reason, actor_user_id=current_user.id)
    except payouts.PayoutError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".payout_run", run_id=payout.run_id))
    flash(_("%(reference)s failed: the money is back in the curator's available balance.", reference=payout.reference), "success")
    return redirect(url_for(".payout_run", run_id=payout.run_id))


# Reconciliation -----------------------------------------------------------------------------


def _period() -> tuple[datetime, datetime]:
    """?from=&to= (UTC days, both included); this month so far by default."""
    today = datetime.now(UTC).date()
    start = _day_arg(request.args["from"]) if request.args.get("from") else today.replace(day=1)
    last = _day_arg(request.args["to"]) if request.args.get("to") else today
    if last < start:
        abort(400, description=_("The period ends before it starts."))
    return (datetime.combine(start, datetime.min.time(), UTC), datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC))


def _reconciliation() -> reconciliation.Report:
    start, end = _period()
    try:
        return reconciliation.reconcile_with(active_provider(), start, end, currency=current_app.config["CURRENCY"],
                                             default_bps=current_app.config["COMMISSION_DEFAULT_BPS"])
    except ProviderError as error:
        abort(503, description=_("The payment provider's records could not be read: %(error)s", error=error))


@blueprint.route("/reconciliation")
@operator_required
def reconciliation_page() -> str:
    report = _reconciliation()
    return render_template("operator/reconciliation.html", report=report, last_day=report.end - timedelta(days=1))


@blueprint.route("/reconciliation.csv")
@operator_required
def reconciliation_csv() -> Response:
    report = _reconciliation()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["kind", "subject", "detail"])
    for item in report.discrepancies:
        writer.writerow([item.kind.value, csv_safe(item.subject), csv_safe(item.detail)])
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="vitrine-reconciliation-{report.start:%Y%m%d}.csv"',
        "Cache-Control": "private, no-store",
    })
