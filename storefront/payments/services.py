"""Payment attempts and what provider events do to orders. Flush, never commit."""
from __future__ import annotations

import logging
from collections.abc import Iterator
import secrets

from flask_babel import gettext as _, ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record_audit
from storefront.extensions import db
from storefront.i18n import format_money
from storefront.money import Money
from storefront.orders import services as orders
from storefront.orders.models import Order, OrderStatus
from storefront.payments import signals
from storefront.listing import Page, clamp_page
from storefront.payments.models import ConnectedAccount, Payment, PaymentStatus, Refund, RefundLine, WebhookEvent
from storefront.payments.providers import (
    EventKind, PaymentEvent, PaymentProvider, ProviderError, ProviderRefused, RefundFact, RefundRequest,
)
from storefront.payments.states import payment_transition_values, transition_payment
from storefront.updates import update_loaded

log = logging.getLogger(__name__)


class PaymentNotFound(LookupError):
    pass


def start_payment(order: Order, provider: PaymentProvider) -> tuple[Payment, str]:
    """Open a payment attempt for a payable order; returns it and the URL to send the shopper to."""
    if not orders.is_payable(order):
        raise orders.OrderError(_("This order can no longer be paid."))
    attempt = (db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == order.id)) or 0) + 1
    started = provider.start_payment(order, attempt)
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


def find_latest_payment(order: Order, provider: str) -> Payment | None:
    """The order's most recent attempt with this provider (a declined one may be tried again, as on its page)."""
    return db.session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.provider == provider).order_by(Payment.id.desc()).limit(1)
    )


def find_order_payment(order: Order) -> Payment | None:
    """The payment that paid the order, if any."""
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.paid_the_order.is_(True)))


def _event_payment(event: PaymentEvent, order: Order) -> Payment:
    payment = find_event_payment(event)
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
    # The provider's own id of the payment, when this event tells it first: kept whatever comes of the event.
    learnt = {"provider_payment_id": event.provider_payment_id} if event.provider_payment_id and not payment.provider_payment_id else {}
    status = order.status_enum
    amount_matches = event.amount_minor == order.total_minor and event.currency == order.currency
    if status is OrderStatus.PENDING and amount_matches:
        _pay_order(order, payment, actor=f"provider:{event.provider}", learnt=learnt)
        signals.order_paid.send(None, order=order, payment=payment)
        return "applied"
    for key, value in learnt.items():
        setattr(payment, key, value)
    if not amount_matches:
        log.error("event %s: paid %s %s for order %s of %s", event.event_id, event.amount_minor, event.currency, order.number, order.total)
        return "needs review: paid amount does not match the order total"
    # The same payment reported again (another event type, a retry) is harmless; a different
    # payment succeeding for an order that is already paid is a second charge.
    reported_before = payment.status == PaymentStatus.SUCCEEDED
    transition_payment(payment, PaymentStatus.SUCCEEDED)
    if status in (OrderStatus.EXPIRED, OrderStatus.CANCELED):
        log.warning("order %s was %s when payment %s arrived; it needs a refund", order.number, status, payment.reference)
        return f"needs refund: order was {status.value}"
    if reported_before or payment.paid_the_order:
        return "ignored: order already paid"
    log.error("order %s was paid twice; payment %s needs a refund", order.number, payment.reference)
    return "needs refund: paid twice"


def _pay_order(order: Order, payment: Payment, *, actor: str, learnt: dict[str, str]) -> None:
    """pending → paid by this payment, which succeeds and becomes the one that paid the order (with what the event
    `learnt` of it). Written at once in Core, the order's row first (every payment runs this)."""
    orders.mark_order_paid(order, actor=actor)
    update_loaded(payment, {**learnt, **payment_transition_values(payment, PaymentStatus.SUCCEEDED), "paid_the_order": True})


def apply_payment_failed(event: PaymentEvent) -> str:
    order = orders.find_order_by_number(event.order_number or "")
    if order is None:
        return "ignored: unknown order"
    payment = find_event_payment(event)
    if payment is None and event.payment_reference:
        payment = _event_payment(event, order)
    if payment is None:
        return "applied: order stays pending (the failed attempt is not one we started)"
    if payment.status == PaymentStatus.SUCCEEDED:
        return "ignored: payment already succeeded"
    transition_payment(payment, PaymentStatus.FAILED)
    payment.failure_reason = event.failure_reason[:255]
    return "applied: order stays pending"


def _waiting_key(event: PaymentEvent) -> str:
    key = event.provider_payment_id or event.payment_reference
    if not key:
        # Nothing could ever satisfy it: an operator must look (the pipeline flags deferred events).
        return "?"
    return key


