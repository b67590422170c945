"""Operator pages: shop moderation and the audit log."""
from __future__ import annotations

import json
import secrets

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from commissions import queries as curator_queries
from storefront.audit.services import action_label, actor_emails, all_audit_entries, audit_page
from storefront.exports import csv_response
from storefront.listing import page_number
from storefront.money import Money, MoneyError
from storefront.orders import services as orders
from storefront.orders.models import Order, OrderStatus
from storefront.payments import services as payments
from storefront.payments.providers import ProviderError, active_provider
from storefront.payments.queue import queue_state
from storefront.extensions import db
from storefront.operator.access import moves_money, operator_required
from storefront.shops import services as shops
from storefront.shops.forms import ReasonForm
from storefront.shops.models import Shop

blueprint = Blueprint("operator", __name__, url_prefix="/operator")


@blueprint.route("/shops")
@operator_required
def shop_list() -> str:
    query = request.args.get("q", "")[:100]
    listing = shops.search_shops(query, page=page_number(request.args.get("page")))
    return render_template("operator/shops.html", shops=listing.items, listing=listing, query=query, form=ReasonForm())


@blueprint.route("/shops.csv")
@operator_required
def shops_csv() -> Response:
    rows = ([s.handle, s.title, s.user.email, "suspended" if s.is_suspended else s.status, s.suspension_reason or "",
             s.created_at.strftime("%Y-%m-%d %H:%M:%S")] for s in shops.all_shops(request.args.get("q", "")[:100]))
    return csv_response("vitrine-shops.csv", ["handle", "title", "email", "status", "suspension_reason", "created_at"], rows)


def _shop(shop_id: int) -> Shop:
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        abort(404, description=_("There is no such shop."))
    return shop


@blueprint.route("/shops/<int(max=999999999):shop_id>/suspend", methods=["POST"])
@operator_required
def suspend(shop_id: int) -> Response:
    return _moderate(shop_id, shops.suspend_shop, _("Shop suspended: its page is gone and it earns nothing."))


@blueprint.route("/shops/<int(max=999999999):shop_id>/reinstate", methods=["POST"])
@operator_required
def reinstate(shop_id: int) -> Response:
    return _moderate(shop_id, shops.reinstate_shop, _("Suspension lifted."))


