"""The whole journey, in browsers against gunicorn: a new curator builds, publishes and shares a shop; a friend
buys through the link; the operator refunds part, matures and pays out; the curator sees every step."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import new_phone_context
from tests.e2e.test_curator_journey import add_products, open_shop, sign_up
from tests.e2e.test_share_journey import add_to_cart, buy_in_cart, log_in

pytestmark = pytest.mark.browser


def curator_copies_a_whatsapp_link(page: Any) -> str:
    page.goto("/me/shop")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flashes")).to_contain_text("Your shop is live")
    page.wait_for_load_state()  # Copy works once share-panel.js has run (deferred) on the reloaded editor
    page.get_by_text("Share my shop").click()
    url = page.get_by_label("WhatsApp link").input_value()
    page.locator(".share-whatsapp").get_by_role("button", name="Copy").click()
    page.get_by_text("Link copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == url
    return urlsplit(url).path


def test_from_a_new_curator_to_a_paid_out_commission(chromium: Any, live_server: str) -> None:
    curator_context = new_phone_context(chromium, live_server)
    curator_context.grant_permissions(["clipboard-read", "clipboard-write"])
    eva = curator_context.new_page()
    sign_up(eva, "eva@example.com", "Eva")
    open_shop(eva, "eva-picks")
    add_products(eva, 2)
    link_path = curator_copies_a_whatsapp_link(eva)

    friend_context = new_phone_context(chromium, live_server)
    friend = friend_context.new_page()
    friend.goto(link_path)
    add_to_cart(friend, friend.locator(".curated-item").first.get_by_role("button", name="Add to cart"))
    friend.goto("/checkout")
    assert "You were referred by @eva-picks" in friend.locator(".referral").inner_text()
    order_number = buy_in_cart(friend, "eva.friend@example.com")
    friend_context.close()

    eva.goto("/me/earnings")
    statement = eva.locator(".statement").inner_text()
    assert order_number in statement and "Earned (pending)" in statement
    pending_before = eva.locator(".balances div", has_text="Pending").locator("dd.price").inner_text()

    desk = chromium.new_context(base_url=live_server)
    operator = desk.new_page()
    log_in(operator, "operator@demo.example.com", "demo-operator-pass")
    operator.goto(f"/operator/orders/{order_number}")
    refund = operator.get_by_role("region", name="Refund")
    refund.get_by_role("radio", name="An amount:").check()
    refund.get_by_role("textbox", name="Amount").fill("1.00")
    refund.get_by_label("Reason").fill("one item came back damaged")
    refund.get_by_role("button", name="Refund").click()
    expect(operator.locator(".flashes")).to_contain_text("Refund sent to the payment provider")
    operator.goto("/operator/commissions")
    operator.get_by_role("button", name="Make due commissions available").click()
    expect(operator.locator(".flashes")).to_contain_text("became available")
    operator.goto("/operator/payouts")
    operator.get_by_role("button", name="Run a manual payout file").click()
    expect(operator.locator("main")).to_contain_text("eva@example.com", use_inner_text=True)
    operator.get_by_role("button", name="Mark the file paid").click()
    expect(operator.locator(".flashes")).to_contain_text("marked paid")
    desk.close()

    eva.goto("/me/earnings")
    assert eva.locator(".balances div", has_text="Pending").locator("dd.price").inner_text() != pending_before
    assert "Reversed (refund)" in eva.locator(".statement").inner_text()
    payouts = eva.locator("h2:has-text('My payouts') + ul").inner_text()
    assert "VTP-" in payouts and "paid" in payouts
    curator_context.close()