class WaitFor(Exception):
    """The event needs a fact that has not arrived yet (a refund before its payment): keep it and apply it later."""

    def __init__(self, key: str) -> None:
        super().__init__(f"waiting for payment {key}")
        self.key = key


def find_event_payment(event: PaymentEvent, *, lock: bool = False) -> Payment | None:
    """The attempt an event speaks of, by our reference or by the provider's own payment id (locked when asked:
    a handler deciding to wait must see a payment success that is committing at the same moment)."""
    for column, value in ((Payment.reference, event.payment_reference), (Payment.provider_payment_id, event.provider_payment_id)):
        if not value:
            continue
        query = select(Payment).where(Payment.provider == event.provider, column == value).order_by(Payment.id).limit(1)
        # Under the lock, read again even an attempt this session loaded before (as `find_order_by_number` does).
        payment = db.session.scalar(query.with_for_update().execution_options(populate_existing=True) if lock else query)
        if payment is not None:
            return payment
    return None


def apply_refund_succeeded(event: PaymentEvent) -> str:
    """Record each refund once; a refund of a payment we have not seen succeed waits for it."""
    payment = find_event_payment(event, lock=True)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise WaitFor(_waiting_key(event))
    if not event.refunds:
        if event.failure_reason:
            return f"needs review: {event.failure_reason}"[:255]
        return "ignored: no refund in the event"
    outcomes = [_record_refund(event, payment, fact) for fact in event.refunds]
    return "; ".join(outcomes)


def _record_refund(event: PaymentEvent, payment: Payment, fact: RefundFact) -> str:
    order = db.session.get(Order, payment.order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    if fact.amount_minor <= 0 or (event.currency and event.currency != order.currency):
        return "ignored: refund without a positive amount in the order's currency"
    # Only the payment that paid the order counts toward the order's refunds; a refund of a
    # payment the order never kept (late or second charge) is recorded on its own.
    counts_for_order = payment.paid_the_order and order.status_enum in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)
    if db.session.scalar(select(Refund.id).where(Refund.provider == event.provider, Refund.reference == fact.reference)):
        return "ignored: refund already recorded"
    if counts_for_order and fact.amount_minor > order.total_minor - order.refunded_minor:
        log.error("refund %s of %s exceeds what is left on order %s", fact.reference, fact.amount_minor, order.number)
        return "needs review: refund larger than what is left on the order"
    refund = Refund(
        order_id=order.id, payment_id=payment.id, provider=event.provider, reference=fact.reference,
        amount_minor=fact.amount_minor, currency=order.currency,
    )
    try:
        with db.session.begin_nested():
            db.session.add(refund)
    except IntegrityError:
        return "ignored: refund already recorded"
    if not counts_for_order:
        return f"applied: refund of a payment order {order.number} did not keep"
    for line_id, amount in allocate_refund(order, fact.amount_minor, fact.lines).items():
        db.session.add(RefundLine(refund_id=refund.id, order_line_id=line_id, amount_minor=amount))
    orders.record_order_refund(order, Money(fact.amount_minor, order.currency), actor=f"provider:{event.provider}")
    db.session.flush()
    signals.order_refunded.send(None, order=order, refund=refund)
    return "applied"


def apply_payment_expired(event: PaymentEvent) -> str:
    """The provider's checkout expired unpaid: cancel the pending order and give its stock back."""
    order = orders.find_order_by_number(event.order_number or "", lock=True)
    if order is None:
        return "ignored: unknown order"
    payment = find_event_payment(event)
    if payment is not None and payment.status == PaymentStatus.STARTED:
        transition_payment(payment, PaymentStatus.FAILED)
        payment.failure_reason = "checkout expired"
    if order.status_enum is not OrderStatus.PENDING:
        return f"ignored: order is {order.status}"
    others = db.session.scalar(
        select(func.count()).select_from(Payment).where(
            Payment.order_id == order.id, Payment.status == PaymentStatus.STARTED, Payment.id != (payment.id if payment else 0),
        )
    )
    if others:
        return "applied: this attempt expired; the order waits for its newer attempt"
    orders.cancel_order(order, actor=f"provider:{event.provider}", reason="checkout expired at the provider")
    return "applied: order canceled, stock released"


