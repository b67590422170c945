"""The operator's dashboard: sales, commission balances and the share links that brought them, for one period.

Read-only. Every figure is one grouped SQL query; money is integer minor units in the store currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select, union
from sqlalchemy.sql import Select

from commissions import ledger
from commissions.models import PLATFORM_OWNER, AccountKind, Commission, LedgerAccount
from share.models import Click, OrderAttribution, ShareLink
from storefront.extensions import db
from storefront.money import Money
from storefront.orders.models import Order, OrderLine, PAID_STATUSES
from storefront.shops.models import Shop

#: The periods offered, in days: 1 is today (since midnight UTC), 7 and 30 are the last 7 and 30 days.
PERIOD_DAYS = (1, 7, 30)
DEFAULT_DAYS = 7
TOP = 5
BALANCE_KINDS = (AccountKind.PENDING, AccountKind.AVAILABLE, AccountKind.PAID)


@dataclass(frozen=True)
class Period:
    days: int
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return "Today" if self.days == 1 else f"Last {self.days} days"


def choose_days(raw: str | None) -> int:
    """The `days` query argument: one of 1, 7, 30; anything else is the default 7."""
    try:
        days = int((raw or "").strip())
    except ValueError:
        return DEFAULT_DAYS
    return days if days in PERIOD_DAYS else DEFAULT_DAYS


def period_ending(now: datetime, days: int) -> Period:
    """Today is from midnight UTC until now; otherwise the last `days` days until now."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) if days == 1 else now - timedelta(days=days)
    return Period(days=days, start=start, end=now)


