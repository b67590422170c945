"""A curator's own numbers for a range of their local days: read from the rollups, never from raw clicks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from commissions.analytics.funnel import DayPoint, FunnelRow, days_of, empty_row, fold, fold_hours, hour_bucket
from commissions.analytics.models import AttributedSale
from share.models import LinkDay, LinkTarget, ShareLink
from share.panel import CHANNEL_LABELS
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.localtime import DayRange
from storefront.money import Money
from storefront.orders.models import OrderLine
from storefront.shops.models import Look, Shop

TOP_PRODUCTS = 20
#: Sales credited by an add to cart on the shop page, with no share-link click behind them.
SHOP_PAGE = "shop_page"


@dataclass(frozen=True)
class ProductRow:
    product_id: int
    title: str
    units: int
    orders: int
    sales: Money


@dataclass(frozen=True)
class CuratorStats:
    days: DayRange
    currency: str
    totals: FunnelRow
    refunded: Money
    #: Distinct buyers (by a keyed hash of their e-mail; nobody's identity is shown).
    buyers: int
    by_day: list[DayPoint]
    by_channel: list[FunnelRow]
    by_link: list[FunnelRow]
    by_look: list[FunnelRow]
    by_product: list[ProductRow]


@dataclass(frozen=True)
class _Link:
    id: int
    code: str
    channel: str
    target_type: str
    target_id: int


def _links(shop_id: int) -> dict[int, _Link]:
    return {row.id: _Link(row.id, row.code, row.channel, row.target_type, row.target_id) for row in db.session.execute(
        select(ShareLink.id, ShareLink.code, ShareLink.channel, ShareLink.target_type, ShareLink.target_id)
        .where(ShareLink.shop_id == shop_id)
    )}


def _target_titles(links: dict[int, _Link]) -> dict[tuple[str, int], str]:
    looks = {link.target_id for link in links.values() if link.target_type == LinkTarget.LOOK}
    products = {link.target_id for link in links.values() if link.target_type == LinkTarget.PRODUCT}
    titles = {(LinkTarget.LOOK.value, i): t for i, t in db.session.execute(select(Look.id, Look.title).where(Look.id.in_(looks)))}
    titles |= {(LinkTarget.PRODUCT.value, i): t for i, t in db.session.execute(select(Product.id, Product.title).where(Product.id.in_(products)))}
    return titles


def _in_range(days: DayRange) -> tuple[object, ...]:
    return (AttributedSale.paid_at >= days.start, AttributedSale.paid_at < days.end)


def _per_link(shop_id: int, link_ids: list[int], days: DayRange, currency: str) -> dict[int | None, FunnelRow]:
    """Clicks and visitors from the daily rollups, orders and money from the attributed sales, per link (None: shop page)."""
    rows: dict[int | None, FunnelRow] = {}
    for link_id, clicks, visitors in db.session.execute(
        select(LinkDay.link_id, func.sum(LinkDay.clicks), func.sum(LinkDay.visitors))
        .where(LinkDay.link_id.in_(link_ids), LinkDay.day >= days.first, LinkDay.day <= days.last)
        .group_by(LinkDay.link_id)
    ):
        rows[link_id] = FunnelRow(str(link_id), "", int(clicks), int(visitors), 0, Money(0, currency), Money(0, currency))
    for link_id, orders, sales, refunded, commission in db.session.execute(
        select(AttributedSale.link_id, func.count(), func.sum(AttributedSale.sales_minor), func.sum(AttributedSale.refunded_minor),
               func.sum(AttributedSale.commission_minor))
        .where(AttributedSale.shop_id == shop_id, AttributedSale.currency == currency, *_in_range(days))
        .group_by(AttributedSale.link_id)
    ):
        sold = FunnelRow(str(link_id), "", 0, 0, int(orders), Money(int(sales) - int(refunded), currency), Money(int(commission), currency))
        rows[link_id] = rows.get(link_id, empty_row(str(link_id), "", currency)) + sold
    return rows


def _orders_by_day(shop_id: int, days: DayRange, currency: str) -> dict[date, list[int]]:
    """Orders per local day: PostgreSQL groups by the curator's date itself; SQLite's hours are folded here."""
    where = (AttributedSale.shop_id == shop_id, AttributedSale.currency == currency, *_in_range(days))
    if db.session.get_bind().dialect.name == "postgresql":
        local_day = func.date(func.timezone(days.tz.key, AttributedSale.paid_at))
        return {day: [int(count)] for day, count in db.session.execute(select(local_day, func.count()).where(*where).group_by(local_day))}
    bucket = hour_bucket(AttributedSale.paid_at)
    return fold_hours(db.session.execute(select(bucket, func.count()).where(*where).group_by(bucket)), days.tz)


def _by_day(shop_id: int, link_ids: list[int], days: DayRange, currency: str) -> list[DayPoint]:
    clicks = {day: [int(c), int(v)] for day, c, v in db.session.execute(
        select(LinkDay.day, func.sum(LinkDay.clicks), func.sum(LinkDay.visitors))
        .where(LinkDay.link_id.in_(link_ids), LinkDay.day >= days.first, LinkDay.day <= days.last)
        .group_by(LinkDay.day)
    )}
    return days_of(days, clicks, _orders_by_day(shop_id, days, currency))


def _by_product(shop_id: int, days: DayRange, currency: str) -> list[ProductRow]:
    rows = db.session.execute(
        select(OrderLine.product_id, func.max(OrderLine.title), func.sum(OrderLine.quantity),
               func.count(func.distinct(OrderLine.order_id)), func.sum(OrderLine.line_total_minor))
        .join(AttributedSale, (AttributedSale.order_id == OrderLine.order_id) & (AttributedSale.shop_id == OrderLine.shop_id))
        .where(AttributedSale.shop_id == shop_id, AttributedSale.currency == currency, *_in_range(days))
        .group_by(OrderLine.product_id)
        .order_by(func.sum(OrderLine.line_total_minor).desc(), OrderLine.product_id)
        .limit(TOP_PRODUCTS)
    )
    return [ProductRow(pid, title, int(units), int(orders), Money(int(sales), currency)) for pid, title, units, orders, sales in rows]


def link_label(link: _Link, titles: dict[tuple[str, int], str]) -> str:
    channel = CHANNEL_LABELS.get(link.channel, link.channel)
    if link.target_type == LinkTarget.SHOP:
        return _("%(channel)s · whole shop", channel=channel)
    gone = _("removed look") if link.target_type == LinkTarget.LOOK else _("removed product")
    return f"{channel} · {titles.get((link.target_type, link.target_id), gone)}"


def curator_stats(shop: Shop, days: DayRange, currency: str) -> CuratorStats:
    links = _links(shop.id)
    titles = _target_titles(links)
    per_link = _per_link(shop.id, list(links), days, currency)

    def described(link_id: int | None) -> tuple[str, str]:
        if link_id is None or link_id not in links:
            return SHOP_PAGE, _("Shop page (added to cart there)")
        return links[link_id].code, link_label(links[link_id], titles)

    by_link = fold(((*described(link_id), row) for link_id, row in per_link.items()), currency)
    by_channel = fold((
        (links[link_id].channel, CHANNEL_LABELS.get(links[link_id].channel, links[link_id].channel), row)
        if link_id in links else (SHOP_PAGE, _("Shop page"), row)
        for link_id, row in per_link.items()
    ), currency)
    by_look = fold((
        (str(links[link_id].target_id), titles.get((LinkTarget.LOOK.value, links[link_id].target_id), _("Removed look")), row)
        for link_id, row in per_link.items() if link_id in links and links[link_id].target_type == LinkTarget.LOOK
    ), currency)
    totals = sum(per_link.values(), empty_row("all", _("All"), currency))
    refunded, buyers = db.session.execute(
        select(func.coalesce(func.sum(AttributedSale.refunded_minor), 0), func.count(func.distinct(AttributedSale.buyer_key)))
        .where(AttributedSale.shop_id == shop.id, AttributedSale.currency == currency, *_in_range(days))
    ).one()
    return CuratorStats(
        days=days, currency=currency, totals=totals, refunded=Money(int(refunded), currency), buyers=int(buyers),
        by_day=_by_day(shop.id, list(links), days, currency), by_channel=by_channel, by_link=by_link, by_look=by_look,
        by_product=_by_product(shop.id, days, currency),
    )
