"""What operators look for: commissions by status and curator, one page at a time."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from commissions.models import (
    AccountKind, Commission, CommissionRate, CommissionStatus, LedgerAccount, LedgerTransfer, Payout, PayoutRun, RateScope,
)
from share.models import OrderAttribution
from share.services import find_order_attribution
from storefront.accounts.models import User
from storefront.catalog.models import Category, Product
from storefront.extensions import db
from storefront.listing import Page, clamp_page, contains_pattern
from storefront.orders.models import Order, OrderLine
from storefront.payments.models import Refund, RefundLine
from storefront.shops.models import Shop


@dataclass(frozen=True)
class CommissionRow:
    commission: Commission
    order_number: str
    product: str
    handle: str
    curator_email: str


def _commission_query(status: CommissionStatus | None, curator: str, start: datetime | None, end: datetime | None):  # type: ignore[no-untyped-def]
    query = (
        select(Commission, Order.number, OrderLine.title, Shop.handle, User.email)
        .join(Order, Order.id == Commission.order_id)
        .join(OrderLine, OrderLine.id == Commission.order_line_id)
        .join(Shop, Shop.id == Commission.shop_id)
        .join(User, User.id == Commission.curator_user_id)
    )
    if status is not None:
        query = query.where(Commission.status == status)
    if curator.strip():
        pattern = contains_pattern(curator.strip().lstrip("@").lower())
        query = query.where(or_(func.lower(Shop.handle).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\")))
    if start is not None:
        query = query.where(Commission.created_at >= start)
    if end is not None:
        query = query.where(Commission.created_at < end)
    return query


def list_commissions(
    *, status: CommissionStatus | None = None, curator: str = "", start: datetime | None = None, end: datetime | None = None,
    page: int = 1, per_page: int = 50,
) -> Page[CommissionRow]:
    query = _commission_query(status, curator, start, end)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    rows = db.session.execute(query.order_by(Commission.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return Page(items=[CommissionRow(*row) for row in rows], page=page, per_page=per_page, total=total)


def all_commissions(*, status: CommissionStatus | None, curator: str, start: datetime | None, end: datetime | None) -> Iterator[CommissionRow]:
    query = _commission_query(status, curator, start, end).order_by(Commission.id).execution_options(yield_per=500)
    for row in db.session.execute(query):
        yield CommissionRow(*row)


def commissions_for_order(order_id: int) -> list[Commission]:
    return list(db.session.scalars(select(Commission).where(Commission.order_id == order_id).order_by(Commission.id)))


def list_commissions_after(
    *, after_id: int, limit: int, status: CommissionStatus | None = None, shop_handle: str = "",
) -> list[CommissionRow]:
    """Up to `limit` commissions with an id above `after_id`, oldest first (cursor pages stay stable as rows are added)."""
    query = _commission_query(status, "", None, None).where(Commission.id > after_id)
    if shop_handle.strip():
        query = query.where(func.lower(Shop.handle) == shop_handle.strip().lstrip("@").lower())
    return [CommissionRow(*row) for row in db.session.execute(query.order_by(Commission.id).limit(limit))]


@dataclass(frozen=True)
class RefundRecord:
    refund: Refund
    #: Order line id (None: shipping) → what this refund gave back on it.
    lines: dict[int | None, int]


@dataclass(frozen=True)
class OrderChain:
    """An order and what followed from it: who was credited and why, refunds, commissions, and the payouts that paid them."""

    order: Order
    attribution: OrderAttribution | None
    refunds: list[RefundRecord]
    commissions: list[Commission]
    #: Payout id → payout, for the commissions that were paid.
    payouts: dict[int, Payout]

    @property
    def payout_references(self) -> dict[int, str]:
        return {payout_id: payout.reference for payout_id, payout in self.payouts.items()}


def order_chain(order: Order) -> OrderChain:
    """Everything the operator's order page and the admin API show about one order, in a handful of queries."""
    commissions = commissions_for_order(order.id)
    payout_ids = sorted({c.payout_id for c in commissions if c.payout_id})
    payouts = {p.id: p for p in db.session.scalars(select(Payout).where(Payout.id.in_(payout_ids)))} if payout_ids else {}
    refunds = list(db.session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)))
    parts: dict[int, dict[int | None, int]] = {refund.id: {} for refund in refunds}
    if refunds:
        for line in db.session.scalars(select(RefundLine).where(RefundLine.refund_id.in_(parts)).order_by(RefundLine.id)):
            parts[line.refund_id][line.order_line_id] = parts[line.refund_id].get(line.order_line_id, 0) + line.amount_minor
    return OrderChain(
        order=order, attribution=find_order_attribution(order.id),
        refunds=[RefundRecord(refund, parts[refund.id]) for refund in refunds], commissions=commissions, payouts=payouts,
    )


def products_with_own_rates() -> list[tuple[Product, int]]:
    return [(product, rate) for product, rate in db.session.execute(
        select(Product, CommissionRate.rate_bps)
        .join(CommissionRate, (CommissionRate.target_id == Product.id) & (CommissionRate.scope == RateScope.PRODUCT))
        .order_by(Product.sku)
    )]


