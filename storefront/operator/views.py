"""Operator pages: shop moderation and the audit log."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from commissions.queries import commissions_for_order
from share.services import find_order_attribution
from storefront.audit.services import list_audit_entries, record_audit
from storefront.listing import page_number
from storefront.money import Money, MoneyError
from storefront.orders import services as orders
from storefront.orders.models import Order
from storefront.payments import services as payments
from storefront.payments.providers import ProviderError, active_provider
from storefront.extensions import db
from storefront.operator.access import operator_required
from storefront.shops import services as shops
from storefront.shops.forms import ReasonForm
from storefront.shops.models import Shop

blueprint = Blueprint("operator", __name__, url_prefix="/operator")


@blueprint.route("/shops")
@operator_required
def shop_list() -> str:
    query = request.args.get("q", "")[:100]
    return render_template("operator/shops.html", shops=shops.search_shops(query), query=query, form=ReasonForm())


def _shop(shop_id: int) -> Shop:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        abort(404, description="There is no such shop.")
    return shop


@blueprint.route("/shops/<int(max=999999999):shop_id>/suspend", methods=["POST"])
@operator_required
def suspend(shop_id: int) -> Response:
    return _moderate(shop_id, shops.suspend_shop, "Shop suspended: its page is gone and it earns nothing.")


@blueprint.route("/shops/<int(max=999999999):shop_id>/reinstate", methods=["POST"])
@operator_required
def reinstate(shop_id: int) -> Response:
    return _moderate(shop_id, shops.reinstate_shop, "Suspension lifted.")


def _moderate(shop_id: int, action: object, success: str) -> Response:
    shop = _shop(shop_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Give a reason (at most 500 characters).", "error")
        return redirect(url_for("operator.shop_list"))
    try:
        action(shop, actor_user_id=current_user.id, reason=form.reason.data)  # type: ignore[operator]
    except shops.ShopError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("operator.shop_list"))


@blueprint.route("/audit")
@operator_required
def audit_log() -> str:
    return render_template("operator/audit.html", entries=list_audit_entries())


@blueprint.route("/orders", methods=["GET"])
@operator_required
def order_lookup() -> Response | str:
    number = request.args.get("number", "").strip().upper()[:20]
    if number:
        if orders.find_order_by_number(number) is not None:
            return redirect(url_for("operator.order_detail", number=number))
        flash(f"No order {number}.", "error")
    return render_template("operator/order_lookup.html", number=number)


@blueprint.route("/orders/<number>")
@operator_required
def order_detail(number: str) -> str:
    order = orders.find_order_by_number(number) if len(number) <= 20 else None
    if order is None:
        abort(404, description="There is no such order.")
    return render_template(
        "operator/order.html", order=order, attribution=find_order_attribution(order.id),
        commissions=commissions_for_order(order.id), refund_token=secrets.token_hex(16),
    )


@blueprint.route("/orders/<number>/refund", methods=["POST"])
@operator_required
def refund(number: str) -> Response:
    """Refund the whole order, an amount, or chosen lines, through the payment provider; recorded from its event."""
    order = orders.find_order_by_number(number) if len(number) <= 20 else None
    if order is None:
        abort(404, description="There is no such order.")
    back = url_for("operator.order_detail", number=order.number)
    token = request.form.get("request_token", "")
    if not (token.isascii() and token.isalnum() and 16 <= len(token) <= 64):
        flash("This refund form is out of date; reload the order and try again.", "error")
        return redirect(back)
    reason = request.form.get("reason", "").strip()[:255]
    if not reason:
        flash("Say why you refund (the customer's reason, or yours).", "error")
        return redirect(back)
    try:
        amount, lines = _refund_request(order)
        payments.refund_order(order, amount, active_provider(), reason=reason, lines=lines, request_key=token)
    except (orders.OrderError, ProviderError, MoneyError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    record_audit(
        actor_user_id=current_user.id, action="order.refund", subject_type="order", subject_id=order.id, reason=reason,
        details={"amount_minor": amount.minor if amount else None, "lines": {str(k): v for k, v in (lines or {}).items()}},
    )
    db.session.commit()
    flash("Refund sent to the payment provider; it shows here once the provider confirms it.", "success")
    return redirect(back)


def _refund_request(order: Order) -> tuple[Money | None, dict[int, int] | None]:
    """The form's choice: everything left, an amount, or an amount per line."""
    what = request.form.get("what", "")
    if what == "full":
        return order.total - order.refunded, None
    if what == "amount":
        return Money.parse(request.form.get("amount", ""), order.currency), None
    if what == "lines":
        lines = {}
        for line in order.lines:
            raw = request.form.get(f"line-{line.id}", "").strip()
            if raw:
                lines[line.id] = Money.parse(raw, order.currency).minor
        if not lines:
            raise orders.OrderError("Give an amount for at least one line.")
        return None, lines
    raise orders.OrderError("Choose what to refund: everything, an amount, or lines.")


@blueprint.route("/payments")
@operator_required
def payment_attention() -> str:
    """Payment facts that need a person: amount mismatches, second charges, disputes, refunds that wait or cannot be placed."""
    listing = payments.events_needing_attention(page=page_number(request.args.get("page")))
    return render_template("operator/payments.html", listing=listing)
