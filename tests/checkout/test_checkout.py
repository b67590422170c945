"""Checkout as a guest: the order is pending with prices from the database, stock is reserved,
and the test card's signed event, not the redirect, marks it paid."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.orders.models import Order, OrderStatus
from storefront.payments.models import Payment, PaymentStatus, WebhookEvent


def only_order(database: Any) -> Order:
    orders = list(database.session.scalars(select(Order)))
    assert len(orders) == 1
    return orders[0]


def stock_of(database: Any, product_id: int) -> int:
    return database.session.scalar(select(Product.stock).where(Product.id == product_id))


def checkout_one(browser: Any, product: Any, quantity: int = 1, **form: Any) -> str:
    browser.add_to_cart(product.id, quantity)
    response = browser.check_out(**form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_guest_checkout_with_the_test_card_ends_on_the_confirmation(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(title="Linen Tee", price_minor=2490, stock=5)
    payment_url = checkout_one(browser, product, 2)
    assert payment_url.startswith("/pay/test/")
    assert "Pay $54.80" in browser.get(payment_url).get_data(as_text=True)  # 49.80 + 5.00 shipping

    response = browser.pay(payment_url)

    order = only_order(database)
    assert response.headers["Location"] == f"/orders/{order.number}"
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    confirmation = browser.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Your order is confirmed" in confirmation and order.number in confirmation
    assert stock_of(database, product.id) == 3


def test_checkout_creates_a_pending_order_with_reserved_stock(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(stock=5)
    checkout_one(browser, product, 2)
    order = only_order(database)
    assert order.status == OrderStatus.PENDING
    assert [(c.from_status, c.to_status) for c in order.status_changes] == [(None, "pending")]
    assert stock_of(database, product.id) == 3
    assert "Your cart is empty" in browser.get("/cart").get_data(as_text=True)


def test_checkout_ignores_prices_sent_in_the_request(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(price_minor=2490)
    browser.add_to_cart(product.id, 1, price_minor=1)
    browser.check_out(subtotal_minor=1, total_minor=1, unit_price_minor=1, price="0.01", shipping_minor=0)
    order = only_order(database)
    assert (order.subtotal_minor, order.shipping_minor, order.total_minor) == (2490, 500, 2990)
    assert order.lines[0].unit_price_minor == 2490


def test_checkout_snapshots_title_and_price_at_order_time(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(title="Linen Tee", price_minor=2490)
    checkout_one(browser, product)
    stored = database.session.get(Product, product.id)
    stored.title, stored.price_minor = "Renamed", 9999
    database.session.commit()
    line = only_order(database).lines[0]
    assert (line.title, line.unit_price_minor, line.sku) == ("Linen Tee", 2490, product.sku)


def test_checkout_gives_free_shipping_from_the_threshold(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(price_minor=5000)
    checkout_one(browser, product, 2)
    assert only_order(database).shipping_minor == 0


def test_checkout_with_missing_fields_shows_the_form_again(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product()
    browser.add_to_cart(product.id)
    response = browser.check_out(email="not-an-email", city="")
    assert response.status_code == 400
    assert database.session.scalars(select(Order)).first() is None


def test_checkout_with_an_unknown_country_is_refused(browser: Any, create_product: Any) -> None:
    browser.add_to_cart(create_product().id)
    assert browser.check_out(country="XX").status_code == 400


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(browser: Any) -> None:
    assert browser.check_out().headers["Location"] == "/cart"


def test_declined_card_leaves_the_order_pending(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(stock=5)
    payment_url = checkout_one(browser, product)
    response = browser.pay(payment_url, card="4000 0000 0000 0002")
    assert response.status_code == 402
    assert "declined" in response.get_data(as_text=True)
    order = only_order(database)
    assert order.status == OrderStatus.PENDING
    payment = database.session.scalar(select(Payment))
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason == "card_declined"
    assert stock_of(database, product.id) == 4


def test_declined_card_can_be_followed_by_a_good_one(browser: Any, create_product: Any, database: Any) -> None:
    payment_url = checkout_one(browser, create_product())
    browser.pay(payment_url, card="4000000000000002")
    browser.pay(payment_url)
    assert only_order(database).status == OrderStatus.PAID


def test_unknown_card_number_is_a_form_error_with_no_event(browser: Any, create_product: Any, database: Any) -> None:
    payment_url = checkout_one(browser, create_product())
    response = browser.pay(payment_url, card="5555 5555 5555 4444")
    assert response.status_code == 400 and "4242 4242 4242 4242" in response.get_data(as_text=True)
    assert database.session.scalars(select(WebhookEvent)).first() is None


def test_another_browser_cannot_see_or_pay_the_order(app: Any, browser: Any, create_product: Any, database: Any) -> None:
    from tests.conftest import Browser

    payment_url = checkout_one(browser, create_product())
    order = only_order(database)
    stranger = Browser(app.test_client())
    assert stranger.get(f"/orders/{order.number}").status_code == 404
    assert stranger.get(payment_url).status_code == 404


def test_logged_in_customer_sees_the_order_in_the_history(browser: Any, create_product: Any, database: Any) -> None:
    browser.sign_up(email="ana@example.com")
    payment_url = checkout_one(browser, create_product(title="Linen Tee"))
    browser.pay(payment_url)
    history = browser.get("/account/orders").get_data(as_text=True)
    assert only_order(database).number in history


def test_customer_can_cancel_a_pending_order_and_the_stock_returns(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(stock=2)
    checkout_one(browser, product, 2)
    order = only_order(database)
    browser.post(f"/orders/{order.number}/cancel")
    assert only_order(database).status == OrderStatus.CANCELED
    assert stock_of(database, product.id) == 2


def test_the_last_item_goes_to_the_first_checkout(app: Any, browser: Any, create_product: Any, database: Any) -> None:
    from tests.conftest import Browser

    product = create_product(title="Last One", stock=1)
    second = Browser(app.test_client())
    browser.add_to_cart(product.id)
    second.add_to_cart(product.id)
    browser.check_out()
    response = second.check_out()
    assert response.headers["Location"] == "/cart"
    assert "Sold out" in second.get("/cart").get_data(as_text=True)
    assert stock_of(database, product.id) == 0
    assert len(list(database.session.scalars(select(Order)))) == 1


def test_order_number_is_random_and_unambiguous(browser: Any, create_product: Any, database: Any) -> None:
    checkout_one(browser, create_product())
    assert re.fullmatch(r"V[2-9A-HJ-NP-Z]{9}", only_order(database).number)