def _moderate(shop_id: int, action: object, success: str) -> Response:
    shop = _shop(shop_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason (at most 500 characters)."), "error")
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
    listing = audit_page(page=page_number(request.args.get("page")))
    return render_template("operator/audit.html", listing=listing, emails=actor_emails(listing.items), audit_action_label=action_label)


@blueprint.route("/audit.csv")
@operator_required
def audit_csv() -> Response:
    rows = ([e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.actor_user_id or "system", e.action, e.subject_type, e.subject_id,
             e.reason, json.dumps(e.details, sort_keys=True)] for e in all_audit_entries())
    return csv_response("vitrine-audit.csv", ["at", "actor_user_id", "action", "subject_type", "subject_id", "reason", "details"], rows)


def _order_filter() -> orders.OrderFilter:
    raw_status, raw_shop = request.args.get("status", ""), request.args.get("shop", "").strip().lstrip("@")
    shop = shops.find_shop_by_handle(raw_shop) if raw_shop else None
    return orders.OrderFilter(
        text=request.args.get("q", request.args.get("number", ""))[:254],
        status=OrderStatus(raw_status) if raw_status in set(OrderStatus) else None,
        shop_id=shop.id if shop else (-1 if raw_shop else None),
    )


@blueprint.route("/orders", methods=["GET"])
@operator_required
def order_lookup() -> Response | str:
    search = _order_filter()
    listing = orders.search_orders(search, page=page_number(request.args.get("page")))
    if search.text and listing.total == 1 and listing.items[0].number == search.text.strip().upper():
        return redirect(url_for("operator.order_detail", number=listing.items[0].number))
    return render_template(
        "operator/order_lookup.html", listing=listing, q=search.text, status=search.status, shop=request.args.get("shop", "")[:40],
        statuses=list(OrderStatus),
    )


@blueprint.route("/orders.csv")
@operator_required
def orders_csv() -> Response:
    rows = ([o.number, o.created_at.strftime("%Y-%m-%d %H:%M:%S"), o.email, o.status, o.total.to_decimal_string(),
             o.refunded.to_decimal_string(), o.currency] for o in orders.all_matching_orders(_order_filter()))
    return csv_response("vitrine-orders.csv", ["number", "created_at", "email", "status", "total", "refunded", "currency"], rows)


@blueprint.route("/curators")
@operator_required
def curators() -> str:
    text = request.args.get("q", "")[:100]
    listing = curator_queries.list_curators(text, current_app.config["CURRENCY"], page=page_number(request.args.get("page")))
    return render_template("operator/curators.html", listing=listing, q=text, currency=current_app.config["CURRENCY"], form=ReasonForm())


@blueprint.route("/curators.csv")
@operator_required
def curators_csv() -> Response:
    currency = current_app.config["CURRENCY"]
    money = lambda minor: Money(minor, currency).to_decimal_string()  # noqa: E731
    rows = ([c.shop.handle, c.email, "suspended" if c.shop.is_suspended else c.shop.status, money(c.pending), money(c.available),
             money(c.paid), money(c.owed), currency] for c in curator_queries.all_curators(request.args.get("q", "")[:100], currency))
    return csv_response("vitrine-curators.csv", ["handle", "email", "status", "pending", "available", "paid", "owed", "currency"], rows)


@blueprint.route("/orders/<number>")
@operator_required
def order_detail(number: str) -> str:
    order = orders.find_order_by_number(number) if len(number) <= 20 else None
    if order is None:
        abort(404, description=_("There is no such order."))
    chain = curator_queries.order_chain(order)
    return render_template(
        "operator/order.html", order=order, attribution=chain.attribution,
        commissions=chain.commissions, refund_token=secrets.token_hex(16), payout_references=chain.payout_references,
    )


@blueprint.route("/orders/<number>/refund", methods=["POST"])
@operator_required
@moves_money
def refund(number: str) -> Response:
    """Refund the whole order, an amount, or chosen lines, through the payment provider; recorded from its event."""
    order = orders.find_order_by_number(number) if len(number) <= 20 else None
    if order is None:
        abort(404, description=_("There is no such order."))
    back = url_for("operator.order_detail", number=order.number)
    token = request.form.get("request_token", "")
    if not (token.isascii() and token.isalnum() and 16 <= len(token) <= 64):
        flash(_("This refund form is out of date; reload the order and try again."), "error")
        return redirect(back)
    reason = request.form.get("reason", "").strip()[:255]
    if not reason:
        flash(_("Say why you refund (the customer's reason, or yours)."), "error")
        return redirect(back)
    try:
        amount, lines = _refund_request(order)
        payments.refund_order_by_operator(order, amount, active_provider(), actor_user_id=current_user.id, reason=reason,
                                          lines=lines, request_key=token)
    except (orders.OrderError, ProviderError, MoneyError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    db.session.commit()
    flash(_("Refund sent to the payment provider; it shows here once the provider confirms it."), "success")
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
            raise orders.OrderError(_("Give an amount for at least one line."))
        return None, lines
    raise orders.OrderError(_("Choose what to refund: everything, an amount, or lines."))


@blueprint.route("/payments")
@operator_required
def payment_attention() -> str:
    """Payment facts that need a person: amount mismatches, second charges, disputes, refunds that wait or cannot be placed."""
    listing = payments.events_needing_attention(page=page_number(request.args.get("page")))
    return render_template("operator/payments.html", listing=listing, queue=queue_state())


@blueprint.route("/payments.csv")
@operator_required
def payment_attention_csv() -> Response:
    rows = ([e.received_at.strftime("%Y-%m-%d %H:%M:%S"), e.provider, e.kind, e.event_id, e.outcome]
            for e in payments.all_events_needing_attention())
    return csv_response("vitrine-payments-to-look-at.csv", ["received_at", "provider", "kind", "event_id", "outcome"], rows)