def categories_with_rates() -> list[tuple[Category, int | None]]:
    return [(category, rate) for category, rate in db.session.execute(
        select(Category, CommissionRate.rate_bps)
        .outerjoin(CommissionRate, (CommissionRate.target_id == Category.id) & (CommissionRate.scope == RateScope.CATEGORY))
        .order_by(Category.position, Category.name)
    )]


def find_commission(commission_id: int) -> Commission | None:
    return db.session.get(Commission, commission_id)


def list_payout_runs(*, page: int = 1, per_page: int = 50) -> Page[tuple[PayoutRun, int]]:
    """Runs, newest first, each with how many payouts it made (one query for the page)."""
    total = db.session.scalar(select(func.count()).select_from(PayoutRun)) or 0
    page = clamp_page(page, total, per_page)
    counted = (
        select(PayoutRun, func.count(Payout.id))
        .outerjoin(Payout, Payout.run_id == PayoutRun.id)
        .group_by(PayoutRun.id)
        .order_by(PayoutRun.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return Page(items=[(run, count) for run, count in db.session.execute(counted)], page=page, per_page=per_page, total=total)


def find_payout_run(run_id: int) -> PayoutRun | None:
    return db.session.get(PayoutRun, run_id)


def find_payout(payout_id: int) -> Payout | None:
    return db.session.get(Payout, payout_id)


def payout_lines(run_id: int) -> list[tuple[Payout, str, str]]:
    """A run's payouts with each curator's e-mail and shop handle (for the bank file)."""
    return [(payout, email, handle or "") for payout, email, handle in db.session.execute(
        select(Payout, User.email, Shop.handle)
        .join(User, User.id == Payout.curator_user_id)
        .outerjoin(Shop, Shop.user_id == Payout.curator_user_id)
        .where(Payout.run_id == run_id)
        .order_by(Payout.id)
    )]


@dataclass(frozen=True)
class CuratorRow:
    shop: Shop
    email: str
    pending: int
    available: int
    paid: int
    owed: int


def _balance_by_user(currency: str, user_ids: list[int]) -> dict[tuple[int, str], int]:
    """(user id, account kind) → balance, for these curators, in one grouped query."""
    if not user_ids:
        return {}
    side = (
        select(LedgerTransfer.credit_account_id.label("account_id"), LedgerTransfer.amount_minor.label("amount"))
        .union_all(select(LedgerTransfer.debit_account_id, -LedgerTransfer.amount_minor))
        .subquery()
    )
    rows = db.session.execute(
        select(LedgerAccount.user_id, LedgerAccount.kind, func.sum(side.c.amount))
        .join(side, side.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.user_id.in_(user_ids), LedgerAccount.currency == currency)
        .group_by(LedgerAccount.user_id, LedgerAccount.kind)
    )
    result = {}
    for user_id, kind, signed in rows:
        result[(user_id, kind)] = -int(signed) if kind == AccountKind.RECEIVABLE else int(signed)
    return result


def _curator_query(text: str):  # type: ignore[no-untyped-def]
    query = select(Shop, User.email).join(User, User.id == Shop.user_id)
    if text.strip():
        pattern = contains_pattern(text.strip().lstrip("@").lower())
        query = query.where(or_(func.lower(Shop.handle).like(pattern, escape="\\"), func.lower(User.email).like(pattern, escape="\\")))
    return query.order_by(Shop.handle)


def _curator_rows(pairs: list[tuple[Shop, str]], currency: str) -> list[CuratorRow]:
    balances = _balance_by_user(currency, [shop.user_id for shop, _email in pairs])
    get = lambda user_id, kind: balances.get((user_id, kind), 0)  # noqa: E731
    return [
        CuratorRow(shop, email, get(shop.user_id, AccountKind.PENDING) + get(shop.user_id, AccountKind.HELD),
                   get(shop.user_id, AccountKind.AVAILABLE), get(shop.user_id, AccountKind.PAID), get(shop.user_id, AccountKind.RECEIVABLE))
        for shop, email in pairs
    ]


def list_curators(text: str, currency: str, *, page: int = 1, per_page: int = 50) -> Page[CuratorRow]:
    query = _curator_query(text)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    pairs = [(shop, email) for shop, email in db.session.execute(query.offset((page - 1) * per_page).limit(per_page))]
    return Page(items=_curator_rows(pairs, currency), page=page, per_page=per_page, total=total)


def all_curators(text: str, currency: str, batch: int = 500) -> Iterator[CuratorRow]:
    offset = 0
    while True:
        pairs = [(shop, email) for shop, email in db.session.execute(_curator_query(text).offset(offset).limit(batch))]
        if not pairs:
            return
        yield from _curator_rows(pairs, currency)
        offset += batch


def payout_references(payout_ids: list[int]) -> dict[int, str]:
    if not payout_ids:
        return {}
    return {p.id: p.reference for p in db.session.scalars(select(Payout).where(Payout.id.in_(payout_ids)))}


def all_payouts() -> Iterator[Payout]:
    yield from db.session.scalars(select(Payout).order_by(Payout.id).execution_options(yield_per=500))
