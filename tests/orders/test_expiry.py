"""Unpaid orders expire after ORDER_PAYMENT_TIMEOUT_MINUTES and give their stock back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.orders.models import Order, OrderStatus
from storefront.orders.services import expire_due_orders


def stock_of(database: Any, product: Any) -> int:
    return database.session.scalar(select(Product.stock).where(Product.id == product.id))


def test_expiry_releases_the_reserved_stock(place_order: Any, create_product: Any, database: Any, frozen_clock: Any) -> None:
    product = create_product(stock=3)
    order = place_order((product, 2))
    assert stock_of(database, product) == 1
    frozen_clock.advance(minutes=30)
    assert expire_due_orders() == 1
    database.session.commit()
    assert database.session.get(Order, order.id).status == OrderStatus.EXPIRED
    assert stock_of(database, product) == 3


def test_expiry_leaves_orders_still_within_their_time(place_order: Any, database: Any, frozen_clock: Any) -> None:
    order = place_order()
    frozen_clock.advance(minutes=29)
    assert expire_due_orders() == 0
    assert database.session.get(Order, order.id).status == OrderStatus.PENDING


def test_expiry_leaves_paid_orders_alone(place_order: Any, database: Any, frozen_clock: Any) -> None:
    from storefront.orders.services import mark_order_paid

    order = place_order()
    mark_order_paid(order, actor="test")
    database.session.commit()
    frozen_clock.advance(hours=2)
    assert expire_due_orders() == 0


def test_expiry_command_reports_the_count(runner: Any, place_order: Any, frozen_clock: Any) -> None:
    place_order()
    frozen_clock.advance(minutes=31)
    result = runner.invoke(args=["orders", "expire"])
    assert result.exit_code == 0 and "1 order(s) expired" in result.output


def test_checkout_expires_stale_orders_so_their_stock_sells_again(
    browser: Any, place_order: Any, create_product: Any, database: Any, frozen_clock: Any
) -> None:
    product = create_product(stock=1)
    stale = place_order((product, 1))
    frozen_clock.advance(minutes=31)
    browser.add_to_cart(product.id)
    response = browser.check_out()
    assert response.headers["Location"].startswith("/pay/test/")
    assert database.session.get(Order, stale.id).status == OrderStatus.EXPIRED
    assert stock_of(database, product) == 0


def test_paying_after_the_deadline_expires_the_order(browser: Any, create_product: Any, database: Any, frozen_clock: Any) -> None:
    product = create_product(stock=1)
    browser.add_to_cart(product.id)
    payment_url = browser.check_out().headers["Location"]
    frozen_clock.advance(minutes=31)
    response = browser.pay(payment_url)
    order = database.session.scalar(select(Order))
    assert response.headers["Location"] == f"/orders/{order.number}"
    assert order.status == OrderStatus.EXPIRED
    assert stock_of(database, product) == 1