@dataclass(frozen=True)
class SalesSplit:
    attributed: Money
    direct: Money
    orders: int

    @property
    def total(self) -> Money:
        return self.attributed + self.direct

    @property
    def attributed_share(self) -> Decimal | None:
        """Attributed sales as a percentage of all sales, one decimal; None when nothing sold."""
        if self.total.minor == 0:
            return None
        return (Decimal(self.attributed.minor) * 100 / Decimal(self.total.minor)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Balances:
    pending: Money
    available: Money
    paid: Money


@dataclass(frozen=True)
class CuratorRow:
    shop_id: int
    handle: str
    sales: Money
    commission: Money


@dataclass(frozen=True)
class LinkRow:
    link_id: int
    code: str
    channel: str
    handle: str
    clicks: int
    orders: int


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    clicks: int
    orders: int
    sales: Money


@dataclass(frozen=True)
class Dashboard:
    period: Period
    currency: str
    sales: SalesSplit
    balances: Balances
    active_curators: int
    top_curators: tuple[CuratorRow, ...]
    top_links: tuple[LinkRow, ...]
    channels: tuple[ChannelRow, ...]


def _paid_orders_in(period: Period, currency: str) -> Select[tuple[int]]:
    """Ids of the orders paid in the period (refunded since or not), in the store currency."""
    return select(Order.id).where(
        Order.status.in_(PAID_STATUSES), Order.paid_at >= period.start, Order.paid_at <= period.end, Order.currency == currency,
    )


def _clicks_in(period: Period) -> tuple[object, ...]:
    return (Click.created_at >= period.start, Click.created_at <= period.end)


def sales_split(period: Period, currency: str) -> SalesSplit:
    """Line totals of paid orders: lines credited to a shop are attributed, the rest direct. Refunds are not subtracted."""
    paid = _paid_orders_in(period, currency).subquery()
    attributed, direct, orders = db.session.execute(
        select(
            func.coalesce(func.sum(case((OrderLine.shop_id.is_not(None), OrderLine.line_total_minor), else_=0)), 0),
            func.coalesce(func.sum(case((OrderLine.shop_id.is_(None), OrderLine.line_total_minor), else_=0)), 0),
            func.count(func.distinct(OrderLine.order_id)),
        ).join(paid, paid.c.id == OrderLine.order_id)
    ).one()
    return SalesSplit(Money(int(attributed), currency), Money(int(direct), currency), int(orders))


def curator_balances_total(currency: str) -> Balances:
    """Every curator's pending, available and paid balances summed, in one query (all three kinds are credit-normal)."""
    totals = ledger.balances_by_kind(
        LedgerAccount.owner != PLATFORM_OWNER, LedgerAccount.currency == currency,
        LedgerAccount.kind.in_([kind.value for kind in BALANCE_KINDS]),
    )
    return Balances(*(Money(totals.get(kind, 0), currency) for kind in BALANCE_KINDS))


def active_curators(period: Period, currency: str) -> int:
    """Distinct shops credited on a paid order line in the period, or whose links were clicked in it."""
    credited = (
        select(OrderLine.shop_id.label("shop_id"))
        .where(OrderLine.shop_id.is_not(None), OrderLine.order_id.in_(_paid_orders_in(period, currency)))
    )
    clicked = select(ShareLink.shop_id.label("shop_id")).join(Click, Click.link_id == ShareLink.id).where(*_clicks_in(period))
    shops = union(credited, clicked).subquery()
    return int(db.session.scalar(select(func.count()).select_from(shops)) or 0)


def top_curators(period: Period, currency: str, limit: int = TOP) -> tuple[CuratorRow, ...]:
    """The shops with the most attributed sales in the period, with the commission they earned in it."""
    paid = _paid_orders_in(period, currency).subquery()
    sales = (
        select(OrderLine.shop_id.label("shop_id"), func.sum(OrderLine.line_total_minor).label("sales"))
        .join(paid, paid.c.id == OrderLine.order_id)
        .where(OrderLine.shop_id.is_not(None))
        .group_by(OrderLine.shop_id)
        .subquery()
    )
    earned = (
        select(Commission.shop_id.label("shop_id"), func.sum(Commission.earned_minor).label("earned"))
        .where(Commission.created_at >= period.start, Commission.created_at <= period.end, Commission.currency == currency)
        .group_by(Commission.shop_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Shop.id, Shop.handle, sales.c.sales, func.coalesce(earned.c.earned, 0))
        .join(sales, sales.c.shop_id == Shop.id)
        .outerjoin(earned, earned.c.shop_id == Shop.id)
        .order_by(sales.c.sales.desc(), Shop.handle)
        .limit(limit)
    )
    return tuple(
        CuratorRow(shop_id, handle, Money(int(amount), currency), Money(int(commission), currency))
        for shop_id, handle, amount, commission in rows
    )


def _attributed_orders_by_link(period: Period, currency: str) -> Select[tuple[int, int]]:
    """(link id, paid order id) for paid orders in the period whose attribution names a click."""
    return (
        select(Click.link_id.label("link_id"), OrderAttribution.order_id.label("order_id"))
        .join(Click, Click.id == OrderAttribution.click_id)
        .where(OrderAttribution.order_id.in_(_paid_orders_in(period, currency)))
    )


def top_links(period: Period, currency: str, limit: int = TOP) -> tuple[LinkRow, ...]:
    """The share links clicked most in the period, with the paid orders attributed to their clicks."""
    clicks = (
        select(Click.link_id.label("link_id"), func.count(Click.id).label("clicks"))
        .where(*_clicks_in(period))
        .group_by(Click.link_id)
        .subquery()
    )
    attributed = _attributed_orders_by_link(period, currency).subquery()
    orders = (
        select(attributed.c.link_id, func.count(func.distinct(attributed.c.order_id)).label("orders"))
        .group_by(attributed.c.link_id)
        .subquery()
    )
    order_count = func.coalesce(orders.c.orders, 0)
    rows = db.session.execute(
        select(ShareLink.id, ShareLink.code, ShareLink.channel, Shop.handle, clicks.c.clicks, order_count)
        .join(clicks, clicks.c.link_id == ShareLink.id)
        .join(Shop, Shop.id == ShareLink.shop_id)
        .outerjoin(orders, orders.c.link_id == ShareLink.id)
        .order_by(clicks.c.clicks.desc(), order_count.desc(), ShareLink.id)
        .limit(limit)
    )
    return tuple(LinkRow(link_id, code, channel, handle, int(n_clicks), int(n_orders)) for link_id, code, channel, handle, n_clicks, n_orders in rows)


def sales_by_channel(period: Period, currency: str) -> tuple[ChannelRow, ...]:
    """Per channel: clicks in the period, and paid orders (and their attributed lines) whose attributed click came through it."""
    clicks = {channel: int(count) for channel, count in db.session.execute(
        select(ShareLink.channel, func.count(Click.id))
        .join(Click, Click.link_id == ShareLink.id)
        .where(*_clicks_in(period))
        .group_by(ShareLink.channel)
    )}
    attributed = _attributed_orders_by_link(period, currency).subquery()
    sold = {
        channel: (int(orders), int(amount))
        for channel, orders, amount in db.session.execute(
            select(
                ShareLink.channel,
                func.count(func.distinct(attributed.c.order_id)),
                func.coalesce(func.sum(case((OrderLine.shop_id.is_not(None), OrderLine.line_total_minor), else_=0)), 0),
            )
            .join(attributed, attributed.c.link_id == ShareLink.id)
            .join(OrderLine, OrderLine.order_id == attributed.c.order_id)
            .group_by(ShareLink.channel)
        )
    }
    rows = [
        ChannelRow(channel, int(clicks.get(channel, 0)), sold.get(channel, (0, 0))[0], Money(sold.get(channel, (0, 0))[1], currency))
        for channel in set(clicks) | set(sold)
    ]
    return tuple(sorted(rows, key=lambda row: (-row.sales.minor, -row.clicks, row.channel)))


def dashboard(period: Period, currency: str) -> Dashboard:
    return Dashboard(
        period=period,
        currency=currency,
        sales=sales_split(period, currency),
        balances=curator_balances_total(currency),
        active_curators=active_curators(period, currency),
        top_curators=top_curators(period, currency),
        top_links=top_links(period, currency),
        channels=sales_by_channel(period, currency),
    )
