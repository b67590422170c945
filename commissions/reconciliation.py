"""Reconciliation to the cent: our orders and refunds, the commission ledger, and the provider's own records.

Every discrepancy is listed with its kind; totals that must tie out are printed beside them.
Read-only: nothing here changes a row.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Select, Subquery, and_, case, cast, func, or_, select

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

T = TypeVar("T")


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
    """Summed and compared by the database: what comes back to Python is the totals and the rows that may be wrong."""
    report = Report(start, end, currency)
    _check_orders_and_commissions(report, start, end, default_bps)
    _check_commissions_in_period(report, start, end)
    _check_ledger(report)
    if provider is not None:
        report.provider_checked = True
        _check_provider(report, provider, provider_name, start, end)
    _totals(report, start, end)
    return report


#: Keys per IN list: PostgreSQL takes at most 65,535 parameters in one statement.
ID_CHUNK = 10_000


def _chunks(ids: list[T]) -> list[list[T]]:
    return [ids[start:start + ID_CHUNK] for start in range(0, len(ids), ID_CHUNK)]


def _period_order_ids(start: datetime, end: datetime, currency: str) -> Select[tuple[int]]:
    return select(Order.id).where(Order.paid_at >= start, Order.paid_at < end, Order.currency == currency)


def _refunded_by_line(order_ids: Select[tuple[int]]) -> Subquery:
    """line_id → what the refunds of these orders took back from that line."""
    return (
        # An integer sum: PostgreSQL's sum(bigint) is numeric, and numeric division would keep fractions where the
        # rate's floor must be compared.
        select(RefundLine.order_line_id.label("line_id"), cast(func.sum(RefundLine.amount_minor), BigInteger).label("amount"))
        .join(Refund, Refund.id == RefundLine.refund_id)
        .where(Refund.order_id.in_(order_ids), RefundLine.order_line_id.is_not(None))
        .group_by(RefundLine.order_line_id)
        .subquery()
    )


@dataclass(frozen=True)
class _LineCommission:
    """A paid line of the period and its commission (None when it earned nothing), as the checks read them."""

    order_number: str
    line_id: int
    shop_id: int | None
    product_id: int | None
    line_total_minor: int
    refunded_minor: int
    commission: CommissionRow | None


@dataclass(frozen=True)
class CommissionRow:
    id: int
    base_minor: int
    rate_bps: int
    earned_minor: int
    reversed_minor: int
    refunded_base_minor: int
    status: str

    @property
    def net_minor(self) -> int:
        return self.earned_minor - self.reversed_minor


def _floor_rate(amount: Any, rate_bps: Any) -> Any:
    """amount × rate ÷ 10,000 in SQL: the integer division truncates, which is Python's floor for the non-negative
    values it is used on below."""
    return amount * rate_bps // rules.MAX_RATE_BPS


def _suspect_lines(start: datetime, end: datetime, currency: str) -> Iterator[_LineCommission]:
    """The paid lines of the period that may show a discrepancy, in order and line order.

    The database leaves out every line whose commission provably checks out (non-negative amounts whose base, earned,
    reversal and net all agree); the rest, a superset of the discrepancies, is checked in Python by the same rules.
    """
    order_ids = _period_order_ids(start, end, currency)
    refunded = _refunded_by_line(order_ids)
    refunded_minor = func.coalesce(refunded.c.amount, 0)
    taken_back = case((refunded_minor > Commission.refunded_base_minor, refunded_minor), else_=Commission.refunded_base_minor)
    left = Commission.base_minor - taken_back
    net = Commission.earned_minor - Commission.reversed_minor
    checks_out = and_(
        Commission.base_minor >= 0, Commission.rate_bps >= 0, left >= 0,
        Commission.base_minor == OrderLine.line_total_minor,
        Commission.earned_minor == _floor_rate(Commission.base_minor, Commission.rate_bps),
        refunded_minor <= Commission.refunded_base_minor,
        case((Commission.status == CommissionStatus.REJECTED, net == 0), else_=net == _floor_rate(left, Commission.rate_bps)),
    )
    rows = db.session.execute(
        select(Order.number, OrderLine.id, OrderLine.shop_id, OrderLine.product_id, OrderLine.line_total_minor, refunded_minor,
               Commission.id, Commission.base_minor, Commission.rate_bps, Commission.earned_minor, Commission.reversed_minor,
               Commission.refunded_base_minor, Commission.status)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Commission, and_(Commission.order_line_id == OrderLine.id, Commission.order_id.in_(order_ids)))
        .outerjoin(refunded, refunded.c.line_id == OrderLine.id)
        .where(Order.paid_at >= start, Order.paid_at < end, Order.currency == currency, Order.status.in_(list(PAID_STATUSES)))
        .where(or_(and_(Commission.id.is_(None), OrderLine.shop_id.is_not(None)), and_(Commission.id.is_not(None), ~checks_out)))
        .order_by(Order.id, OrderLine.id)
    )
    for number, line_id, shop_id, product_id, line_total, refunded_amount, commission_id, *commission in rows:
        yield _LineCommission(number, line_id, shop_id, product_id, line_total, int(refunded_amount),
                              CommissionRow(commission_id, *commission) if commission_id is not None else None)


def _check_orders_and_commissions(report: Report, start: datetime, end: datetime, default_bps: int) -> None:
    suspended = set(db.session.scalars(select(Shop.id).where(Shop.suspended_at.is_not(None))))
    for line in _suspect_lines(start, end, report.currency):
        if line.commission is None:
            if line.shop_id is not None and line.shop_id not in suspended and _would_earn(line, default_bps):
                report.add(Kind.PAID_ORDER_WITHOUT_COMMISSION, f"order {line.order_number} line {line.line_id}",
                           _("line credits shop %(shop)s but earned nothing", shop=line.shop_id))
            continue
        _check_commission_amount(report, line, line.commission)


def _would_earn(line: _LineCommission, default_bps: int) -> bool:
    """At today's base rate (a rate set to 0%, or an amount too small, earns nothing and needs no commission)."""
    product = db.session.get(Product, line.product_id) if line.product_id is not None else None
    rate = rules.base_rate(product, default_bps).rate_bps if product is not None else default_bps
    return line.line_total_minor * rate // rules.MAX_RATE_BPS > 0


