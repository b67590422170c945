"""A friend on a phone finds a product, buys it as a guest with the test card, and sees the confirmation."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_guest_buys_with_the_test_card_on_a_phone(phone: Any) -> None:
    phone.goto("/")
    assert no_horizontal_scroll(phone)
    phone.locator(".card a").first.click()
    phone.wait_for_load_state()  # the title is read, not asserted, and the layout measured: let the product page load
    title = phone.locator("h1").inner_text()
    assert no_horizontal_scroll(phone)

    phone.get_by_role("button", name="Add to cart").click()
    phone.get_by_role("link", name=re.compile("^Cart")).click()
    expect(phone.locator(".cart-lines")).to_contain_text(title, use_inner_text=True)
    phone.get_by_role("link", name="Check out").click()

    phone.get_by_label("E-mail").fill("friend@example.com")
    phone.get_by_label("Full name").fill("Bia Souza")
    phone.get_by_label("Address", exact=True).fill("Rua Augusta 100")
    phone.get_by_label("City").fill("São Paulo")
    phone.get_by_label("Postal code").fill("01304-000")
    phone.get_by_label("Country").select_option("BR")
    phone.get_by_role("button", name="Continue to payment").click()

    phone.get_by_label("Card number").fill("4000 0000 0000 0002")
    phone.get_by_label("Expiry (MM/YY)").fill("12/30")
    phone.get_by_label("CVC").fill("123")
    phone.get_by_role("button", name=re.compile("^Pay")).click()
    expect(phone.locator("[role=alert]")).to_contain_text("declined")

    phone.get_by_label("Card number").fill("4242 4242 4242 4242")
    phone.get_by_label("Expiry (MM/YY)").fill("12/30")
    phone.get_by_label("CVC").fill("123")
    phone.get_by_role("button", name=re.compile("^Pay")).click()

    expect(phone.locator("h1")).to_contain_text("Your order is confirmed")
    expect(phone.locator(".order-number")).to_contain_text(re.compile(r"Order number V[2-9A-Z]{9}"))
    expect(phone.locator("table.lines")).to_contain_text(title, use_inner_text=True)
    phone.wait_for_load_state()  # measure the laid-out page, not one still loading
    assert no_horizontal_scroll(phone)


def test_search_finds_products_on_a_phone(phone: Any) -> None:
    phone.goto("/")
    phone.get_by_label("Search the store").fill("mug")
    phone.get_by_role("button", name="Search").click()
    expect(phone.locator("h1")).to_contain_text("Results for “mug”")
    expect(phone.locator(".card").first).to_be_visible()


def test_unknown_page_shows_the_site_404(phone: Any) -> None:
    response = phone.goto("/no/such/page")
    assert response.status == 404
    assert "We could not find that page" in phone.locator("h1").inner_text()
