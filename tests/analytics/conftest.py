"""A known scenario for the dashboards: three channels, a look, a bot, a refund, and a time-zone boundary.

Numbers asserted against the dashboards are recomputed here from the raw clicks, order lines,
refund lines and commissions, independently of the rollups.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from commissions.models import Commission, CommissionStatus
from share.models import Channel, Click, DeviceClass, LinkTarget, ShareLink
from share.services import get_or_create_link
from storefront.extensions import db
from storefront.orders.models import PAID_STATUSES, Order, OrderLine
from storefront.payments.models import RefundLine
from storefront.payments.providers import active_provider
from storefront.payments.services import refund_order
from storefront.shops import services as shops
from tests.commissions.conftest import operator  # noqa: F401  (a fixture for these tests)
from tests.conftest import Browser
from tests.share.conftest import PHONE, follow

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def at(frozen_clock: Any, text: str) -> None:
    frozen_clock.current = datetime.fromisoformat(text).replace(tzinfo=UTC)


def buy(browser: Browser, product: Any, quantity: int = 1, email: str = "friend@example.com") -> Order:
    browser.add_to_cart(product.id, quantity)
    payment_url = browser.check_out(email=email).headers["Location"]
    browser.pay(payment_url)
    db.session.expire_all()
    order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
    assert order is not None and order.paid_at is not None
    return order


@dataclass
class Scenario:
    shop: Any
    links: dict[str, Any]
    orders: list[Order]


@pytest.fixture
def new_browser(app: Flask) -> Callable[[], Browser]:
    return lambda: Browser(app.test_client())


@pytest.fixture
def scenario(app: Flask, database: Any, frozen_clock: Any, create_user: Any, create_product: Any, create_shop: Any,
             new_browser: Callable[[], Browser]) -> Scenario:
    tee, cap = create_product(price_minor=3000, stock=50, title="Linen tee"), create_product(price_minor=1000, stock=50, title="Cap")
    curator = create_user(email="ana@example.com")
    curator.time_zone = "America/Sao_Paulo"
    shop = create_shop(tee, cap, user=curator, handle="ana")
    look = shops.create_look(shop, title="Weekend", description="", product_ids=[tee.id])
    db.session.commit()
    links = {
        "whatsapp": get_or_create_link(shop, LinkTarget.SHOP, 0, Channel.WHATSAPP),
        "wechat": get_or_create_link(shop, LinkTarget.PRODUCT, tee.id, Channel.WECHAT),
        "weibo": get_or_create_link(shop, LinkTarget.LOOK, look.id, Channel.WEIBO),
    }
    db.session.commit()
    first, second, third, crawler = new_browser(), new_browser(), new_browser(), new_browser()

    at(frozen_clock, "2026-11-18T12:00:00")
    follow(first, links["whatsapp"].code)
    at(frozen_clock, "2026-11-18T14:00:00")
    follow(first, links["whatsapp"].code)              # same São Paulo day: a click, not a new visitor
    follow(crawler, links["whatsapp"].code, **{"User-Agent": BOT})  # a bot: nothing counted
    at(frozen_clock, "2026-11-19T02:30:00")           # 23:30 on the 18th in São Paulo
    follow(second, links["wechat"].code)
    at(frozen_clock, "2026-11-19T03:30:00")           # 00:30 on the 19th in São Paulo
    follow(second, links["wechat"].code)               # a new local day: a new visitor
    bought_cap = buy(second, cap, 2, email="bia@example.com")
    at(frozen_clock, "2026-11-20T15:00:00")
    follow(third, links["weibo"].code)
    bought_tee = buy(third, tee, 1, email="caio@example.com")
    at(frozen_clock, "2026-11-21T10:00:00")
    follow(first, links["whatsapp"].code)
    bought_again = buy(first, tee, 2, email="Bia@Example.com")  # the same friend as the cap, another browser
    at(frozen_clock, "2026-11-21T11:00:00")
    with app.test_request_context():
        refund_order(bought_again, None, active_provider(), lines={bought_again.lines[0].id: 3000})  # one of the two tees
        db.session.commit()
    at(frozen_clock, "2026-11-22T12:00:00")
    assert PHONE
    return Scenario(shop=shop, links=links, orders=[bought_cap, bought_tee, bought_again])


@dataclass(frozen=True)
class Raw:
    clicks: int
    visitors: int
    orders: int
    sales_minor: int
    commission_minor: int
    buyers: int


def recompute(shop_id: int, start: datetime, end: datetime, tz: ZoneInfo, link_ids: set[int] | None = None) -> Raw:
    """The dashboard's figures straight from the raw rows."""
    clicks = [
        c for c in db.session.scalars(select(Click).join(ShareLink).where(ShareLink.shop_id == shop_id))
        if start <= c.created_at < end and c.device_class != DeviceClass.BOT and (link_ids is None or c.link_id in link_ids)
    ]
    visitors = {(c.link_id, c.visitor_id, c.created_at.astimezone(tz).date()) for c in clicks}
    lines = [
        line for line in db.session.scalars(select(OrderLine).join(Order).where(OrderLine.shop_id == shop_id))
        if line.order.status in PAID_STATUSES and start <= line.order.paid_at < end
    ]
    if link_ids is not None:
        from share.models import OrderAttribution
        won = {a.order_id for a in db.session.scalars(select(OrderAttribution)) if a.click and a.click.link_id in link_ids}
        lines = [line for line in lines if line.order_id in won]
    refunded = sum(
        min(line.line_total_minor, sum(r.amount_minor for r in db.session.scalars(select(RefundLine).where(RefundLine.order_line_id == line.id))))
        for line in lines
    )
    commissions = db.session.scalars(select(Commission).where(Commission.order_line_id.in_([line.id for line in lines])))
    return Raw(
        clicks=len(clicks), visitors=len(visitors), orders=len({line.order_id for line in lines}),
        sales_minor=sum(line.line_total_minor for line in lines) - refunded,
        commission_minor=sum(c.earned_minor - c.reversed_minor for c in commissions if c.status != CommissionStatus.REJECTED),
        buyers=len({line.order.email.lower() for line in lines}),
    )