def _check_commission_amount(report: Report, line: _LineCommission, commission: CommissionRow) -> None:
    subject = f"commission {commission.id} (order {line.order_number})"
    refunded = line.refunded_minor
    if commission.base_minor != line.line_total_minor:
        report.add(Kind.COMMISSION_AMOUNT, subject, _("base %(base)s but the line was paid %(paid)s", base=commission.base_minor, paid=line.line_total_minor))
    if commission.earned_minor != commission.base_minor * commission.rate_bps // rules.MAX_RATE_BPS:
        report.add(Kind.COMMISSION_AMOUNT, subject,
                   _("earned %(earned)s, but %(rate)s bps of %(base)s is %(expected)s", earned=commission.earned_minor,
                     rate=commission.rate_bps, base=commission.base_minor,
                     expected=commission.base_minor * commission.rate_bps // rules.MAX_RATE_BPS))
    if refunded > commission.refunded_base_minor and commission.status != CommissionStatus.REJECTED:
        report.add(Kind.REFUND_NOT_REVERSED, subject,
                   _("%(refunded)s refunded on the line, only %(reversed)s reversed on its commission", refunded=refunded,
                     reversed=commission.refunded_base_minor))
    left = commission.base_minor - max(refunded, commission.refunded_base_minor)
    expected = 0 if commission.status == CommissionStatus.REJECTED else left * commission.rate_bps // rules.MAX_RATE_BPS
    if commission.net_minor != expected:
        report.add(Kind.COMMISSION_AMOUNT, subject, _("net %(net)s, expected %(expected)s", net=commission.net_minor, expected=expected))


def _check_commissions_in_period(report: Report, start: datetime, end: datetime) -> None:
    rows = db.session.execute(
        select(Commission.id, Order.number, Order.status)
        .join(Order, Order.id == Commission.order_id)
        .where(Commission.created_at >= start, Commission.created_at < end, Order.status.not_in(list(PAID_STATUSES)))
    )
    for commission_id, number, status in rows:
        report.add(Kind.COMMISSION_WITHOUT_PAID_ORDER, f"commission {commission_id}", _("order %(number)s is %(status)s", number=number, status=status))


def _check_ledger(report: Report) -> None:
    for problem in ledger.check_ledger().problems:
        report.add(Kind.LEDGER, "ledger", problem)
    _check_payouts_against_ledger(report)
    empty = db.session.scalars(
        select(LedgerTransaction.idempotency_key).outerjoin(LedgerTransfer, LedgerTransfer.transaction_id == LedgerTransaction.id)
        .where(LedgerTransfer.id.is_(None))
    )
    for key in empty:
        report.add(Kind.LEDGER, f"transaction {key}", _("has no transfers"))


def _check_payouts_against_ledger(report: Report) -> None:
    """What is in payout equals the reserved payouts; the platform's clearing account is back to zero once each payout settles."""
    reserved = int(db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_minor), 0)).where(Payout.status == PayoutStatus.RESERVED, Payout.currency == report.currency)
    ) or 0)
    balances = ledger.balances_by_kind(
        LedgerAccount.currency == report.currency, LedgerAccount.kind.in_([AccountKind.IN_PAYOUT, AccountKind.PAYOUTS_CLEARING]),
    )
    in_payout, clearing = balances.get(AccountKind.IN_PAYOUT, 0), balances.get(AccountKind.PAYOUTS_CLEARING, 0)
    if in_payout != reserved:
        report.add(Kind.PAYOUTS_VS_LEDGER, "in_payout", _("%(in_payout)s in payout in the ledger, %(reserved)s in reserved payouts", in_payout=in_payout, reserved=reserved))
    if clearing != 0:
        report.add(Kind.PAYOUTS_VS_LEDGER, "payouts_clearing", _("%(amount)s left in the platform's clearing account", amount=clearing))


