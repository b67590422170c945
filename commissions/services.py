"""Commissions from paid orders: earn, mature, hold, release, reject, and reverse on refunds and disputes.

Every money movement is one ledger transaction posted under the curator's lock inside the
caller's database transaction, with an idempotency key taken from its cause. Locks are taken
in one order everywhere — the order row (by the payment handlers), then curators by user id,
then the commission rows, re-read once locked — so concurrent postings cannot deadlock and
never act on a stale read.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from commissions import ledger, rules
from commissions.analytics import facts
from commissions.ledger import LedgerError, Posting, Transfer
from commissions.models import AccountKind, Commission, CommissionStatus, CuratorTier
from commissions.notifications import messages as notifications
from commissions.states import BUCKET, COMMISSION_STATES, COMMISSION_STATUS_LABELS
from share.services import PaidOrderAttribution, find_paid_order_attribution
from storefront import clock
from storefront.audit.services import record_audit
from storefront.extensions import db
from storefront.inserts import insert_once
from storefront.orders.models import Order, OrderLine
from storefront.payments.models import Payment, Refund, RefundLine
from storefront.shops.models import Shop
from storefront.states import InvalidTransition

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


def _lock_curators(curators: Iterable[tuple[int, str]]) -> None:
    """Every curator involved, in user id order: two postings that touch the same curators never wait on each other in a cycle."""
    for user_id, currency in sorted(set(curators)):
        ledger.lock_curator(user_id, currency)


def _reread(commission: Commission) -> Commission:
    """The commission as it is now, its row locked: decisions are never made on a stale copy."""
    db.session.flush()
    db.session.refresh(commission, with_for_update=True)
    return commission


def _locked(commission: Commission) -> Commission:
    ledger.lock_curator(commission.curator_user_id, commission.currency)
    return _reread(commission)


# Earning ------------------------------------------------------------------------------------


def earn_for_paid_order(
    order: Order, payment: Payment, settings: CommissionSettings, *, attribution: PaidOrderAttribution | None = None,
) -> list[Commission]:
    """One pending commission per line that credits a curator's shop; a replay creates nothing more.

    No commission for a self-referred line (attribution already took its shop away), for a
    suspended shop, or for an amount that rounds down to nothing. A shop under self-referral
    review earns on hold until an operator decides. Each curator's tier is read once, before
    the order's own lines count toward it. `attribution` is the order's when the caller read it already.
    """
    if attribution is None:
        attribution = find_paid_order_attribution(order.id)
    under_review = set(attribution.review_shop_ids) if attribution is not None else set()
    earning: list[tuple[OrderLine, Shop]] = []
    for line in order.lines:
        shop = db.session.get(Shop, line.shop_id) if line.shop_id is not None else None
        if shop is None:
            continue
        if shop.is_suspended:
            log.info("order %s line %s: shop %s is suspended and earns nothing", order.number, line.id, shop.id)
            continue
        earning.append((line, shop))
    curators = sorted({shop.user_id for _line, shop in earning})
    accounts = _AccountsOfOrder(order.currency)
    for user_id in curators:  # in user id order, as _lock_curators takes them
        accounts.add(ledger.lock_curator(user_id, order.currency))
    tiers = {user_id: rules.tier_for(user_id, order.currency) for user_id in curators}
    # Read once for the whole order, not once per line: the products' rates.
    rates = rules.base_rates((line.product_id for line, _shop in earning), settings.default_bps) if earning else {}
    made = _earn_lines(order, payment, earning, settings, tiers, rates, accounts)
    for commission in made:
        if commission.shop_id in under_review:
            shop = db.session.get(Shop, commission.shop_id)
            assert shop is not None
            reasons = [r for r in attribution.review_reasons if r.startswith(f"@{shop.handle}:")] if attribution else []
            hold(commission, reason="self-referral review: " + ("; ".join(reasons) or "weak signals"), actor_user_id=None)
    notifications.notify_sale_paid(order, made)
    return made


class _AccountsOfOrder:
    """The ledger accounts an order's earnings post to, each read once (they exist: the curators are locked)."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._found: ledger.AccountsByOwner = {}

    def add(self, accounts: ledger.AccountsByOwner) -> None:
        """Accounts already read (by `ledger.lock_curator`)."""
        self._found.update(accounts)

    def get(self, user_id: int | None, kind: AccountKind) -> ledger.LedgerAccount:
        key = (user_id, kind)
        if key not in self._found:
            self._found[key] = ledger.account(user_id, kind, self.currency)
        return self._found[key]


