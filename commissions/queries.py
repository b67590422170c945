"""What operators look for: commissions by status and curator, one page at a time."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from commissions.models import Commission, CommissionRate, CommissionStatus, Payout, PayoutRun, RateScope
from storefront.accounts.models import User
from storefront.catalog.models import Category, Product
from storefront.extensions import db
from storefront.listing import Page, clamp_page, contains_pattern
from storefront.orders.models import Order, OrderLine
from storefront.shops.models import Shop


@dataclass(frozen=True)
class CommissionRow:
    commission: Commission
    order_number: str
    product: str
    handle: str
    curator_email: str


def list_commissions(*, status: CommissionStatus | None = None, curator: str = "", page: int = 1, per_page: int = 50) -> Page[CommissionRow]:
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
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    rows = db.session.execute(query.order_by(Commission.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return Page(items=[CommissionRow(*row) for row in rows], page=page, per_page=per_page, total=total)


def commissions_for_order(order_id: int) -> list[Commission]:
    return list(db.session.scalars(select(Commission).where(Commission.order_id == order_id).order_by(Commission.id)))


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


def list_payout_runs(*, page: int = 1, per_page: int = 50) -> Page[PayoutRun]:
    total = db.session.scalar(select(func.count()).select_from(PayoutRun)) or 0
    page = clamp_page(page, total, per_page)
    runs = list(db.session.scalars(select(PayoutRun).order_by(PayoutRun.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return Page(items=runs, page=page, per_page=per_page, total=total)


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