def apply_dispute(event: PaymentEvent) -> str:
    """A chargeback opened or closed: the order's commissions are held, then restored or reversed."""
    payment = find_event_payment(event, lock=True)
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        raise WaitFor(_waiting_key(event))
    if event.dispute is None:
        return "ignored: no dispute in the event"
    order = db.session.get(Order, payment.order_id, with_for_update=True, populate_existing=True)
    assert order is not None
    if not payment.paid_the_order:
        log.warning("dispute %s on payment %s, which did not pay order %s", event.dispute.reference, payment.reference, order.number)
        return "needs review: dispute on a charge the order did not keep"
    if event.kind is EventKind.DISPUTE_OPENED:
        if _dispute_already_closed(event.provider, event.dispute.reference):
            # Its close arrived (or was applied) first: holding now would hold for good.
            return f"ignored: dispute {event.dispute.reference} was already closed"
        signals.dispute_opened.send(None, order=order, dispute_reference=event.dispute.reference)
        log.warning("order %s: dispute %s opened", order.number, event.dispute.reference)
        return "needs review: dispute opened"
    signals.dispute_closed.send(None, order=order, dispute_reference=event.dispute.reference, won=bool(event.dispute.won))
    return _dispute_closed_outcome(event.dispute.reference, bool(event.dispute.won))


def _dispute_closed_outcome(reference: str, won: bool) -> str:
    return f"applied: dispute {'won' if won else 'lost'} ({reference})"


def _dispute_already_closed(provider: str, reference: str) -> bool:
    """Whether this dispute's close was applied: its event's recorded outcome names it."""
    return db.session.scalar(
        select(WebhookEvent.id).where(
            WebhookEvent.provider == provider,
            WebhookEvent.outcome.in_([_dispute_closed_outcome(reference, won) for won in (True, False)]),
        ).limit(1)
    ) is not None


def apply_account_updated(event: PaymentEvent) -> str:
    """A curator's connected payout account changed: keep whether it can receive payouts."""
    if event.account is None:
        return "ignored: no account in the event"
    account = db.session.scalar(
        select(ConnectedAccount).where(ConnectedAccount.provider == event.provider, ConnectedAccount.reference == event.account.reference)
    )
    if account is None:
        return "ignored: not one of our curators' accounts"
    account.payouts_enabled = event.account.payouts_enabled
    account.details_submitted = event.account.details_submitted
    return "applied"


def apply_transfer_reversed(event: PaymentEvent) -> str:
    """A payout's transfer was taken back: its money returns to the curator's available balance."""
    log.warning("%s event %s: transfer %s was reversed", event.provider, event.event_id, event.payment_reference)
    results = signals.transfer_reversed.send(None, transfer_reference=event.payment_reference or "", reversed_minor=event.amount_minor)
    outcomes = [outcome for _receiver, outcome in results if outcome]
    return f"needs review: transfer reversed ({'; '.join(outcomes) or 'not one of our payouts'})"[:255]


def refunded_by_line(order: Order) -> dict[int | None, int]:
    """What each order line (None: shipping) has been given back so far."""
    rows = db.session.execute(
        select(RefundLine.order_line_id, func.sum(RefundLine.amount_minor))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.order_id == order.id)
        .group_by(RefundLine.order_line_id)
    )
    return {line_id: int(amount) for line_id, amount in rows}


def refundable_by_line(order: Order) -> dict[int | None, int]:
    """What is left to give back on each line, and on shipping (None)."""
    given = refunded_by_line(order)
    left: dict[int | None, int] = {line.id: line.line_total_minor - given.get(line.id, 0) for line in order.lines}
    left[None] = order.shipping_minor - given.get(None, 0)
    return left


def check_refund_lines(order: Order, lines: dict[int, int]) -> None:
    left = refundable_by_line(order)
    for line_id, amount in lines.items():
        if line_id is None or line_id not in left:
            raise orders.OrderError(_("Refund only lines of this order."))
        if not 0 < amount <= left[line_id]:
            raise orders.OrderError(_("Refund between %(least)s and %(most)s on that line.", least=format_money(Money(1, order.currency)),
                                      most=format_money(Money(left[line_id], order.currency))))


def allocate_refund(order: Order, amount_minor: int, explicit: dict[int, int] | None) -> dict[int | None, int]:
    """Which lines a refund gives back: the chosen ones when they add up, else in proportion to what is left on each.

    The parts always add up to the refund, and never exceed what is left on a line, so once the
    whole order is refunded every line has been given back exactly.
    """
    if explicit and sum(explicit.values()) == amount_minor:
        try:
            check_refund_lines(order, explicit)
        except orders.OrderError as error:
            log.error("order %s: refund lines %s do not fit (%s); spread in proportion instead", order.number, explicit, error)
        else:
            return dict(explicit)
    left = {key: value for key, value in refundable_by_line(order).items() if value > 0}
    keys = list(left)
    parts = Money(amount_minor, order.currency).allocate([left[key] for key in keys])
    return {key: part.minor for key, part in zip(keys, parts, strict=True) if part.minor > 0}


