"""The retailer's view of the curator programme: what it sells back to the store, what it costs, what works.

Clicks come from the hourly link rollups and curator sales from the attributed sales; only
the direct/attributed split reads the period's order lines (both sides net of refunds).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from commissions.analytics.funnel import DayPoint, FunnelRow, days_of, empty_row, fold, fold_hours, hour_bucket
from commissions.analytics.models import AttributedSale
from share.models import LinkHour, ShareLink
from share.panel import CHANNEL_LABELS
from storefront.extensions import db
from storefront.localtime import DayRange, local_date
from storefront.money import Money
from storefront.orders.models import PAID_STATUSES, Order, OrderLine
from storefront.payments.models import RefundLine
from storefront.shops.models import Shop

TOP = 10
SHOP_PAGE = "shop_page"


def percent(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    title: str
    units: int
    sales: Money


@dataclass(frozen=True)
class RetailerStats:
    days: DayRange
    currency: str
    #: Net of refunds: paid line totals minus what refunds gave back on them.
    attributed_sales: Money
    direct_sales: Money
    commission: Money
    totals: FunnelRow
    by_day: list[DayPoint]
    by_channel: list[FunnelRow]
    top_curators: list[FunnelRow]
    top_products: list[ProductSales]
    #: (Monday of the week, shops opened that week), every week of the range.
    new_curators: list[tuple[date, int]]

    @property
    def attributed_share(self) -> Decimal | None:
        """The part of the store's sales that came through curators, in percent."""
        return percent(self.attributed_sales.minor, self.attributed_sales.minor + self.direct_sales.minor)

    @property
    def commission_cost(self) -> Decimal | None:
        """Commission as a percentage of the sales it was paid on."""
        return percent(self.commission.minor, self.attributed_sales.minor)