def _check_provider(report: Report, records: ProviderRecords, provider_name: str, start: datetime, end: datetime) -> None:
    local: dict[str, tuple[int, str]] = {}
    for reference, provider_payment_id, amount, currency in db.session.execute(
        select(Payment.reference, Payment.provider_payment_id, Payment.amount_minor, Payment.currency)
        .where(Payment.provider == provider_name, Payment.status == PaymentStatus.SUCCEEDED,
               Payment.succeeded_at >= start, Payment.succeeded_at < end)
        .order_by(Payment.id)
    ):
        local[provider_payment_id or reference] = (amount, currency)
    elsewhere = _payments_by_key(provider_name, [key for key in records.payments if key not in local])
    for key, (amount, currency) in records.payments.items():
        if key in local:
            found: tuple[int, str] | None = local[key]
        else:
            payment = elsewhere.get(key)
            found = payment[:2] if payment is not None and payment[2] == PaymentStatus.SUCCEEDED else None
        if found is None:
            report.add(Kind.PAYMENT_MISSING_LOCALLY, f"payment {key}", _("%(amount)s %(currency)s paid at the provider, not here", amount=amount, currency=currency))
        elif found != (amount, currency.upper()):
            report.add(Kind.PAYMENT_AMOUNT_DIFFERS, f"payment {key}",
                       _("%(here_amount)s %(here_currency)s here, %(amount)s %(currency)s at the provider",
                         here_amount=found[0], here_currency=found[1], amount=amount, currency=currency))
    for key, (amount, currency) in local.items():
        if key not in records.payments:
            report.add(Kind.PAYMENT_MISSING_AT_PROVIDER, f"payment {key}", _("%(amount)s %(currency)s here only", amount=amount, currency=currency))
    known_refunds = dict(db.session.execute(select(Refund.reference, Refund.amount_minor).where(Refund.provider == provider_name)).all())
    for reference, amount in records.refunds.items():
        if reference not in known_refunds:
            report.add(Kind.REFUND_MISSING_LOCALLY, f"refund {reference}", _("%(amount)s refunded at the provider, not here", amount=amount))
        elif known_refunds[reference] != amount:
            report.add(Kind.REFUND_AMOUNT_DIFFERS, f"refund {reference}", _("%(here)s here, %(amount)s at the provider", here=known_refunds[reference], amount=amount))
    _check_transfers(report, records, start, end)