def _earn_lines(
    order: Order, payment: Payment, earning: list[tuple[OrderLine, Shop]], settings: CommissionSettings,
    tiers: dict[int, CuratorTier | None], rates: dict[int, rules.RateQuote], accounts: _AccountsOfOrder,
) -> list[Commission]:
    """The lines' commissions and their postings, in line order, in one INSERT and one posting batch.

    A line that has its commission already (a replay, or a concurrent delivery that made it
    first) is skipped by the unique order line: it gets no second commission nor posting.
    """
    matures_at = clock.now() + settings.hold
    rows = []
    for line, shop in earning:
        quote = rates.get(line.product_id)
        assert quote is not None, f"order line {line.id}: product {line.product_id} is gone"
        rate = rules.with_tier(quote, tiers[shop.user_id])
        base = line.line_total_minor
        earned = base * rate.rate_bps // rules.MAX_RATE_BPS
        if earned <= 0:
            continue
        rows.append({
            "order_line_id": line.id, "order_id": order.id, "payment_id": payment.id, "shop_id": shop.id,
            "curator_user_id": shop.user_id, "currency": order.currency, "base_minor": base, "rate_bps": rate.rate_bps,
            "rate_source": rate.description, "earned_minor": earned, "status": S.PENDING, "matures_at": matures_at,
        })
    if not rows:
        return []
    written = {
        commission.order_line_id: commission
        for commission in db.session.scalars(insert_once(Commission, "order_line_id").returning(Commission), rows)
    }
    made = [written[row["order_line_id"]] for row in rows if row["order_line_id"] in written]
    ledger.post_many([
        Posting(
            idempotency_key=_earning_key(commission), kind="earn", cause_type="order_line", cause_id=commission.order_line_id,
            memo=f"order {order.number}: {commission.rate_bps} bps of {commission.base_minor}",
            transfers=[Transfer(accounts.get(None, AccountKind.COMMISSION_EXPENSE), accounts.get(commission.curator_user_id, AccountKind.PENDING),
                                commission.earned_minor, commission.id)],
        )
        for commission in made
    ])
    return made


def _earning_key(commission: Commission) -> str:
    return f"earn:line:{commission.order_line_id}:payment:{commission.payment_id}"


def _earning_transaction_id(commission: Commission) -> int | None:
    earned = ledger.find_transaction(_earning_key(commission))
    return earned.id if earned else None


# Maturing -----------------------------------------------------------------------------------


def curators_with_due_commissions() -> list[tuple[int, str]]:
    return [
        (user_id, currency) for user_id, currency in db.session.execute(
            select(Commission.curator_user_id, Commission.currency)
            .where(Commission.status == S.PENDING, Commission.matures_at <= clock.now())
            .group_by(Commission.curator_user_id, Commission.currency)
            .order_by(Commission.curator_user_id, Commission.currency)
        )
    ]


@dataclass
class Maturation:
    matured: int = 0
    #: Commission id → why it could not mature (left pending, for an operator to look at).
    failed: dict[int, str] = field(default_factory=dict)


def mature_for_curator(user_id: int, currency: str) -> Maturation:
    """This curator's pending commissions past their hold become available; each on its own savepoint.

    Safe to run twice at once: the second run waits on the curator's lock, then finds nothing due.
    """
    ledger.lock_curator(user_id, currency)
    result = Maturation()
    became_available: list[Commission] = []
    due = db.session.scalars(
        select(Commission).where(
            Commission.curator_user_id == user_id, Commission.currency == currency, Commission.status == S.PENDING,
            Commission.matures_at <= clock.now(),
        ).order_by(Commission.id)
    ).all()
    for commission in due:
        commission = _reread(commission)
        if commission.status_enum is not S.PENDING or commission.matures_at > clock.now():
            continue
        try:
            with db.session.begin_nested():
                _mature(commission)
        except (LedgerError, InvalidTransition) as error:
            log.error("commission %s could not mature: %s", commission.id, error)
            result.failed[commission.id] = str(error)
        else:
            result.matured += 1
            became_available.append(commission)
    notifications.notify_commissions_available(user_id, currency, became_available)
    return result


def mature_due() -> Maturation:
    """Every curator's due commissions, in one transaction (the command commits per curator instead)."""
    total = Maturation()
    for user_id, currency in curators_with_due_commissions():
        one = mature_for_curator(user_id, currency)
        total.matured += one.matured
        total.failed.update(one.failed)
    return total


def _mature(commission: Commission) -> None:
    _move(commission, S.AVAILABLE)
    if commission.net_minor > 0:
        ledger.post(Posting(
            idempotency_key=f"mature:commission:{commission.id}", kind="mature", cause_type="commission", cause_id=commission.id,
            memo="hold period over",
            transfers=[Transfer(_acct(commission, "pending"), _acct(commission, "available"), commission.net_minor, commission.id)],
        ))


# Holds --------------------------------------------------------------------------------------


def hold(commission: Commission, *, reason: str, actor_user_id: int | None) -> None:
    """Take a pending or available commission out of the payable balance (fraud review, dispute)."""
    if not reason.strip():
        raise CommissionError(_("Say why the commission is held."))
    commission = _locked(commission)
    if commission.status_enum not in (S.PENDING, S.AVAILABLE):
        raise CommissionError(_("A %(status)s commission cannot be held.", status=COMMISSION_STATUS_LABELS[commission.status_enum]))
    if commission.payout_id is not None:
        raise CommissionError(_("This commission is in a payout being paid: fail that payout first, or act once it is paid."))
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
    commission = _locked(commission)
    if commission.status_enum is not S.HELD:
        raise CommissionError(_("Only a held commission can be released."))
    target = S.PENDING if commission.matures_at > clock.now() else S.AVAILABLE
    first_time_available = target is S.AVAILABLE and commission.held_from == S.PENDING
    if commission.net_minor > 0:
        ledger.post(Posting(
            idempotency_key=f"release:commission:{commission.id}:{commission.holds}", kind="release", cause_type="commission",
            cause_id=commission.id, memo=reason or "released",
            transfers=[Transfer(_acct(commission, "held"), _acct(commission, BUCKET[target]), commission.net_minor, commission.id)],
        ))
    commission.held_from = None
    _move(commission, target, reason or "released")
    _audit(actor_user_id, "commission.release", commission, reason)
    if first_time_available:
        notifications.notify_commissions_available(commission.curator_user_id, commission.currency, [commission])