def _split(days: DayRange, currency: str) -> tuple[int, int]:
    refunded = (
        select(RefundLine.order_line_id.label("line_id"), func.sum(RefundLine.amount_minor).label("amount"))
        .group_by(RefundLine.order_line_id)
        .subquery()
    )
    net = OrderLine.line_total_minor - func.coalesce(refunded.c.amount, 0)
    attributed, direct = db.session.execute(
        select(
            func.coalesce(func.sum(case((OrderLine.shop_id.is_not(None), net), else_=0)), 0),
            func.coalesce(func.sum(case((OrderLine.shop_id.is_(None), net), else_=0)), 0),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(refunded, refunded.c.line_id == OrderLine.id)
        .where(Order.status.in_(list(PAID_STATUSES)), Order.paid_at >= days.start, Order.paid_at < days.end,
               Order.currency == currency)
    ).one()
    return int(attributed), int(direct)


def _sales_in(days: DayRange, currency: str) -> tuple[object, ...]:
    return (AttributedSale.paid_at >= days.start, AttributedSale.paid_at < days.end, AttributedSale.currency == currency)


def _sold(group: object, days: DayRange, currency: str) -> dict[object, FunnelRow]:
    rows = db.session.execute(
        select(group, func.count(), func.sum(AttributedSale.sales_minor - AttributedSale.refunded_minor),
               func.sum(AttributedSale.commission_minor))
        .outerjoin(ShareLink, ShareLink.id == AttributedSale.link_id)
        .where(*_sales_in(days, currency))
        .group_by(group)
    )
    return {key: FunnelRow(str(key), "", 0, 0, int(orders), Money(int(sales), currency), Money(int(commission), currency))
            for key, orders, sales, commission in rows}


def _clicked(group: object, days: DayRange, currency: str) -> dict[object, FunnelRow]:
    rows = db.session.execute(
        select(group, func.sum(LinkHour.clicks), func.sum(LinkHour.visitors))
        .join(ShareLink, ShareLink.id == LinkHour.link_id)
        .where(LinkHour.hour >= days.start, LinkHour.hour < days.end)
        .group_by(group)
    )
    return {key: FunnelRow(str(key), "", int(clicks), int(visitors), 0, Money(0, currency), Money(0, currency))
            for key, clicks, visitors in rows}


def _merged(clicked: dict[object, FunnelRow], sold: dict[object, FunnelRow], currency: str) -> dict[object, FunnelRow]:
    return {key: clicked.get(key, empty_row(str(key), "", currency)) + sold.get(key, empty_row(str(key), "", currency))
            for key in set(clicked) | set(sold)}


def _by_channel(days: DayRange, currency: str) -> list[FunnelRow]:
    merged = _merged(_clicked(ShareLink.channel, days, currency), _sold(ShareLink.channel, days, currency), currency)
    return fold(((str(key or SHOP_PAGE), CHANNEL_LABELS.get(key, "Shop page") if key else "Shop page", row)
                 for key, row in merged.items()), currency)


def _top_curators(days: DayRange, currency: str) -> list[FunnelRow]:
    sold = {shop_id: row for shop_id, row in _sold(AttributedSale.shop_id, days, currency).items()}
    merged = _merged(_clicked(ShareLink.shop_id, days, currency), sold, currency)
    best = sorted(merged.items(), key=lambda item: (-item[1].sales.minor, -item[1].clicks, item[0]))[:TOP]
    handles = dict(db.session.execute(select(Shop.id, Shop.handle).where(Shop.id.in_([shop_id for shop_id, _row in best]))).all())
    return [FunnelRow(handles.get(shop_id, "?"), f"@{handles.get(shop_id, '?')}", row.clicks, row.visitors, row.orders, row.sales,
                      row.commission) for shop_id, row in best]


def _top_products(days: DayRange, currency: str) -> list[ProductSales]:
    rows = db.session.execute(
        select(OrderLine.product_id, func.max(OrderLine.title), func.sum(OrderLine.quantity), func.sum(OrderLine.line_total_minor))
        .join(AttributedSale, (AttributedSale.order_id == OrderLine.order_id) & (AttributedSale.shop_id == OrderLine.shop_id))
        .where(*_sales_in(days, currency))
        .group_by(OrderLine.product_id)
        .order_by(func.sum(OrderLine.line_total_minor).desc(), OrderLine.product_id)
        .limit(TOP)
    )
    return [ProductSales(pid, title, int(units), Money(int(sales), currency)) for pid, title, units, sales in rows]


def _new_curators(days: DayRange) -> list[tuple[date, int]]:
    opened = Counter(
        (day := local_date(created_at, days.tz)) - timedelta(days=day.weekday())
        for created_at in db.session.scalars(select(Shop.created_at).where(Shop.created_at >= days.start, Shop.created_at < days.end))
    )
    first_monday = days.first - timedelta(days=days.first.weekday())
    weeks = [first_monday + timedelta(weeks=n) for n in range((days.last - first_monday).days // 7 + 1)]
    return [(monday, opened.get(monday, 0)) for monday in weeks]


def _by_day(days: DayRange, currency: str) -> list[DayPoint]:
    click_hours = db.session.execute(
        select(LinkHour.hour, func.sum(LinkHour.clicks), func.sum(LinkHour.visitors))
        .where(LinkHour.hour >= days.start, LinkHour.hour < days.end)
        .group_by(LinkHour.hour)
    )
    bucket = hour_bucket(AttributedSale.paid_at)
    order_hours = db.session.execute(select(bucket, func.count(func.distinct(AttributedSale.order_id))).where(*_sales_in(days, currency)).group_by(bucket))
    return days_of(days, fold_hours(click_hours, days.tz), fold_hours(order_hours, days.tz))


def retailer_stats(days: DayRange, currency: str) -> RetailerStats:
    attributed, direct = _split(days, currency)
    by_channel = _by_channel(days, currency)
    totals = sum(by_channel, empty_row("all", "All", currency))
    orders = int(db.session.scalar(select(func.count(func.distinct(AttributedSale.order_id))).where(*_sales_in(days, currency))) or 0)
    # An order crediting two curators counts once in the programme's total.
    totals = FunnelRow("all", "All", totals.clicks, totals.visitors, orders, totals.sales, totals.commission)
    return RetailerStats(
        days=days, currency=currency, attributed_sales=Money(attributed, currency), direct_sales=Money(direct, currency),
        commission=totals.commission, totals=totals, by_day=_by_day(days, currency), by_channel=by_channel,
        top_curators=_top_curators(days, currency), top_products=_top_products(days, currency), new_curators=_new_curators(days),
    )
