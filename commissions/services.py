"""Commissions from paid orders: earn, mature, hold, release, reject, and reverse on refunds and disputes.

Every money movement is one ledger transaction posted under the curator's lock inside the
caller's database transaction, with an idempotency key taken from its cause.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commissions import ledger, rules
from commissions.ledger import Posting, Transfer
from commissions.models import AccountKind, Commission, CommissionStatus
from commissions.states import BUCKET, COMMISSION_STATES
from share.models import SelfReferral
from share.services import find_order_attribution
from storefront import clock
from storefront.audit.services import record_audit
from storefront.extensions import db
from storefront.catalog.models import Product
from storefront.orders.models import Order, OrderLine
from storefront.payments.models import Payment, Refund, RefundLine
from storefront.shops.models import Shop

log = logging.getLogger(__name__)
S = CommissionStatus


class CommissionError(Exception):
    """An operator action that cannot be done; the message is safe to show."""


@dataclass(frozen=True)
class CommissionSettings:
    default_bps: int
    hold_days: int

    @property
    def hold(self) -> timedelta:
        return timedelta(days=self.hold_days)


def _move(commission: Commission, target: CommissionStatus, reason: str = "") -> None:
    COMMISSION_STATES.check(commission.status_enum, target)
    commission.status = target
    if reason:
        commission.status_reason = reason[:255]


def _acct(commission: Commission, kind: AccountKind | str) -> ledger.LedgerAccount:
    return ledger.account(commission.curator_user_id, AccountKind(kind), commission.currency)


def _expense(currency: str) -> ledger.LedgerAccount:
    return ledger.account(None, AccountKind.COMMISSION_EXPENSE, currency)


# Earning ------------------------------------------------------------------------------------


def earn_for_paid_order(order: Order, payment: Payment, settings: CommissionSettings) -> list[Commission]:
    """One pending commission per line that credits a curator's shop; a replay creates nothing more.

    No commission for a self-referred line (attribution already took its shop away), for a
    suspended shop, or for an amount that rounds down to nothing. An order under self-referral
    review earns, but on hold until an operator decides.
    """
    attribution = find_order_attribution(order.id)
    under_review = attribution is not None and attribution.self_referral == SelfReferral.REVIEW
    made = []
    for line in order.lines:
        if line.shop_id is None:
            continue
        shop = db.session.get(Shop, line.shop_id)
        if shop is None or shop.is_suspended:
            log.info("order %s line %s: shop %s cannot earn", order.number, line.id, line.shop_id)
            continue
        commission = _earn_line(order, line, payment, shop, settings)
        if commission is not None:
            made.append(commission)
            if under_review:
                hold(commission, reason="self-referral review: " + "; ".join(attribution.review_reasons), actor_user_id=None)
    return made


def _earn_line(order: Order, line: OrderLine, payment: Payment, shop: Shop, settings: CommissionSettings) -> Commission | None:
    existing = db.session.scalar(select(Commission).where(Commission.order_line_id == line.id))
    if existing is not None:
        return None
    product = db.session.get(Product, line.product_id)
    assert product is not None
    ledger.lock_curator(shop.user_id, order.currency)
    rate = rules.quote(product, settings.default_bps, shop.user_id)
    base = line.line_total_minor
    earned = base * rate.rate_bps // rules.MAX_RATE_BPS
    if earned <= 0:
        return None
    commission = Commission(
        order_line_id=line.id, order_id=order.id, payment_id=payment.id, shop_id=shop.id,
        curator_user_id=shop.user_id, currency=order.currency, base_minor=base, rate_bps=rate.rate_bps,
        rate_source=rate.description, earned_minor=earned, status=S.PENDING, matures_at=clock.now() + settings.hold,
    )
    try:
        with db.session.begin_nested():
            db.session.add(commission)
    except IntegrityError:
        return None  # the unique order line: a concurrent delivery made it first
    ledger.post(Posting(
        idempotency_key=f"earn:line:{line.id}:payment:{payment.id}", kind="earn", cause_type="order_line",
        cause_id=line.id, memo=f"order {order.number}: {rate.rate_bps} bps of {base}",
        transfers=[Transfer(_expense(order.currency), _acct(commission, AccountKind.PENDING), earned, commission.id)],
    ))
    return commission


# Maturing -----------------------------------------------------------------------------------


def mature_due(limit: int = 500) -> int:
    """Pending commissions past their hold become available; safe to run twice at once."""
    due_ids = list(db.session.scalars(
        select(Commission.id).where(Commission.status == S.PENDING, Commission.matures_at <= clock.now())
        .order_by(Commission.id).limit(limit)
    ))
    matured = 0
    for commission_id in due_ids:
        commission = _locked(commission_id)
        if commission is None or commission.status_enum is not S.PENDING:
            continue  # a concurrent run, a hold or a refund got here first
        if _mature(commission):
            matured += 1
    return matured


def _locked(commission_id: int) -> Commission | None:
    commission = db.session.get(Commission, commission_id)
    if commission is None:
        return None
    ledger.lock_curator(commission.curator_user_id, commission.currency)
    db.session.flush()
    db.session.refresh(commission, with_for_update=True)
    return commission


def _mature(commission: Commission) -> bool:
    _move(commission, S.AVAILABLE)
    if commission.net_minor > 0:
        _, posted = ledger.post(Posting(
            idempotency_key=f"mature:commission:{commission.id}", kind="mature", cause_type="commission", cause_id=commission.id,
            memo="hold period over",
            transfers=[Transfer(_acct(commission, "pending"), _acct(commission, "available"), commission.net_minor, commission.id)],
        ))
        return posted
    return True


# Holds --------------------------------------------------------------------------------------


def hold(commission: Commission, *, reason: str, actor_user_id: int | None) -> None:
    """Take a pending or available commission out of the payable balance (fraud review, dispute)."""
    if not reason.strip():
        raise CommissionError("Say why the commission is held.")
    ledger.lock_curator(commission.curator_user_id, commission.currency)
    if commission.status_enum not in (S.PENDING, S.AVAILABLE):
        raise CommissionError(f"A {commission.status} commission cannot be held.")
    source = commission.status_enum
    commission.holds += 1
    if commission.net_minor > 0:
        ledger.post(Posting(
            idempotency_key=f"hold:commission:{commission.id}:{commission.holds}", kind="hold", cause_type="commission",
            cause_id=commission.id, memo=reason,
            transfers=[Transfer(_acct(commission, BUCKET[source]), _acct(commission, "held"), commission.net_minor, commission.id)],
        ))
    commission.held_from = source
    _move(commission, S.HELD, reason)
    _audit(actor_user_id, "commission.hold", commission, reason)


def release(commission: Commission, *, reason: str, actor_user_id: int | None) -> None:
    """Back to pending, or to available when its hold period passed meanwhile."""
    ledger.lock_curator(commission.curator_user_id, commission.currency)
    if commission.status_enum is not S.HELD:
        raise CommissionError("Only a held commission can be released.")
    target = S.PENDING if commission.matures_at > clock.now() else S.AVAILABLE
    if commission.net_minor > 0:
        ledger.post(Posting(
            idempotency_key=f"release:commission:{commission.id}:{commission.holds}", kind="release", cause_type="commission",
            cause_id=commission.id, memo=reason or "released",
            transfers=[Transfer(_acct(commission, "held"), _acct(commission, BUCKET[target]), commission.net_minor, commission.id)],
        ))
    commission.held_from = None
    _move(commission, target, reason or "released")
    _audit(actor_user_id, "commission.release", commission, reason)


def reject(commission: Commission, *, reason: str, actor_user_id: int | None) -> None:
    """Refuse a held commission for good: its amount goes back to the platform."""
    if not reason.strip():
        raise CommissionError("Say why the commission is rejected.")
    ledger.lock_curator(commission.curator_user_id, commission.currency)
    if commission.status_enum is not S.HELD:
        raise CommissionError("Hold a commission before rejecting it.")
    amount = commission.net_minor
    if amount > 0:
        ledger.post(Posting(
            idempotency_key=f"reject:commission:{commission.id}", kind="reject", cause_type="commission", cause_id=commission.id,
            memo=reason, reverses_id=_earning_transaction_id(commission),
            transfers=[Transfer(_acct(commission, "held"), _expense(commission.currency), amount, commission.id)],
        ))
        commission.reversed_minor += amount
    _move(commission, S.REJECTED, reason)
    _audit(actor_user_id, "commission.reject", commission, reason)


def _audit(actor_user_id: int | None, action: str, commission: Commission, reason: str) -> None:
    record_audit(
        actor_user_id=actor_user_id, action=action, subject_type="commission", subject_id=commission.id, reason=reason,
        details={"status": commission.status, "net_minor": commission.net_minor},
    )


def _earning_transaction_id(commission: Commission) -> int | None:
    earned = ledger.find_transaction(f"earn:line:{commission.order_line_id}:payment:{commission.payment_id}")
    return earned.id if earned else None


# Refunds and disputes -----------------------------------------------------------------------


def target_net(commission: Commission, refunded_base_minor: int) -> int:
    """What the line earns on what is left of it after refunds: rate × (paid − refunded), rounded down."""
    return (commission.base_minor - refunded_base_minor) * commission.rate_bps // rules.MAX_RATE_BPS


def refunded_base(commission: Commission) -> int:
    """What the refunds so far gave back on this commission's line (their allocation to lines is the payments' record)."""
    given = db.session.scalar(
        select(func.coalesce(func.sum(RefundLine.amount_minor), 0)).where(RefundLine.order_line_id == commission.order_line_id)
    )
    return min(commission.base_minor, int(given or 0))


def reverse_for_refund(order: Order, refund: Refund) -> int:
    """Bring each of the order's commissions down to what its remaining paid amount earns; returns the total reversed.

    Cumulative over the line's refunded amount (by chosen lines, or the order's refunds spread
    in proportion), so partial refunds never take back more than was earned and a full refund
    leaves exactly zero. A replay of the same refund posts nothing.
    """
    total = 0
    for commission in _order_commissions(order):
        commission = _locked(commission.id) or commission
        new_refunded = refunded_base(commission)
        if new_refunded <= commission.refunded_base_minor:
            continue
        amount = commission.net_minor - target_net(commission, new_refunded)
        commission.refunded_base_minor = new_refunded
        if amount > 0 and commission.status_enum is not S.REJECTED:
            total += _reverse(commission, amount, key=f"refund:{refund.id}:commission:{commission.id}", memo=f"refund {refund.reference}")
    return total


def _reverse(commission: Commission, amount: int, *, key: str, memo: str) -> int:
    """Take `amount` back from wherever the commission sits; what is already gone becomes the curator's debt."""
    status = commission.status_enum
    bucket = _acct(commission, BUCKET[status])
    expense = _expense(commission.currency)
    transfers = []
    if status is S.PAID:
        transfers.append(Transfer(_acct(commission, "receivable"), expense, amount, commission.id))
    else:
        covered = min(amount, max(0, ledger.balance(bucket)))
        if covered:
            transfers.append(Transfer(bucket, expense, covered, commission.id))
        if amount - covered:
            transfers.append(Transfer(_acct(commission, "receivable"), expense, amount - covered, commission.id))
    _, posted = ledger.post(Posting(
        idempotency_key=key, kind="clawback" if status is S.PAID else "reversal", cause_type="commission",
        cause_id=commission.id, memo=memo, reverses_id=_earning_transaction_id(commission), transfers=transfers,
    ))
    if not posted:
        return 0
    commission.reversed_minor += amount
    if commission.net_minor == 0:
        _move(commission, S.REVERSED, memo)
    return amount