def reject(commission: Commission, *, reason: str, actor_user_id: int | None) -> None:
    """Refuse a held commission for good: its amount goes back to the platform."""
    if not reason.strip():
        raise CommissionError(_("Say why the commission is rejected."))
    commission = _locked(commission)
    if commission.status_enum is not S.HELD:
        raise CommissionError(_("Hold a commission before rejecting it."))
    amount = commission.net_minor
    if amount > 0:
        ledger.post(Posting(
            idempotency_key=f"reject:commission:{commission.id}", kind="reject", cause_type="commission", cause_id=commission.id,
            memo=reason, reverses_id=_earning_transaction_id(commission),
            transfers=[Transfer(_acct(commission, "held"), _expense(commission.currency), amount, commission.id)],
        ))
        commission.reversed_minor += amount
        notifications.notify_commissions_reversed([(commission, amount)], cause=f"reject:commission:{commission.id}", reason="reject")
    _move(commission, S.REJECTED, reason)
    _audit(actor_user_id, "commission.reject", commission, reason)
    facts.refresh_orders([commission.order_id])


def _audit(actor_user_id: int | None, action: str, commission: Commission, reason: str) -> None:
    record_audit(
        actor_user_id=actor_user_id, action=action, subject_type="commission", subject_id=commission.id, reason=reason,
        details={"status": commission.status, "net_minor": commission.net_minor},
    )


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


def _order_commissions_locked(order: Order) -> list[Commission]:
    commissions = list(db.session.scalars(select(Commission).where(Commission.order_id == order.id).order_by(Commission.id)))
    _lock_curators((c.curator_user_id, c.currency) for c in commissions)
    return [_reread(c) for c in commissions]


def reverse_for_refund(order: Order, refund: Refund) -> int:
    """Bring each of the order's commissions down to what its remaining paid amount earns; returns the total reversed.

    Cumulative over the line's refunded amount (by chosen lines, or the order's refunds spread
    in proportion), so partial refunds never take back more than was earned and a full refund
    leaves exactly zero. A replay of the same refund posts nothing.
    """
    total = 0
    reversals: list[tuple[Commission, int]] = []
    for commission in _order_commissions_locked(order):
        new_refunded = refunded_base(commission)
        if new_refunded <= commission.refunded_base_minor:
            continue
        amount = commission.net_minor - target_net(commission, new_refunded)
        commission.refunded_base_minor = new_refunded
        if amount > 0 and commission.status_enum in BUCKET:
            taken = _reverse(commission, amount, key=f"refund:{refund.id}:commission:{commission.id}", memo=f"refund {refund.reference}")
            total += taken
            reversals.append((commission, taken))
    notifications.notify_commissions_reversed(reversals, cause=f"refund:{refund.id}", reason="refund")
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


def _dispute_reason(dispute_reference: str) -> str:
    return f"dispute {dispute_reference}"


def hold_for_dispute(order: Order, *, dispute_reference: str) -> int:
    """A chargeback opened: the order's unpaid commissions stop being payable until it is decided."""
    held = 0
    for commission in _order_commissions_locked(order):
        # One already in a payout being paid goes on; a lost dispute claws it back.
        if commission.status_enum in (S.PENDING, S.AVAILABLE) and commission.payout_id is None:
            hold(commission, reason=_dispute_reason(dispute_reference), actor_user_id=None)
            held += 1
    return held


def close_dispute(order: Order, *, dispute_reference: str, won: bool) -> int:
    """Won: the commissions held for this dispute come back. Lost: every commission of the order is reversed, wherever it sits."""
    changed = 0
    reversals: list[tuple[Commission, int]] = []
    for commission in _order_commissions_locked(order):
        if won:
            if commission.status_enum is S.HELD and commission.status_reason == _dispute_reason(dispute_reference):
                release(commission, reason=f"dispute {dispute_reference} won", actor_user_id=None)
                changed += 1
        elif commission.status_enum in BUCKET and commission.net_minor > 0:
            commission.refunded_base_minor = commission.base_minor
            taken = _reverse(commission, commission.net_minor, key=f"dispute:{dispute_reference}:commission:{commission.id}",
                             memo=f"dispute {dispute_reference} lost")
            reversals.append((commission, taken))
            changed += 1
    notifications.notify_commissions_reversed(reversals, cause=f"dispute:{dispute_reference}", reason="dispute")
    return changed