def refund_order(
    order: Order, amount: Money | None, provider: PaymentProvider, *, reason: str = "", lines: dict[int, int] | None = None,
    request_key: str | None = None,
) -> str:
    """Ask the provider to refund part or all of a paid order, by amount or by chosen lines; recorded from its event."""
    payment = find_order_payment(order)
    if payment is None or payment.provider != provider.name:
        raise ProviderRefused(_("This order has no successful payment with this provider to refund."))
    if lines:
        check_refund_lines(order, lines)
        amount = Money(sum(lines.values()), order.currency)
    if amount is None:
        raise orders.OrderError(_("Say how much to refund, or which lines."))
    left = order.total - order.refunded
    if amount.currency != order.currency or not 0 < amount.minor <= left.minor:
        raise orders.OrderError(_("Refund between %(least)s and %(most)s.", least=format_money(Money(1, order.currency)), most=format_money(left)))
    # One key per refund request (the operator's form carries it): a retried request refunds once,
    # two separate requests for the same amount refund twice.
    key = f"vitrine-refund-{payment.id}-{request_key or secrets.token_hex(16)}"
    return provider.refund(RefundRequest(
        payment=payment, amount_minor=amount.minor, reason=reason, lines=dict(lines or {}), idempotency_key=key,
    ))


def refund_order_by_operator(
    order: Order, amount: Money | None, provider: PaymentProvider, *, actor_user_id: int, reason: str,
    lines: dict[int, int] | None = None, request_key: str | None = None,
) -> str:
    """`refund_order` on an operator's behalf (the console and the admin API), with the audit entry naming them."""
    reference = refund_order(order, amount, provider, reason=reason, lines=lines, request_key=request_key)
    record_audit(
        actor_user_id=actor_user_id, action="order.refund", subject_type="order", subject_id=order.id, reason=reason,
        details={"amount_minor": amount.minor if amount else None, "lines": {str(k): v for k, v in (lines or {}).items()}},
    )
    return reference


def refund_amounts_for_quantities(order: Order, quantities: dict[int, int]) -> dict[int, int]:
    """Order line id → amount to give back for that many units: quantity × unit price, capped at what is left on the line.

    Raises OrderError for a line of another order, more units than were bought, or a line already refunded in full.
    """
    left = refundable_by_line(order)
    by_id = {line.id: line for line in order.lines}
    amounts = {}
    for line_id, quantity in quantities.items():
        line = by_id.get(line_id)
        if line is None:
            raise orders.OrderError(_("Line %(line)s is not a line of this order.", line=line_id))
        if not 0 < quantity <= line.quantity:
            raise orders.OrderError(ngettext("Line %(line)s (%(title)s) has %(num)d unit; refund 1 to %(num)d.",
                                             "Line %(line)s (%(title)s) has %(num)d units; refund 1 to %(num)d.",
                                             line.quantity, line=line_id, title=line.title))
        amount = min(line.unit_price_minor * quantity, left[line_id])
        if amount <= 0:
            raise orders.OrderError(_("Line %(line)s (%(title)s) is already refunded in full.", line=line_id, title=line.title))
        amounts[line_id] = amount
    return amounts


# Curators' payout accounts --------------------------------------------------------------------


def find_connected_account(user_id: int, provider_name: str) -> ConnectedAccount | None:
    return db.session.scalar(
        select(ConnectedAccount).where(ConnectedAccount.user_id == user_id, ConnectedAccount.provider == provider_name)
    )


def supports_payout_accounts(provider: PaymentProvider) -> bool:
    return hasattr(provider, "create_connected_account") and hasattr(provider, "onboarding_link")


def start_payout_onboarding(user_id: int, email: str, provider: PaymentProvider, *, return_url: str, refresh_url: str) -> str:
    """The curator's payout account at the provider (opened on first use) and the link to finish setting it up."""
    if not supports_payout_accounts(provider):
        raise ProviderError(_("Payouts to curators are not set up with this payment provider."))
    account = find_connected_account(user_id, provider.name)
    if account is None:
        reference = provider.create_connected_account(email=email, user_id=user_id)  # type: ignore[attr-defined]
        account = ConnectedAccount(user_id=user_id, provider=provider.name, reference=reference)
        try:
            with db.session.begin_nested():
                db.session.add(account)
        except IntegrityError:
            account = find_connected_account(user_id, provider.name)
            assert account is not None
    return provider.onboarding_link(account.reference, return_url=return_url, refresh_url=refresh_url)  # type: ignore[attr-defined]


def events_needing_attention(*, page: int = 1, per_page: int = 50) -> Page[WebhookEvent]:
    """Provider events an operator must look at, newest first."""
    query = select(WebhookEvent).where(WebhookEvent.needs_attention.is_(True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    items = list(db.session.scalars(query.order_by(WebhookEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


def all_events_needing_attention() -> Iterator[WebhookEvent]:
    yield from db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.needs_attention.is_(True)).order_by(WebhookEvent.id).execution_options(yield_per=500)
    )
