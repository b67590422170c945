"""The curator's earnings page and statement download, and "what would I earn" on product pages."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user, login_required

from commissions import rules, statements
from commissions.states import COMMISSION_STATUS_LABELS, PAYOUT_STATUS_LABELS, STAGE_LABELS
from commissions.payouts import payout_statement, payouts_for
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.payments import services as payments
from storefront.payments.providers import ProviderError, active_provider
from storefront.web import absolute_url
from storefront.listing import page_number
from storefront.money import Money
from storefront.exports import csv_safe

blueprint = Blueprint("commissions", __name__)


@blueprint.app_template_filter("bps")
def format_bps(rate_bps: int) -> str:
    """500 → "5%", 525 → "5.25%" ("5,25%" in Portuguese): exact, basis points are whole hundredths of a percent."""
    return format_percent(Decimal(rate_bps).scaleb(-4), format="#,##0.##%")


@blueprint.app_template_filter("bps_input")
def format_bps_input(rate_bps: int) -> str:
    """525 → "5.25": a rate as the rate forms read it back (digits and a dot, whatever the language)."""
    return f"{Decimal(rate_bps).scaleb(-2).normalize():f}"


@blueprint.app_template_filter("commission_status")
def commission_status_label(status: str) -> str:
    """A commission's stored status ("held") as the reader's language says it."""
    return str(COMMISSION_STATUS_LABELS.get(status, status))  # type: ignore[call-overload]


@blueprint.app_template_filter("payout_status")
def payout_status_label(status: str) -> str:
    """A payout's stored status ("reserved") as its curator reads it ("on its way")."""
    return str(PAYOUT_STATUS_LABELS.get(status, status))  # type: ignore[call-overload]


@blueprint.app_template_filter("ledger_stage")
def ledger_stage_label(stage: str) -> str:
    """Where money sat or went on a statement line ("platform", "pending", "in_payout"…)."""
    return str(STAGE_LABELS.get(stage, stage))


@blueprint.app_template_global("commission_quote_for")
def commission_quote_for(product: Product) -> tuple[rules.RateQuote, Money] | None:
    """For a signed-in shopper: the rate (tier included) and the amount they would earn on one unit."""
    if not current_user.is_authenticated:
        return None
    quote = rules.quote(product, current_app.config["COMMISSION_DEFAULT_BPS"], current_user.id)
    return quote, Money(product.price_minor * quote.rate_bps // rules.MAX_RATE_BPS, product.currency)


@blueprint.route("/me/earnings")
@login_required
def earnings() -> str:
    currency = current_app.config["CURRENCY"]
    provider = active_provider()
    return render_template(
        "commissions/earnings.html", balances=statements.balances_for(current_user.id, currency),
        listing=statements.statement(current_user.id, page=page_number(request.args.get("page"))),
        hold_days=current_app.config["COMMISSION_HOLD_DAYS"],
        payouts_supported=payments.supports_payout_accounts(provider),
        payout_account=payments.find_connected_account(current_user.id, provider.name),
        payouts=payouts_for(current_user.id),
    )


@blueprint.route("/me/payouts/<int(max=999999999):payout_id>")
@login_required
def payout_detail(payout_id: int) -> str:
    found = payout_statement(payout_id, current_user.id)
    if found is None:
        abort(404, description=_("There is no such payout of yours."))
    payout, lines = found
    return render_template("commissions/payout.html", payout=payout, lines=lines)


@blueprint.route("/me/payouts/connect", methods=["POST"])
@login_required
def connect_payouts() -> Response:
    """Open (or resume) the curator's payout set-up at the provider (an expired link brings them back to the button)."""
    try:
        link = payments.start_payout_onboarding(
            current_user.id, current_user.email, active_provider(),
            return_url=absolute_url(url_for("commissions.earnings")),
            refresh_url=absolute_url(url_for("commissions.earnings")),
        )
    except ProviderError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("commissions.earnings"))
    db.session.commit()
    return redirect(link)


@blueprint.route("/me/earnings.csv")
@login_required
def earnings_csv() -> Response:
    user_id = current_user.id

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_("date"), _("order"), _("product"), _("movement"), _("amount"), _("currency"), _("moved"), _("status"),
                         _("reason")])
        for m in statements.all_movements(user_id):
            writer.writerow([
                m.at.strftime("%Y-%m-%d %H:%M:%S"), m.order_number, csv_safe(m.product), m.label, m.amount.to_decimal_string(),
                m.amount.currency, m.moved, m.status, csv_safe(m.reason),
            ])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(rows()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="vitrine-earnings.csv"', "Cache-Control": "private, no-store",
    })
