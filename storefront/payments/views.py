"""The webhook endpoint shared by every provider, and the test provider's payment page."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from storefront.extensions import csrf, db
from storefront.navigation import safe_next_path
from storefront.orders import services as orders
from storefront.orders.access import ensure_can_view_order
from storefront.orders.models import Order
from storefront.payments import services
from storefront.payments.forms import TestCardForm
from storefront.payments.models import PaymentStatus
from storefront.orders.views import find_visible_order
from storefront.payments.providers import MalformedEvent, ProviderError, UnknownProvider, active_provider, get_provider
from storefront.payments.signatures import InvalidSignature
from storefront.payments.test_provider import (
    TestPaymentOutcome, TestPaymentProvider, UnknownTestCard, pay_with_test_card,
)
from storefront.payments.webhooks import process_webhook

log = logging.getLogger(__name__)
blueprint = Blueprint("payments", __name__)


@blueprint.route("/webhooks/<provider_name>", methods=["POST"])
@csrf.exempt
def webhook(provider_name: str) -> tuple[Response, int]:
    try:
        result = process_webhook(provider_name, request.get_data(cache=False), request.headers,
                                 queue=current_app.config["WEBHOOK_QUEUE"])
    except UnknownProvider:
        return jsonify(error="unknown payment provider"), 404
    except InvalidSignature as error:
        log.warning("rejected %s webhook: %s", provider_name, error)
        return jsonify(error="invalid signature"), 400
    except MalformedEvent as error:
        return jsonify(error=str(error)), 400
    db.session.commit()
    return jsonify(received=True, duplicate=result.duplicate, queued=result.outcome == "queued"), 200


def _test_provider() -> TestPaymentProvider:
    try:
        provider = get_provider("test")
    except UnknownProvider:
        abort(404, description=_("The test payment provider is switched off."))
    assert isinstance(provider, TestPaymentProvider)
    return provider


@blueprint.route("/pay/test/<reference>", methods=["GET", "POST"])
def test_checkout(reference: str) -> Response | tuple[str, int]:
    provider = _test_provider()
    payment = services.find_payment(provider.name, reference) if len(reference) <= 64 else None
    if payment is None:
        abort(404, description=_("This payment link is not valid."))
    order = db.session.get(Order, payment.order_id)
    assert order is not None
    ensure_can_view_order(order)
    if payment.status == PaymentStatus.SUCCEEDED or not orders.is_payable(order):
        if request.method == "POST" and orders.expire_if_overdue(order):
            db.session.commit()
        return redirect(f"/orders/{order.number}")
    form = TestCardForm()
    status, message = 200, ""
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                outcome = pay_with_test_card(provider, payment, form.card_number.data)
            except UnknownTestCard as error:
                form.card_number.errors.append(str(error))
            else:
                db.session.commit()
                if outcome is TestPaymentOutcome.PAID:
                    flash(_("Payment received. Thank you for your order!"), "success")
                if outcome is not TestPaymentOutcome.DECLINED:
                    return redirect(f"/orders/{order.number}")
                status, message = 402, _("Your card was declined. Nothing was charged; try another card.")
    minutes = current_app.config["ORDER_PAYMENT_TIMEOUT_MINUTES"]
    return render_template(
        "payments/test_checkout.html", form=form, order=order, message=message, timeout_minutes=minutes
    ), status


#: How many times the page waiting for a payment's confirmation reloads itself, `CONFIRMING_RELOAD_SECONDS` apart.
CONFIRMING_RELOADS = 30
CONFIRMING_RELOAD_SECONDS = 2


@blueprint.route("/orders/<number>/confirming")
def confirming(number: str) -> Response | str:
    """Where the provider sends the shopper back after paying (Stripe's success URL, naming the attempt paid in
    `attempt`). The payment event may not be applied yet (it may come after the shopper, or wait in the queue): until it
    is, a page that reloads itself, not the order's page with its "Pay now" for an order that is being paid. It lets go
    after a minute, or as soon as the attempt failed."""
    order = find_visible_order(number)
    reloads_so_far = max(request.args.get("n", 0, type=int), 0)
    provider_name = active_provider().name
    attempt = request.args.get("attempt", "")
    payment = services.find_payment(provider_name, attempt) if 0 < len(attempt) <= 255 else None
    if payment is None or payment.order_id != order.id:
        attempt, payment = "", services.find_latest_payment(order, provider_name)
    waiting = orders.is_payable(order) and payment is not None and payment.status == PaymentStatus.STARTED
    if not waiting:
        return redirect(f"/orders/{order.number}")
    if reloads_so_far >= CONFIRMING_RELOADS:
        flash(_("Your payment is taking longer than usual to confirm. This page shows the order as paid once it is: please do "
                "not pay again."), "info")
        return redirect(f"/orders/{order.number}")
    next_url = url_for("payments.confirming", number=order.number, n=reloads_so_far + 1, **({"attempt": attempt} if attempt else {}))
    return render_template("payments/confirming.html", order=order, seconds=CONFIRMING_RELOAD_SECONDS, next_url=next_url)


@blueprint.route("/orders/<number>/pay", methods=["POST"])
def pay_order(number: str) -> Response:
    """Open a new payment attempt for a pending order (after a decline, or to come back later)."""
    order = find_visible_order(number, lock=True)
    try:
        _payment, redirect_url = services.start_payment(order, active_provider())
    except (orders.OrderError, ProviderError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(f"/orders/{order.number}")
    db.session.commit()
    return redirect(redirect_url)


@blueprint.route("/pay/test/onboarding/<reference>", methods=["GET", "POST"])
@login_required
def test_onboarding(reference: str) -> Response | str:
    """The test provider's stand-in for Stripe's hosted onboarding: one button completes it."""
    provider = _test_provider()
    account = services.find_connected_account(current_user.id, provider.name)
    if account is None or account.reference != reference:
        abort(404, description=_("This payout set-up link is not yours or has expired."))
    back = safe_next_path(request.args.get("next"), "/me/earnings")
    if request.method == "POST":
        provider.complete_onboarding(reference)
        db.session.commit()
        flash(_("Payouts are set up: your available earnings will be paid to this account."), "success")
        return redirect(back)
    return render_template("payments/test_onboarding.html", account=account, back=back)
