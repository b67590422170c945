"""A friend buys through a curator; the operator pays the curator with a manual payout file; the curator sees it."""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import new_phone_context
from tests.e2e.test_share_journey import add_to_cart, buy_in_cart, log_in

pytestmark = pytest.mark.browser


def test_an_operator_pays_curators_with_a_manual_file_and_the_curator_sees_the_payout(
    chromium: Any, live_server: str, live_flask: Any,
) -> None:
    friend_context = new_phone_context(chromium, live_server)
    friend = friend_context.new_page()
    friend.goto("/@bia-moves")
    add_to_cart(friend, friend.get_by_role("button", name="Add to cart").first)
    buy_in_cart(friend, "a.friend.of.bia@example.com")
    friend_context.close()
    assert "became available" in live_flask("commissions", "mature")

    desk = chromium.new_context(base_url=live_server)
    operator = desk.new_page()
    log_in(operator, "operator@demo.example.com", "demo-operator-pass")
    operator.goto("/operator/payouts")
    operator.get_by_role("button", name="Run a manual payout file").click()
    expect(operator.locator("h1")).to_contain_text("Payout run #")
    with operator.expect_download() as download:
        operator.get_by_role("link", name="Download the payout file (CSV)").click()
    payout_file = download.value.path().read_text()
    assert payout_file.startswith("curator,email,amount,currency,reference") and "bia@demo.example.com" in payout_file
    operator.get_by_role("button", name="Mark the file paid").click()
    expect(operator.locator(".flashes")).to_contain_text("marked paid")
    desk.close()

    curator_context = new_phone_context(chromium, live_server)
    bia = curator_context.new_page()
    log_in(bia, "bia@demo.example.com", "demo-curator-pass")
    bia.goto("/me/earnings")
    payouts = bia.locator("h2:has-text('My payouts') + ul").inner_text()
    assert "VTP-" in payouts and "paid" in payouts
    curator_context.close()
