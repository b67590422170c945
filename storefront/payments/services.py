"""Payment attempts and what provider events do to orders. Flush, never commit."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.money import Money
from storefront.orders import services as orders
from storefront.orders.models import Order, OrderStatus
from storefront.payments import signals
from storefront.payments.models import Payment, PaymentStatus, Refund
from storefront.payments.providers import PaymentEvent, PaymentProvider, ProviderError, RefundRequest
from storefront.payments.states import transition_payment

log = logging.getLogger(__name__)


class PaymentNotFound(LookupError):
    pass


def start_payment(order: Order, provider: PaymentProvider) -> tuple[Payment, str]:
    """Open a payment attempt for a payable order; returns it and the URL to send the shopper to."""
    if not orders.is_payable(order):
        raise orders.OrderError("This order can no longer be paid.")
    started = provider.start_payment(order)
    payment = Payment(
        order_id=order.id, provider=provider.name, reference=started.reference,
        amount_minor=order.total_minor, currency=order.currency, status=PaymentStatus.STARTED,
    )
    db.session.add(payment)
    db.session.flush()
    return payment, started.redirect_url


def find_payment(provider: str, reference: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.provider == provider, Payment.reference == reference))


def get_payment(provider: str, reference: str) -> Payment:
    payment = find_payment(provider, reference)
    if payment is None:
        raise PaymentNotFound(reference)
    return payment


def find_order_payment(order: Order) -> Payment | None:
    """The payment that paid the order, if any."""
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.paid_the_order.is_(True)))


def _event_payment(event: PaymentEvent, order: Order) -> Payment:
    payment = find_payment(event.provider, event.payment_reference or "")
    if payment is None:
        # Providers may report an attempt we never saw start (e.g. a retried session).
        payment = Payment(
            order_id=order.id, provider=event.provider, reference=event.payment_reference or event.event_id,
            amount_minor=event.amount_minor or 0, currency=event.currency or order.currency,
            status=PaymentStatus.STARTED,
        )
        db.session.add(payment)
    return payment


def apply_payment_succeeded(event: PaymentEvent) -> str:
    """Mark the order paid when the amount matches; otherwise record why not, for an operator."""
    order = orders.find_order_by_number(event.order_number or "", lock=True)
    if order is None:
        return "ignored: unknown order"
    payment = _event_payment(event, order)
    if payment.order_id != order.id:
        log.error("event %s: payment %s belongs to another order", event.event_id, payment.reference)
        return "ignored: payment belongs to another order"
    if event.amount_minor != order.total_minor or event.currency != order.currency:
        log.error("event %s: paid %s %s for order %s of %s", event.event_id, event.amount_minor, event.currency, order.number, order.total)
        return "ignored: amount does not match the order total"
    # The same payment reported again (another event type, a retry) is harmless; a different
    # payment succeeding for an order that is already paid is a second charge.
    reported_before = payment.status == PaymentStatus.SUCCEEDED
    transition_payment(payment, PaymentStatus.SUCCEEDED)
    status = order.status_enum
    if status is OrderStatus.PENDING:
        orders.mark_order_paid(order, actor=f"provider:{event.provider}")
        payment.paid_the_order = True
        db.session.flush()
        signals.order_paid.send(None, order=order, payment=payment)
        return "applied"
    if status in (OrderStatus.EXPIRED, OrderStatus.CANCELED):
        log.warning("order %s was %s when payment %s arrived; it needs a refund", order.number, status, payment.reference)
        return f"needs refund: order was {status.value}"
    if reported_before or payment.paid_the_order:
        return "ignored: order already paid"
    log.error("order %s was paid twice; payment %s needs a refund", order.number, payment.reference)
    return "needs refund: paid twice"


def apply_payment_failed(event: PaymentEvent) -> str:
    order = orders.find_order_by_number(event.order_number or "")
    if order is None:
        return "ignored: unknown order"
    payment = _event_payment(event, order)
    if payment.status == PaymentStatus.SUCCEEDED:
        return "ignored: payment already succeeded"
    transition_payment(payment, PaymentStatus.FAILED)
    payment.failure_reason = event.failure_reason[:255]
    return "applied: order stays pending"


def apply_refund_succeeded(event: PaymentEvent) -> str:
    payment = find_payment(event.provider, event.payment_reference or "")
    if payment is None:
        return "ignored: unknown payment"
    order = db.session.get(Order, payment.order_id, with_for_update=True)
    assert order is not None
    if event.amount_minor is None or event.amount_minor <= 0 or event.currency != order.currency or not event.refund_reference:
        return "ignored: refund without a positive amount, its currency or a reference"
    # Only the payment that paid the order counts toward the order's refunds; a refund of a
    # payment the order never kept (late or second charge) is recorded on its own.
    counts_for_order = payment.paid_the_order and order.status_enum in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
    if counts_for_order and event.amount_minor > order.total_minor - order.refunded_minor:
        log.error("refund %s of %s exceeds what is left on order %s", event.refund_reference, event.amount_minor, order.number)
        return "ignored: refund larger than what is left on the order"
    refund = Refund(
        order_id=order.id, payment_id=payment.id, provider=event.provider, reference=event.refund_reference,
        amount_minor=event.amount_minor, currency=order.currency,
    )
    try:
        with db.session.begin_nested():
            db.session.add(refund)
    except IntegrityError:
        return "ignored: refund already recorded"
    if not counts_for_order:
        return f"applied: refund of a payment order {order.number} did not keep"
    orders.record_order_refund(order, Money(event.amount_minor, order.currency), actor=f"provider:{event.provider}")
    db.session.flush()
    signals.order_refunded.send(None, order=order, refund=refund)
    return "applied"


def refund_order(order: Order, amount: Money, provider: PaymentProvider, *, reason: str = "") -> str:
    """Ask the provider to refund part or all of a paid order; the refund is recorded from its event."""
    payment = find_order_payment(order)
    if payment is None or payment.provider != provider.name:
        raise ProviderError("This order has no successful payment with this provider to refund.")
    left = order.total - order.refunded
    if amount.currency != order.currency or not 0 < amount.minor <= left.minor:
        raise orders.OrderError(f"Refund between {Money(1, order.currency)} and {left}.")
    return provider.refund(RefundRequest(payment=payment, amount_minor=amount.minor, reason=reason))