def _order_commissions(order: Order) -> list[Commission]:
    return list(db.session.scalars(select(Commission).where(Commission.order_id == order.id).order_by(Commission.id)))


def hold_for_dispute(order: Order, *, dispute_reference: str) -> int:
    """A chargeback opened: the order's unpaid commissions stop being payable until it is decided."""
    held = 0
    for commission in _order_commissions(order):
        if commission.status_enum in (S.PENDING, S.AVAILABLE):
            hold(commission, reason=f"dispute {dispute_reference}", actor_user_id=None)
            held += 1
    return held


def close_dispute(order: Order, *, dispute_reference: str, won: bool) -> int:
    """Won: the held commissions come back. Lost: they are reversed as a full refund would."""
    changed = 0
    for commission in _order_commissions(order):
        if commission.status_enum is S.HELD and commission.status_reason == f"dispute {dispute_reference}":
            if won:
                release(commission, reason=f"dispute {dispute_reference} won", actor_user_id=None)
            else:
                ledger.lock_curator(commission.curator_user_id, commission.currency)
                commission.refunded_base_minor = commission.base_minor
                _reverse(commission, commission.net_minor, key=f"dispute:{dispute_reference}:commission:{commission.id}",
                         memo=f"dispute {dispute_reference} lost")
            changed += 1
        elif not won and commission.status_enum is S.PAID and commission.net_minor > 0:
            ledger.lock_curator(commission.curator_user_id, commission.currency)
            commission.refunded_base_minor = commission.base_minor
            _reverse(commission, commission.net_minor, key=f"dispute:{dispute_reference}:commission:{commission.id}",
                     memo=f"dispute {dispute_reference} lost")
            changed += 1
    return changed
