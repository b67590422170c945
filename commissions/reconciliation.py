"""Reconciliation to the cent: our orders and refunds, the commission ledger, and the provider's own records.

Every discrepancy is listed with its kind; totals that must tie out are printed beside them.
Read-only: nothing here changes a row.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from commissions import ledger, rules
from commissions.models import (
    AccountKind, Commission, CommissionStatus, LedgerAccount, LedgerTransaction, LedgerTransfer, Payout, PayoutMethod, PayoutStatus,
)
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine, PAID_STATUSES
from storefront.payments.models import Payment, PaymentStatus, Refund, RefundLine
from storefront.payments.providers import PaymentProvider, ProviderRecords
from storefront.shops.models import Shop



class Kind(StrEnum):
    PAID_ORDER_WITHOUT_COMMISSION = "paid attributed order without commission"
    COMMISSION_WITHOUT_PAID_ORDER = "commission without a paid order"
    COMMISSION_AMOUNT = "commission amount is not rate × net paid"
    REFUND_NOT_REVERSED = "refund not reversed"
    PAYMENT_MISSING_LOCALLY = "payment at the provider missing here"
    PAYMENT_AMOUNT_DIFFERS = "payment amount differs from the provider's"
    PAYMENT_MISSING_AT_PROVIDER = "payment here missing at the provider"
    REFUND_MISSING_LOCALLY = "refund at the provider missing here"
    REFUND_AMOUNT_DIFFERS = "refund amount differs from the provider's"
    PAYOUT_WITHOUT_TRANSFER = "payout without a matching transfer"
    TRANSFER_WITHOUT_PAYOUT = "transfer without a matching payout"
    TRANSFER_AMOUNT_DIFFERS = "transfer amount differs from its payout"
    PAYOUTS_VS_LEDGER = "payouts and the ledger disagree"
    LEDGER = "ledger does not balance"


@dataclass(frozen=True)
class Discrepancy:
    kind: Kind
    subject: str
    detail: str


@dataclass
class Totals:
    gross_sales: int = 0
    refunds: int = 0
    commission_earned: int = 0
    commission_reversed: int = 0
    commission_paid: int = 0

    @property
    def net_sales(self) -> int:
        return self.gross_sales - self.refunds


@dataclass
class Report:
    start: datetime
    end: datetime
    currency: str
    totals: Totals = field(default_factory=Totals)
    discrepancies: list[Discrepancy] = field(default_factory=list)
    provider_checked: bool = False

    @property
    def reconciles(self) -> bool:
        return not self.discrepancies

    def add(self, kind: Kind, subject: str, detail: str) -> None:
        self.discrepancies.append(Discrepancy(kind, subject, detail))


def reconcile(
    start: datetime, end: datetime, *, currency: str, default_bps: int, provider_name: str, provider: ProviderRecords | None,
) -> Report:
    report = Report(start, end, currency)
    orders = list(db.session.scalars(
        select(Order).where(Order.paid_at >= start, Order.paid_at < end, Order.currency == currency).order_by(Order.id)
        .options(selectinload(Order.lines))
    ))
    _check_orders_and_commissions(report, orders, default_bps)
    _check_commissions_in_period(report, start, end)
    _check_ledger(report)
    if provider is not None:
        report.provider_checked = True
        _check_provider(report, provider, provider_name, start, end)
    _totals(report, orders, start, end)
    return report


#: Ids per IN list: PostgreSQL takes at most 65,535 parameters in one statement.
ID_CHUNK = 10_000


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start:start + ID_CHUNK] for start in range(0, len(ids), ID_CHUNK)]


def _refunded_by_line(order_ids: list[int]) -> dict[int, int]:
    refunded: dict[int, int] = {}
    for chunk in _chunks(order_ids):
        refunded.update({line_id: int(amount) for line_id, amount in db.session.execute(
            select(RefundLine.order_line_id, func.sum(RefundLine.amount_minor))
            .join(Refund, Refund.id == RefundLine.refund_id)
            .where(Refund.order_id.in_(chunk), RefundLine.order_line_id.is_not(None))
            .group_by(RefundLine.order_line_id)
        )})
    return refunded


def _check_orders_and_commissions(report: Report, orders: list[Order], default_bps: int) -> None:
    order_ids = [o.id for o in orders]
    by_line = {
        c.order_line_id: c for chunk in _chunks(order_ids)
        for c in db.session.scalars(select(Commission).where(Commission.order_id.in_(chunk)))
    }
    refunded = _refunded_by_line(order_ids)
    suspended = set(db.session.scalars(select(Shop.id).where(Shop.suspended_at.is_not(None))))
    for order in orders:
        if order.status_enum not in PAID_STATUSES:
            continue
        for line in order.lines:
            commission = by_line.get(line.id)
            if commission is None:
                if line.shop_id is not None and line.shop_id not in suspended and _would_earn(line, default_bps):
                    report.add(Kind.PAID_ORDER_WITHOUT_COMMISSION, f"order {order.number} line {line.id}",
                               f"line credits shop {line.shop_id} but earned nothing")
                continue
            _check_commission_amount(report, order, line, commission, refunded.get(line.id, 0))


def _would_earn(line: OrderLine, default_bps: int) -> bool:
    """At today's base rate (a rate set to 0%, or an amount too small, earns nothing and needs no commission)."""
    product = db.session.get(Product, line.product_id)
    rate = rules.base_rate(product, default_bps).rate_bps if product is not None else default_bps
    return line.line_total_minor * rate // rules.MAX_RATE_BPS > 0


