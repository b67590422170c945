"""From a curator's WhatsApp link to a friend's paid order, and the curator's own purchases."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import new_phone_context

pytestmark = pytest.mark.browser


def phone_context(chromium: Any, live_server: str) -> Any:
    return new_phone_context(chromium, live_server)


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def add_to_cart(page: Any, button: Any) -> None:
    """Tap "Add to cart" and wait for the store to confirm it (the next navigation must not cut the form post short)."""
    button.click()
    page.locator(".flashes").get_by_text("to your cart").wait_for()


def buy_in_cart(page: Any, email: str) -> str:
    """Check out what is in the cart with the test card; returns the order number."""
    page.goto("/checkout")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Full name").fill("Bia Souza")
    page.get_by_label("Address", exact=True).fill("Rua Augusta 100")
    page.get_by_label("City").fill("São Paulo")
    page.get_by_label("Postal code").fill("01304-000")
    page.get_by_label("Country").select_option("BR")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("h1")).to_contain_text("Your order is confirmed")
    page.wait_for_load_state()  # the number is read, not asserted: let the order's page finish first
    return page.locator(".order-number strong").inner_text()


def attribution_of(chromium: Any, live_server: str, number: str) -> str:
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    log_in(page, "operator@demo.example.com", "demo-operator-pass")
    page.goto(f"/operator/orders/{number}")
    text = page.locator(".attribution").inner_text()
    context.close()
    return text


def test_a_friend_buys_through_a_whatsapp_link_and_the_curator_cannot_self_refer(chromium: Any, live_server: str) -> None:
    curator = phone_context(chromium, live_server)
    curator.grant_permissions(["clipboard-read", "clipboard-write"])
    ana = curator.new_page()
    log_in(ana, "ana@demo.example.com", "demo-curator-pass")
    ana.goto("/me/shop")
    product_title = ana.locator(".editor-item .item-title").first.inner_text()
    ana.locator(".editor-item").first.get_by_role("link", name=f"Share {product_title}").click()
    ana.wait_for_load_state()  # Copy works once share-panel.js has run (deferred), and the link is read, not asserted
    whatsapp_url = ana.get_by_label("WhatsApp link").input_value()
    ana.locator(".share-whatsapp").get_by_role("button", name="Copy").click()
    ana.get_by_text("Link copied.").wait_for()
    assert ana.evaluate("navigator.clipboard.readText()") == whatsapp_url
    link_path = urlsplit(whatsapp_url).path

    friend_context = phone_context(chromium, live_server)
    friend = friend_context.new_page()
    friend.goto(link_path)
    assert friend.locator("h1").inner_text() == product_title
    add_to_cart(friend, friend.get_by_role("button", name="Add to cart"))
    friend.goto("/checkout")
    assert "You were referred by @ana" in friend.locator(".referral").inner_text()
    friend_order = buy_in_cart(friend, "friend@example.com")
    friend_context.close()
    seen = attribution_of(chromium, live_server, friend_order)
    assert "@ana" in seen and link_path in seen and "last click" in seen and "Self-referral\nnone" in seen

    # The curator buys through her own link while signed in: self-referred, earns nothing.
    ana.goto(link_path)
    add_to_cart(ana, ana.get_by_role("button", name="Add to cart"))
    own_order = buy_in_cart(ana, "ana@demo.example.com")
    assert "self referred" in attribution_of(chromium, live_server, own_order)

    # Her earnings show the friend's purchase as pending, and nothing for her own.
    ana.goto("/me/earnings")
    statement = ana.locator(".statement").inner_text()
    assert friend_order in statement and "Earned (pending)" in statement and own_order not in statement

    # Her stats, on her phone: the friend's order through WhatsApp (her own purchase is not a friend's).
    ana.goto("/me/dashboard?days=7")
    channels = ana.get_by_role("table", name="What each channel brought").inner_text()
    assert "WhatsApp" in channels
    assert ana.locator(".balances div", has_text="Friends who bought").locator("dd.price").inner_text() == "1"
    assert ana.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Signed out, from the same phone and with another e-mail: flagged for an operator.
    ana.get_by_role("button", name="Log out").click()
    ana.goto(link_path)
    add_to_cart(ana, ana.get_by_role("button", name="Add to cart"))
    review_order = buy_in_cart(ana, "not.ana@example.com")
    seen = attribution_of(chromium, live_server, review_order)
    assert "review" in seen and "the curator's own browser (visitor id)" in seen
    curator.close()
