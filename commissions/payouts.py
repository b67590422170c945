"""Payouts in two phases: reserve (netting the curator's debt first), then settle or void; a settled one may return.

Flush, never commit: `commissions.payout_runs` commits between the phases, so that a reserve is
durable before the provider is called and a crash in between is found by the recovery step.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from commissions import ledger
from commissions.ledger import Posting, Transfer
from commissions.models import (
    AccountKind, Commission, CommissionStatus, LedgerAccount, LedgerTransaction, LedgerTransfer, Payout, PayoutMethod, PayoutRun,
    PayoutStatus,
)
from commissions.notifications import messages as notifications
from commissions.states import COMMISSION_STATES, PAYOUT_STATE_NAMES, PAYOUT_STATES
from storefront.extensions import db

log = logging.getLogger(__name__)


class PayoutError(Exception):
    """A payout action that cannot be done; the message is safe to show."""


def _acct(payout: Payout, kind: AccountKind) -> LedgerAccount:
    return ledger.account(payout.curator_user_id, kind, payout.currency)


def _move(payout: Payout, target: PayoutStatus, reason: str = "") -> None:
    PAYOUT_STATES.check(payout.status_enum, target)
    payout.status = target
    if reason:
        payout.failure_reason = reason[:255]


def curators_with_available(currency: str, minimum_minor: int) -> list[int]:
    """Curators whose available balance reaches the threshold, by user id."""
    credit = (
        select(LedgerTransfer.credit_account_id.label("account_id"), LedgerTransfer.amount_minor.label("amount"))
        .union_all(select(LedgerTransfer.debit_account_id, -LedgerTransfer.amount_minor))
        .subquery()
    )
    rows = db.session.execute(
        select(LedgerAccount.user_id)
        .join(credit, credit.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind == AccountKind.AVAILABLE, LedgerAccount.currency == currency, LedgerAccount.user_id.is_not(None))
        .group_by(LedgerAccount.user_id)
        .having(func.sum(credit.c.amount) >= minimum_minor)
        .order_by(LedgerAccount.user_id)
    )
    return [user_id for (user_id,) in rows]


def open_payout(user_id: int, currency: str) -> Payout | None:
    return db.session.scalar(
        select(Payout).where(Payout.curator_user_id == user_id, Payout.currency == currency, Payout.status == PayoutStatus.RESERVED)
    )


@dataclass(frozen=True)
class Reservation:
    payout: Payout | None
    netted_minor: int
    #: Why no payout was reserved, when none was.
    skipped: str = ""


def reserve(run: PayoutRun, user_id: int, *, minimum_minor: int, destination: str = "") -> Reservation:
    """Net the curator's debt from their available balance, then move the rest available → in_payout."""
    ledger.lock_curator(user_id, run.currency)
    if open_payout(user_id, run.currency) is not None:
        return Reservation(None, 0, "a payout of theirs is still in progress")
    balances = ledger.curator_balances(user_id, run.currency)
    available, owed = balances[AccountKind.AVAILABLE], balances[AccountKind.RECEIVABLE]
    if available < max(1, minimum_minor):
        return Reservation(None, 0, "available balance under the threshold")
    netted = min(owed, available)
    rest = available - netted
    payout = None
    if rest > 0:
        payout = Payout(run_id=run.id, curator_user_id=user_id, method=run.method, currency=run.currency, amount_minor=rest,
                        netted_minor=netted, destination=destination[:255])
        db.session.add(payout)
        db.session.flush()
    transfers = []
    available_acct = ledger.account(user_id, AccountKind.AVAILABLE, run.currency)
    if netted:
        transfers.append(Transfer(available_acct, ledger.account(user_id, AccountKind.RECEIVABLE, run.currency), netted))
    if payout is not None:
        transfers.append(Transfer(available_acct, ledger.account(user_id, AccountKind.IN_PAYOUT, run.currency), rest))
    key = f"payout:{payout.id}:reserve" if payout is not None else f"netting:run:{run.id}:user:{user_id}"
    ledger.post(Posting(key, "payout_reserve" if payout else "netting", "payout_run", run.id, transfers,
                        memo=f"netted {netted} owed" if netted else ""))
    available_now = (Commission.curator_user_id == user_id, Commission.currency == run.currency,
                     Commission.status == CommissionStatus.AVAILABLE, Commission.payout_id.is_(None))
    if payout is not None:
        db.session.execute(update(Commission).where(*available_now).values(payout_id=payout.id)
                           .execution_options(synchronize_session="fetch"))
    else:
        # Their whole available balance paid what they owed: those commissions are spent.
        for commission in db.session.scalars(select(Commission).where(*available_now)):
            COMMISSION_STATES.check(commission.status_enum, CommissionStatus.PAID)
            commission.status = CommissionStatus.PAID
    return Reservation(payout, netted, "" if payout else "their whole balance went to what they owed")


def _locked(payout: Payout) -> Payout:
    ledger.lock_curator(payout.curator_user_id, payout.currency)
    db.session.flush()
    db.session.refresh(payout, with_for_update=True)
    return payout