def _check_commission_amount(report: Report, order: Order, line: OrderLine, commission: Commission, refunded: int) -> None:
    subject = f"commission {commission.id} (order {order.number})"
    if commission.base_minor != line.line_total_minor:
        report.add(Kind.COMMISSION_AMOUNT, subject, f"base {commission.base_minor} but the line was paid {line.line_total_minor}")
    if commission.earned_minor != commission.base_minor * commission.rate_bps // rules.MAX_RATE_BPS:
        report.add(Kind.COMMISSION_AMOUNT, subject,
                   f"earned {commission.earned_minor}, but {commission.rate_bps} bps of {commission.base_minor} is "
                   f"{commission.base_minor * commission.rate_bps // rules.MAX_RATE_BPS}")
    if refunded > commission.refunded_base_minor and commission.status != CommissionStatus.REJECTED:
        report.add(Kind.REFUND_NOT_REVERSED, subject,
                   f"{refunded} refunded on the line, only {commission.refunded_base_minor} reversed for")
    left = commission.base_minor - max(refunded, commission.refunded_base_minor)
    expected = 0 if commission.status == CommissionStatus.REJECTED else left * commission.rate_bps // rules.MAX_RATE_BPS
    if commission.net_minor != expected:
        report.add(Kind.COMMISSION_AMOUNT, subject, f"net {commission.net_minor}, expected {expected}")


def _check_commissions_in_period(report: Report, start: datetime, end: datetime) -> None:
    rows = db.session.execute(
        select(Commission.id, Order.number, Order.status)
        .join(Order, Order.id == Commission.order_id)
        .where(Commission.created_at >= start, Commission.created_at < end, Order.status.not_in(list(PAID_STATUSES)))
    )
    for commission_id, number, status in rows:
        report.add(Kind.COMMISSION_WITHOUT_PAID_ORDER, f"commission {commission_id}", f"order {number} is {status}")


def _check_ledger(report: Report) -> None:
    for problem in ledger.check_ledger().problems:
        report.add(Kind.LEDGER, "ledger", problem)
    _check_payouts_against_ledger(report)
    empty = db.session.scalars(
        select(LedgerTransaction.idempotency_key).outerjoin(LedgerTransfer, LedgerTransfer.transaction_id == LedgerTransaction.id)
        .where(LedgerTransfer.id.is_(None))
    )
    for key in empty:
        report.add(Kind.LEDGER, f"transaction {key}", "has no transfers")


def _check_payouts_against_ledger(report: Report) -> None:
    """What is in payout equals the reserved payouts; the platform's clearing account is back to zero once each payout settles."""
    reserved = int(db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_minor), 0)).where(Payout.status == PayoutStatus.RESERVED, Payout.currency == report.currency)
    ) or 0)
    in_payout = clearing = 0
    for acct in db.session.scalars(select(LedgerAccount).where(
        LedgerAccount.currency == report.currency, LedgerAccount.kind.in_([AccountKind.IN_PAYOUT, AccountKind.PAYOUTS_CLEARING]),
    )):
        if acct.kind == AccountKind.IN_PAYOUT:
            in_payout += ledger.balance(acct)
        else:
            clearing += ledger.balance(acct)
    if in_payout != reserved:
        report.add(Kind.PAYOUTS_VS_LEDGER, "in_payout", f"{in_payout} in payout in the ledger, {reserved} in reserved payouts")
    if clearing != 0:
        report.add(Kind.PAYOUTS_VS_LEDGER, "payouts_clearing", f"{clearing} left in the platform's clearing account")


