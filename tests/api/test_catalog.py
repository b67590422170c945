"""The catalog through the API: categories, listing and search by cursor, one product, the caller's commission rate."""
from __future__ import annotations

from typing import Any

import pytest

from commissions import rules
from commissions.models import CuratorTier, RateScope
from tests.api.conftest import Api


def test_categories_are_listed_with_slug_and_name_in_store_order(api: Api, create_category: Any) -> None:
    create_category("Shoes")
    create_category("Home & Garden")
    response = api.get("/categories")
    assert response.status_code == 200
    assert [(c["slug"], c["name"]) for c in response.get_json()["items"]] == [("shoes", "Shoes"), ("home-garden", "Home & Garden")]


def test_a_product_carries_absolute_urls_price_category_slug_and_stock(app: Any, api: Any, create_product: Any) -> None:
    product = create_product(title="Linen shirt", price_minor=4990, image="shirt.svg", stock=0)
    body = api.get(f"/products/{product.id}").get_json()
    base = app.config["BASE_URL"]
    assert body["sku"] == product.sku and body["title"] == "Linen shirt"
    assert body["price"] == {"amount_minor": 4990, "currency": "USD"}
    assert body["image_url"] == f"{base}/static/products/shirt.svg"
    assert body["url"] == f"{base}/products/{product.slug}"
    assert body["category"] == "apparel" and body["in_stock"] is False


def test_the_list_holds_only_active_products(api: Api, create_product: Any) -> None:
    shown = create_product()
    create_product(active=False)
    assert [item["id"] for item in api.get("/products").get_json()["items"]] == [shown.id]


def test_an_inactive_or_unknown_product_is_a_404(api: Api, create_product: Any) -> None:
    hidden = create_product(active=False)
    assert api.get(f"/products/{hidden.id}").status_code == 404
    missing = api.get("/products/99999999999999999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_search_needs_every_word_in_title_description_or_sku(api: Api, create_product: Any) -> None:
    wanted = create_product(title="Blue linen shirt", description="Breathes in summer")
    create_product(title="Blue wool coat")
    create_product(title="Plain mug", sku="LINEN-MUG")
    found = api.get("/products", query_string={"q": "linen BLUE"}).get_json()["items"]
    assert [item["id"] for item in found] == [wanted.id]


def test_search_treats_like_wildcards_as_plain_text(api: Api, create_product: Any) -> None:
    create_product(title="Plain mug")
    assert api.get("/products", query_string={"q": "%"}).get_json()["items"] == []


def test_the_category_filter_takes_a_slug(api: Api, create_product: Any, create_category: Any) -> None:
    shoes = create_category("Shoes")
    sneaker = create_product(category=shoes)
    create_product()
    found = api.get("/products", query_string={"category": "shoes"}).get_json()["items"]
    assert [item["id"] for item in found] == [sneaker.id]


def test_an_unknown_category_is_a_400_naming_the_parameter(api: Api) -> None:
    response = api.get("/products", query_string={"category": "nope"})
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "category"


def test_pages_follow_the_cursor_until_it_is_null(api: Api, create_product: Any) -> None:
    ids = [create_product().id for _ in range(3)]
    first = api.get("/products", query_string={"limit": 2}).get_json()
    assert [item["id"] for item in first["items"]] == ids[:2] and first["next_cursor"]
    second = api.get("/products", query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [item["id"] for item in second["items"]] == ids[2:] and second["next_cursor"] is None


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "many"}, {"cursor": "garbage!"}, {"q": "x" * 201}])
def test_bad_query_parameters_are_a_400(api: Api, query: dict[str, Any]) -> None:
    response = api.get("/products", query_string=query)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_an_anonymous_request_sees_the_platform_rate(app: Any, api: Api, create_product: Any) -> None:
    product = create_product()
    assert api.get(f"/products/{product.id}").get_json()["commission_rate_bps"] == app.config["COMMISSION_DEFAULT_BPS"]


def test_a_product_rate_beats_the_default(api: Api, create_product: Any, database: Any) -> None:
    product = create_product()
    rules.set_rate(RateScope.PRODUCT, product.id, 750)
    database.session.commit()
    assert api.get("/products").get_json()["items"][0]["commission_rate_bps"] == 750


def test_a_curator_sees_their_tier_bonus_included(
    app: Any, curator_api: Api, api: Api, create_product: Any, database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = create_product()
    gold = CuratorTier(name="Gold", currency="USD", min_sales_minor=10_000, bonus_bps=250)
    database.session.add(gold)
    database.session.commit()
    # Which tier a curator reaches is the rules' business (tests/commissions); here the curator has reached Gold.
    monkeypatch.setattr(rules, "tier_for", lambda curator_user_id, currency: gold)
    platform_bps = app.config["COMMISSION_DEFAULT_BPS"]
    assert curator_api.get(f"/products/{product.id}").get_json()["commission_rate_bps"] == platform_bps + 250
    assert api.get(f"/products/{product.id}").get_json()["commission_rate_bps"] == platform_bps
