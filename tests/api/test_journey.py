"""The whole journey through the API only: curator, friend, operator, curator again."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import Api
from tests.share.conftest import PHONE

FRIEND = {
    "email": "friend@example.com", "name": "Bia Souza",
    "shipping_address": {"line1": "Rua Augusta 100", "city": "São Paulo", "postal_code": "01304-000", "country": "BR"},
}


@pytest.fixture
def no_hold(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "COMMISSION_HOLD_DAYS", 0)
    monkeypatch.setitem(app.config, "PAYOUT_MIN_MINOR", 100)


def test_a_curator_earns_through_a_whatsapp_link_and_is_paid_out(
    new_api: Callable[[], Api], operator_api: Api, create_product: Any, no_hold: None,
) -> None:
    tee = create_product(price_minor=4000, stock=10, title="Linen tee")
    cap = create_product(price_minor=1500, stock=10, title="Cap")

    curator = new_api().sign_up("ana@example.com")
    assert curator.put("/me/shop", {"handle": "ana", "title": "Ana's picks"}).status_code == 201
    for product in (tee, cap):
        assert curator.post("/me/shop/items", {"product_id": product.id, "note": "I wear it every week"}).status_code == 201
    assert curator.put("/me/shop", {"handle": "ana", "title": "Ana's picks", "published": True}).status_code == 200
    link = curator.post("/me/shop/links", {"target": {"type": "shop"}, "channel": "whatsapp"})
    assert link.status_code == 201
    code = link.get_json()["code"]
    assert curator.post("/me/shop/links", {"target": {"type": "shop"}, "channel": "whatsapp"}).status_code == 200

    friend = new_api()
    followed = friend.client.get(f"/s/{code}", headers={"User-Agent": PHONE, "Sec-Fetch-Dest": "document"})
    assert followed.status_code == 302
    created = friend.post("/orders", {**FRIEND, "lines": [{"product_id": tee.id, "quantity": 2}]})
    assert created.status_code == 201, created.get_json()
    order, order_token = created.get_json()["order"], created.get_json()["order_token"]
    assert order["attributed_shop"]["handle"] == "ana"
    paid = friend.post(f"/orders/{order['id']}/test-payment", {"card_number": "4242 4242 4242 4242"},
                       headers={"X-Order-Token": order_token})
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"

    earnings = curator.get("/me/earnings").get_json()
    assert earnings["pending_minor"] == 400  # 5% of 80.00

    refund = operator_api.post(f"/admin/orders/{order['number']}/refunds", {"lines": [{"line_id": _line_id(operator_api, order), "quantity": 1}],
                                                                          "reason": "one tee came back"})
    assert refund.status_code == 202, refund.get_json()
    assert curator.get("/me/earnings").get_json()["pending_minor"] == 200  # the commission halves

    matured = operator_api.post("/admin/commissions/mature")
    assert matured.status_code == 200 and matured.get_json()["matured"] == 1
    assert curator.get("/me/earnings").get_json()["available_minor"] == 200

    run = operator_api.post("/admin/payouts/runs", {"method": "manual"})
    assert run.status_code == 201
    (payout,) = run.get_json()["payouts"]
    assert (payout["curator"]["email"], payout["amount_minor"]) == ("ana@example.com", 200)
    assert operator_api.post(f"/admin/payouts/runs/{run.get_json()['id']}/mark-paid").status_code == 200

    final = curator.get("/me/earnings").get_json()
    assert (final["available_minor"], final["paid_minor"]) == (0, 200)
    stats = curator.get("/me/stats").get_json()
    assert (stats["clicks"], stats["orders"], stats["sales_minor"], stats["commission_minor"]) == (1, 1, 4000, 200)


def _line_id(operator_api: Api, order: dict[str, Any]) -> int:
    detail = operator_api.get(f"/admin/orders/{order['number']}").get_json()
    return int(detail["lines"][0]["id"])