def _check_provider(report: Report, records: ProviderRecords, provider_name: str, start: datetime, end: datetime) -> None:
    local = {
        (p.provider_payment_id or p.reference): p for p in db.session.scalars(
            select(Payment).where(Payment.provider == provider_name, Payment.status == PaymentStatus.SUCCEEDED,
                                  Payment.succeeded_at >= start, Payment.succeeded_at < end)
        )
    }
    for key, (amount, currency) in records.payments.items():
        payment = local.get(key) or db.session.scalar(
            select(Payment).where(Payment.provider == provider_name, (Payment.reference == key) | (Payment.provider_payment_id == key))
        )
        if payment is None or payment.status != PaymentStatus.SUCCEEDED:
            report.add(Kind.PAYMENT_MISSING_LOCALLY, f"payment {key}", f"{amount} {currency} paid at the provider, not here")
        elif (payment.amount_minor, payment.currency) != (amount, currency.upper()):
            report.add(Kind.PAYMENT_AMOUNT_DIFFERS, f"payment {key}",
                       f"{payment.amount_minor} {payment.currency} here, {amount} {currency} at the provider")
    for key, payment in local.items():
        if key not in records.payments:
            report.add(Kind.PAYMENT_MISSING_AT_PROVIDER, f"payment {key}", f"{payment.amount_minor} {payment.currency} here only")
    known_refunds = dict(db.session.execute(select(Refund.reference, Refund.amount_minor).where(Refund.provider == provider_name)).all())
    for reference, amount in records.refunds.items():
        if reference not in known_refunds:
            report.add(Kind.REFUND_MISSING_LOCALLY, f"refund {reference}", f"{amount} refunded at the provider, not here")
        elif known_refunds[reference] != amount:
            report.add(Kind.REFUND_AMOUNT_DIFFERS, f"refund {reference}", f"{known_refunds[reference]} here, {amount} at the provider")
    _check_transfers(report, records, start, end)


def _check_transfers(report: Report, records: ProviderRecords, start: datetime, end: datetime) -> None:
    settled = {p.provider_reference: p for p in db.session.scalars(
        select(Payout).where(Payout.method == PayoutMethod.STRIPE, Payout.status.in_([PayoutStatus.SETTLED, PayoutStatus.RETURNED]),
                             Payout.updated_at >= start, Payout.updated_at < end)
    )}
    for transfer_id, (amount, group) in records.transfers.items():
        payout = settled.get(transfer_id) or db.session.scalar(select(Payout).where(Payout.provider_reference == transfer_id))
        if payout is None:
            report.add(Kind.TRANSFER_WITHOUT_PAYOUT, f"transfer {transfer_id}", f"{amount} for {group or 'no payout reference'}")
        elif payout.amount_minor != amount:
            report.add(Kind.TRANSFER_AMOUNT_DIFFERS, payout.reference, f"payout of {payout.amount_minor}, transfer of {amount}")
    for reference, payout in settled.items():
        if reference not in records.transfers:
            report.add(Kind.PAYOUT_WITHOUT_TRANSFER, payout.reference, f"{payout.amount_minor} settled with {reference}, no such transfer")


def _totals(report: Report, orders: list[Order], start: datetime, end: datetime) -> None:
    totals = report.totals
    totals.gross_sales = sum(o.total_minor for o in orders if o.status_enum in PAID_STATUSES)
    totals.refunds = int(db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.created_at >= start, Refund.created_at < end, Refund.currency == report.currency)
    ) or 0)
    sums: dict[str, int] = defaultdict(int)
    for earned, reversed_ in db.session.execute(
        select(Commission.earned_minor, Commission.reversed_minor).where(
            Commission.created_at >= start, Commission.created_at < end, Commission.currency == report.currency)
    ):
        sums["earned"] += earned
        sums["reversed"] += reversed_
    totals.commission_earned, totals.commission_reversed = sums["earned"], sums["reversed"]
    totals.commission_paid = int(db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_minor), 0)).where(
            Payout.status == PayoutStatus.SETTLED, Payout.updated_at >= start, Payout.updated_at < end, Payout.currency == report.currency)
    ) or 0)


def reconcile_with(provider: PaymentProvider, start: datetime, end: datetime, *, currency: str, default_bps: int) -> Report:
    """Reconcile against this provider's own records when it can list them (raises ProviderError when it cannot answer)."""
    records_of = getattr(provider, "records", None)
    records = records_of(start, end) if records_of is not None else None
    return reconcile(start, end, currency=currency, default_bps=default_bps, provider_name=provider.name, provider=records)
