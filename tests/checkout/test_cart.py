"""The cart: quantities 1..99, unsellable products refused with a message, prices from the catalog."""
from __future__ import annotations

from typing import Any

from storefront.catalog.models import Product


def cart_page(browser: Any) -> str:
    return browser.get("/cart").get_data(as_text=True)


def test_cart_add_puts_the_product_in_the_cart(browser: Any, create_product: Any) -> None:
    product = create_product(title="Linen Tee", price_minor=2490)
    response = browser.add_to_cart(product.id, 2)
    assert response.status_code == 302
    page = cart_page(browser)
    assert "Linen Tee" in page and "$49.80" in page


def test_cart_add_refuses_a_sold_out_product(browser: Any, create_product: Any) -> None:
    product = create_product(title="Rare Tee", stock=0)
    browser.add_to_cart(product.id)
    page = browser.get("/cart").get_data(as_text=True)
    assert "is sold out" in page and "Your cart is empty" in page


def test_cart_add_refuses_an_inactive_product(browser: Any, create_product: Any) -> None:
    product = create_product(active=False)
    browser.add_to_cart(product.id)
    assert "not sold any more" in cart_page(browser)


def test_cart_add_refuses_more_than_the_stock(browser: Any, create_product: Any) -> None:
    product = create_product(title="Last Tees", stock=3)
    browser.add_to_cart(product.id, 2)
    browser.add_to_cart(product.id, 2)
    page = cart_page(browser)
    assert "Only 3 of “Last Tees” left" in page
    assert 'value="2"' in page


def test_cart_add_refuses_quantities_outside_1_to_99(browser: Any, create_product: Any) -> None:
    product = create_product(stock=500)
    for quantity in (0, 100, -1):
        browser.add_to_cart(product.id, quantity)
    browser.post("/cart/add", {"product_id": product.id, "quantity": "lots"})
    assert "Your cart is empty" in cart_page(browser)


def test_cart_add_with_an_unknown_product_is_a_message_not_an_error(browser: Any) -> None:
    response = browser.add_to_cart(999_999)
    assert response.status_code == 302
    assert "not sold any more" in cart_page(browser)


def test_cart_update_changes_the_quantity_and_zero_removes(browser: Any, create_product: Any) -> None:
    product = create_product(title="Linen Tee")
    browser.add_to_cart(product.id)
    browser.post("/cart/update", {"product_id": product.id, "quantity": 4})
    assert 'value="4"' in cart_page(browser)
    browser.post("/cart/update", {"product_id": product.id, "quantity": 0})
    assert "Your cart is empty" in cart_page(browser)


def test_cart_remove_takes_the_line_out(browser: Any, create_product: Any) -> None:
    product = create_product(title="Linen Tee")
    browser.add_to_cart(product.id)
    browser.post("/cart/remove", {"product_id": product.id})
    assert "Your cart is empty" in cart_page(browser)


def test_cart_shows_a_problem_when_a_product_sells_out_meanwhile(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(title="Linen Tee", stock=5)
    browser.add_to_cart(product.id, 2)
    database.session.get(Product, product.id).stock = 1
    database.session.commit()
    page = cart_page(browser)
    assert "Only 1 left: lower the quantity." in page
    assert browser.get("/checkout").headers["Location"] == "/cart"


def test_cart_ignores_a_tampered_price_field(browser: Any, create_product: Any) -> None:
    product = create_product(title="Linen Tee", price_minor=2490)
    browser.add_to_cart(product.id, 1, price="0.01", price_minor=1, unit_price_minor=1)
    assert "$24.90" in cart_page(browser)