def _payments_by_key(provider_name: str, keys: list[str]) -> dict[str, tuple[int, str, str]]:
    """key → (amount, currency, status) of the first payment (by id) whose reference or provider id is that key."""
    found: dict[str, tuple[int, str, str]] = {}
    for chunk in _chunks(keys):
        wanted = set(chunk)
        for reference, provider_payment_id, amount, currency, status in db.session.execute(
            select(Payment.reference, Payment.provider_payment_id, Payment.amount_minor, Payment.currency, Payment.status)
            .where(Payment.provider == provider_name, Payment.reference.in_(chunk) | Payment.provider_payment_id.in_(chunk))
            .order_by(Payment.id)
        ):
            for key in {reference, provider_payment_id} & wanted:
                found.setdefault(key, (amount, currency, status))
    return found


def _check_transfers(report: Report, records: ProviderRecords, start: datetime, end: datetime) -> None:
    settled = {p.provider_reference: p for p in db.session.scalars(
        select(Payout).where(Payout.method == PayoutMethod.STRIPE, Payout.status.in_([PayoutStatus.SETTLED, PayoutStatus.RETURNED]),
                             Payout.updated_at >= start, Payout.updated_at < end)
    )}
    for transfer_id, (amount, group) in records.transfers.items():
        payout = settled.get(transfer_id) or db.session.scalar(select(Payout).where(Payout.provider_reference == transfer_id))
        if payout is None:
            report.add(Kind.TRANSFER_WITHOUT_PAYOUT, f"transfer {transfer_id}", _("%(amount)s for %(group)s", amount=amount, group=group) if group
                       else _("%(amount)s for no payout reference", amount=amount))
        elif payout.amount_minor != amount:
            report.add(Kind.TRANSFER_AMOUNT_DIFFERS, payout.reference, _("payout of %(payout)s, transfer of %(transfer)s", payout=payout.amount_minor, transfer=amount))
    for reference, payout in settled.items():
        if reference not in records.transfers:
            report.add(Kind.PAYOUT_WITHOUT_TRANSFER, payout.reference, _("%(amount)s settled with %(reference)s, no such transfer", amount=payout.amount_minor,
                                                                reference=reference))


def _totals(report: Report, start: datetime, end: datetime) -> None:
    totals = report.totals
    totals.gross_sales = int(db.session.scalar(
        select(func.coalesce(func.sum(Order.total_minor), 0)).where(
            Order.paid_at >= start, Order.paid_at < end, Order.currency == report.currency, Order.status.in_(list(PAID_STATUSES)))
    ) or 0)
    totals.refunds = int(db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.created_at >= start, Refund.created_at < end, Refund.currency == report.currency)
    ) or 0)
    earned, reversed_ = db.session.execute(
        select(func.coalesce(func.sum(Commission.earned_minor), 0), func.coalesce(func.sum(Commission.reversed_minor), 0)).where(
            Commission.created_at >= start, Commission.created_at < end, Commission.currency == report.currency)
    ).one()
    totals.commission_earned, totals.commission_reversed = int(earned), int(reversed_)
    totals.commission_paid = int(db.session.scalar(
        select(func.coalesce(func.sum(Payout.amount_minor), 0)).where(
            Payout.status == PayoutStatus.SETTLED, Payout.updated_at >= start, Payout.updated_at < end, Payout.currency == report.currency)
    ) or 0)


def reconcile_with(provider: PaymentProvider, start: datetime, end: datetime, *, currency: str, default_bps: int) -> Report:
    """Reconcile against this provider's own records when it can list them (raises ProviderError when it cannot answer)."""
    records_of = getattr(provider, "records", None)
    records = records_of(start, end) if records_of is not None else None
    return reconcile(start, end, currency=currency, default_bps=default_bps, provider_name=provider.name, provider=records)