def _finishing(payout: Payout, target: PayoutStatus) -> Payout | None:
    """The reserved payout, locked and re-read, about to end as `target`; None when it already did (a replay)."""
    payout = _locked(payout)
    if payout.status_enum is target:
        return None
    if payout.status_enum is not PayoutStatus.RESERVED:
        raise PayoutError(_("A %(status)s payout cannot become %(target)s.", status=PAYOUT_STATE_NAMES[payout.status_enum],
                             target=PAYOUT_STATE_NAMES[target]))
    return payout


def settle(payout: Payout, provider_reference: str) -> bool:
    """in_payout → paid, through the platform's payouts_clearing; its commissions become paid. False when already settled."""
    found = _finishing(payout, PayoutStatus.SETTLED)
    if found is None:
        return False
    payout = found
    clearing = ledger.account(None, AccountKind.PAYOUTS_CLEARING, payout.currency)
    ledger.post(Posting(f"payout:{payout.id}:settle", "payout_settle", "payout", payout.id, [
        Transfer(_acct(payout, AccountKind.IN_PAYOUT), clearing, payout.amount_minor),
        Transfer(clearing, _acct(payout, AccountKind.PAID), payout.amount_minor),
    ], memo=provider_reference))
    payout.provider_reference = provider_reference[:255]
    _move(payout, PayoutStatus.SETTLED)
    for commission in db.session.scalars(select(Commission).where(Commission.payout_id == payout.id)):
        if commission.status_enum is CommissionStatus.AVAILABLE:
            COMMISSION_STATES.check(commission.status_enum, CommissionStatus.PAID)
            commission.status = CommissionStatus.PAID
        else:
            commission.payout_id = None  # reversed or held meanwhile: not what this payout paid
    notifications.notify_payout_sent(payout)
    return True


def void(payout: Payout, reason: str) -> bool:
    """Nothing was paid: in_payout → available again. False when already voided."""
    found = _finishing(payout, PayoutStatus.VOIDED)
    if found is None:
        return False
    payout = found
    ledger.post(Posting(f"payout:{payout.id}:void", "payout_void", "payout", payout.id, [
        Transfer(_acct(payout, AccountKind.IN_PAYOUT), _acct(payout, AccountKind.AVAILABLE), payout.amount_minor),
    ], memo=reason))
    _move(payout, PayoutStatus.VOIDED, reason)
    db.session.execute(update(Commission).where(Commission.payout_id == payout.id).values(payout_id=None)
                       .execution_options(synchronize_session="fetch"))
    return True


def returned(payout: Payout, reversed_so_far: int, reason: str) -> int:
    """The provider took back (part of) a settled payout: what came back moves paid → available. Returns the amount moved.

    `reversed_so_far` is the provider's running total, so partial reversals and redeliveries add up
    exactly. The payout's commissions stay paid: the money is back in the curator's balance and
    the next payout pays it again.
    """
    payout = _locked(payout)
    if payout.status_enum not in (PayoutStatus.SETTLED, PayoutStatus.RETURNED):
        raise PayoutError(_("A %(status)s payout cannot come back.", status=PAYOUT_STATE_NAMES[payout.status_enum]))
    target = min(max(reversed_so_far, 0), payout.amount_minor)
    already = int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount_minor), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerTransfer.transaction_id)
        .where(LedgerTransaction.cause_type == "payout", LedgerTransaction.cause_id == payout.id,
               LedgerTransaction.kind == "payout_return")
    ) or 0)
    amount = target - already
    if amount > 0:
        ledger.post(Posting(f"payout:{payout.id}:returned:{target}", "payout_return", "payout", payout.id, [
            Transfer(_acct(payout, AccountKind.PAID), _acct(payout, AccountKind.AVAILABLE), amount),
        ], memo=reason))
    if target == payout.amount_minor and payout.status_enum is PayoutStatus.SETTLED:
        _move(payout, PayoutStatus.RETURNED, reason)
    return max(amount, 0)


def find_payout_by_reference(provider_reference: str) -> Payout | None:
    return db.session.scalar(select(Payout).where(Payout.provider_reference == provider_reference))


def payouts_for(user_id: int) -> list[Payout]:
    return list(db.session.scalars(select(Payout).where(Payout.curator_user_id == user_id).order_by(Payout.id.desc())))


def stuck_payouts(method: PayoutMethod, *, reserved_before: datetime) -> list[Payout]:
    """Reserved payouts old enough that no run is still paying them."""
    return list(db.session.scalars(
        select(Payout).where(Payout.method == method, Payout.status == PayoutStatus.RESERVED, Payout.created_at < reserved_before)
        .order_by(Payout.id)
    ))


def payout_statement(payout_id: int, user_id: int) -> tuple[Payout, list[tuple[Commission, str, str]]] | None:
    """One of the curator's own payouts and the commissions it paid (order number, product); None when not theirs."""
    from storefront.orders.models import Order, OrderLine

    payout = db.session.get(Payout, payout_id)
    if payout is None or payout.curator_user_id != user_id:
        return None
    rows = db.session.execute(
        select(Commission, Order.number, OrderLine.title)
        .join(Order, Order.id == Commission.order_id)
        .join(OrderLine, OrderLine.id == Commission.order_line_id)
        .where(Commission.payout_id == payout.id)
        .order_by(Commission.id)
    )
    return payout, [(commission, number, title) for commission, number, title in rows]
