"""Buying through the API: attribution from the cookie jar, the order token, the test card, and every refusal."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.payments.models import WebhookEvent
from tests.api.conftest import Api
from tests.share.conftest import follow, share_link  # noqa: F401  (share_link is a fixture)

GOOD_CARD, DECLINED_CARD = "4242 4242 4242 4242", "4000 0000 0000 0002"


def order_body(*lines: tuple[Any, int], **overrides: Any) -> dict[str, Any]:
    return {
        "email": "friend@example.com", "name": "Bia Souza",
        "shipping_address": {"line1": "Rua Augusta 100", "city": "São Paulo", "postal_code": "01304-000", "country": "BR"},
        "lines": [{"product_id": product.id, "quantity": quantity} for product, quantity in lines],
        **overrides,
    }


def place(api: Api, *lines: tuple[Any, int]) -> dict[str, Any]:
    response = api.post("/orders", order_body(*lines))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_order_after_following_a_share_link_is_attributed_to_that_shop(
    api: Api, create_product: Any, create_shop: Any, share_link: Any,  # noqa: F811
) -> None:
    # given a friend who followed Ana's link with this cookie jar
    product = create_product(price_minor=2500)
    follow(api, share_link(create_shop(product, handle="ana")).code)
    # when they order through the API
    created = place(api, (product, 2))
    # then the order credits Ana's shop
    order = created["order"]
    assert order["attributed_shop"]["handle"] == "ana"
    assert (order["status"], order["currency"], order["total_minor"]) == ("pending", "USD", 5000 + 500)
    assert created["payment"]["provider"] == "test" and created["order_token"].startswith("vo_")


def test_without_the_share_cookie_the_order_is_a_direct_sale(
    api: Api, new_api: Callable[[], Api], create_product: Any, create_shop: Any, share_link: Any,  # noqa: F811
) -> None:
    product = create_product()
    follow(new_api(), share_link(create_shop(product, handle="ana")).code)  # another phone followed the link
    assert place(api, (product, 1))["order"]["attributed_shop"] is None


def test_placing_an_order_reserves_its_stock(api: Api, create_product: Any, database: Any) -> None:
    product = create_product(stock=5)
    product_id = product.id
    place(api, (product, 2))
    database.session.expire_all()
    assert database.session.get(Product, product_id).stock == 3


def test_the_payment_url_opens_in_the_same_cookie_jar(api: Api, create_product: Any) -> None:
    url = place(api, (create_product(), 1))["payment"]["url"]
    assert api.client.get(urlsplit(url).path).status_code == 200


def test_the_order_token_reads_the_order_by_query_or_header(api: Api, new_api: Callable[[], Api], create_product: Any) -> None:
    created = place(api, (create_product(), 1))
    order_id, token = created["order"]["id"], created["order_token"]
    stranger = new_api()
    by_query = stranger.get(f"/orders/{order_id}?token={token}")
    assert by_query.status_code == 200 and by_query.get_json()["number"] == created["order"]["number"]
    assert stranger.get(f"/orders/{order_id}", headers={"X-Order-Token": token}).status_code == 200


def test_another_user_cannot_read_the_order(api: Api, curator_api: Api, create_product: Any) -> None:
    created = place(api, (create_product(), 1))
    order_id = created["order"]["id"]
    response = curator_api.get(f"/orders/{order_id}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert curator_api.get(f"/orders/{order_id}?token=vo_not-the-token").status_code == 404


def test_an_order_token_opens_only_its_own_order(api: Api, create_product: Any) -> None:
    product = create_product()
    first, second = place(api, (product, 1)), place(api, (product, 1))
    assert api.get(f"/orders/{second['order']['id']}?token={first['order_token']}").status_code == 404


def test_the_account_that_placed_the_order_reads_it_by_bearer_token(curator_api: Api, create_product: Any) -> None:
    created = place(curator_api, (create_product(price_minor=1000), 3))
    body = curator_api.get(f"/orders/{created['order']['id']}").get_json()
    assert [(line["quantity"], line["line_total_minor"]) for line in body["lines"]] == [(3, 3000)]
    assert (body["paid_at"], body["refunded_minor"], body["payable"]) == (None, 0, True)


def test_an_unknown_or_huge_order_id_is_a_404(api: Api) -> None:
    assert api.get("/orders/999999").status_code == 404
    assert api.get(f"/orders/{10**30}").status_code == 404


def test_a_good_test_card_pays_the_order_through_the_signed_webhook(api: Api, create_product: Any, database: Any) -> None:
    created = place(api, (create_product(), 1))
    response = api.post(f"/orders/{created['order']['id']}/test-payment?token={created['order_token']}", {"card_number": GOOD_CARD})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "paid" and response.get_json()["paid_at"] is not None
    event = database.session.scalar(select(WebhookEvent).where(WebhookEvent.provider == "test", WebhookEvent.kind == "payment.succeeded"))
    assert event is not None and event.outcome == "applied"


def test_a_declined_card_is_a_402_and_the_order_can_still_be_paid(api: Api, create_product: Any) -> None:
    created = place(api, (create_product(), 1))
    path, token = f"/orders/{created['order']['id']}/test-payment", {"X-Order-Token": created["order_token"]}
    declined = api.post(path, {"card_number": DECLINED_CARD}, headers=token)
    assert declined.status_code == 402 and "declined" in declined.get_json()["detail"]
    order = api.get(f"/orders/{created['order']['id']}", headers=token).get_json()
    assert (order["status"], order["payable"]) == ("pending", True)
    assert api.post(path, {"card_number": GOOD_CARD}, headers=token).get_json()["status"] == "paid"


def test_paying_twice_is_a_409(api: Api, create_product: Any) -> None:
    created = place(api, (create_product(), 1))
    path = f"/orders/{created['order']['id']}/test-payment?token={created['order_token']}"
    assert api.post(path, {"card_number": GOOD_CARD}).status_code == 200
    again = api.post(path, {"card_number": GOOD_CARD})
    assert again.status_code == 409 and "already paid" in again.get_json()["detail"]


def test_an_order_past_its_payment_time_cannot_be_paid(api: Api, create_product: Any, frozen_clock: Any) -> None:
    created = place(api, (create_product(), 1))
    frozen_clock.advance(minutes=31)
    response = api.post(f"/orders/{created['order']['id']}/test-payment?token={created['order_token']}", {"card_number": GOOD_CARD})
    assert response.status_code == 409 and "expired" in response.get_json()["detail"]


def test_an_unknown_test_card_is_a_422_naming_the_field(api: Api, create_product: Any) -> None:
    created = place(api, (create_product(), 1))
    response = api.post(f"/orders/{created['order']['id']}/test-payment?token={created['order_token']}", {"card_number": "5555 5555 5555 4444"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "card_number"


def test_a_stranger_cannot_pay_someone_elses_order(api: Api, new_api: Callable[[], Api], create_product: Any) -> None:
    created = place(api, (create_product(), 1))
    assert new_api().post(f"/orders/{created['order']['id']}/test-payment", {"card_number": GOOD_CARD}).status_code == 404


def test_test_payment_is_a_409_when_the_test_provider_is_off(app: Any, api: Api, create_product: Any, monkeypatch: Any) -> None:
    created = place(api, (create_product(), 1))
    monkeypatch.delitem(app.extensions["payment_providers"], "test")
    response = api.post(f"/orders/{created['order']['id']}/test-payment?token={created['order_token']}", {"card_number": GOOD_CARD})
    assert response.status_code == 409 and "switched off" in response.get_json()["detail"]


def test_a_line_short_of_stock_is_a_409_naming_the_line_and_nothing_is_reserved(api: Api, create_product: Any, database: Any) -> None:
    plenty, scarce = create_product(stock=10), create_product(stock=1, title="Last tee")
    plenty_id = plenty.id
    response = api.post("/orders", order_body((plenty, 1), (scarce, 2)))
    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"][0]["pointer"] == "/lines/1/quantity" and "only 1 left" in body["detail"]
    database.session.expire_all()
    assert database.session.get(Product, plenty_id).stock == 10


def test_an_inactive_or_unknown_product_is_a_422_naming_the_line(api: Api, create_product: Any) -> None:
    on_sale, withdrawn = create_product(), create_product(active=False)
    with_withdrawn = order_body((on_sale, 1), (withdrawn, 1))
    with_unknown = {**with_withdrawn, "lines": [{"product_id": 2**31 - 1, "quantity": 1}]}
    response = api.post("/orders", with_withdrawn)
    assert response.status_code == 422 and response.get_json()["errors"][0]["pointer"] == "/lines/1/product_id"
    unknown = api.post("/orders", with_unknown)
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["pointer"] == "/lines/0/product_id"


def test_an_order_without_lines_is_a_422(api: Api) -> None:
    response = api.post("/orders", order_body())
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "lines"


def test_a_product_named_twice_is_a_422(api: Api, create_product: Any) -> None:
    product = create_product()
    response = api.post("/orders", order_body((product, 1), (product, 2)))
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "lines"


def test_bad_customer_details_name_each_field(api: Api, create_product: Any) -> None:
    body = order_body((create_product(), 1), name="   ", email="nope")
    body["shipping_address"] |= {"country": "ZZ", "city": "São\x00Paulo"}
    body["lines"][0]["quantity"] = 100
    response = api.post("/orders", body)
    assert response.status_code == 422
    assert {error["field"] for error in response.get_json()["errors"]} == {
        "name", "email", "shipping_address.country", "shipping_address.city", "lines.0.quantity",
    }
