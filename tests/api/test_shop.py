"""The curator's shop through the API: profile and publishing, items, looks, share links, and public shops."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from storefront.shops import services as shops
from tests.api.conftest import Api


def open_shop(client: Api, handle: str = "ana", **fields: Any) -> dict[str, Any]:
    response = client.put("/me/shop", {"handle": handle, "title": "Ana's picks", **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def add(client: Api, product: Any, note: str = "") -> dict[str, Any]:
    response = client.post("/me/shop/items", {"product_id": product.id, "note": note})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def create_look(client: Api, product_ids: list[int], title: str = "Office week") -> dict[str, Any]:
    response = client.post("/me/shop/looks", {"title": title, "description": "Monday to Friday", "product_ids": product_ids})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def bia_api(new_api: Callable[[], Api]) -> Api:
    """A second curator, with a shop of her own."""
    bia = new_api().sign_up("bia@example.com", "Bia")
    open_shop(bia, "bia")
    return bia


# My shop ----------------------------------------------------------------------------------


def test_put_opens_a_draft_shop_with_a_201(app: Any, curator_api: Api) -> None:
    body = open_shop(curator_api, "@Ana", bio="Linen lover")
    assert (body["handle"], body["title"], body["bio"], body["published"]) == ("ana", "Ana's picks", "Linen lover", False)
    assert body["url"] == f"{app.config['BASE_URL']}/@ana" and body["items"] == [] and body["looks"] == []


def test_put_again_updates_the_profile_with_a_200(curator_api: Api) -> None:
    open_shop(curator_api)
    response = curator_api.put("/me/shop", {"handle": "ana", "title": "New title", "bio": "", "accent_colour": "#112233"})
    assert response.status_code == 200
    assert (response.get_json()["title"], response.get_json()["accent_colour"]) == ("New title", "#112233")


def test_get_my_shop_is_a_404_before_opening_one(curator_api: Api) -> None:
    response = curator_api.get("/me/shop")
    assert response.status_code == 404 and "PUT /api/v1/me/shop" in response.get_json()["detail"]


def test_get_my_shop_shows_items_with_notes_and_looks(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    product = create_product(title="Linen shirt", price_minor=4990)
    add(curator_api, product, "Breathes in summer")
    create_look(curator_api, [product.id])
    body = curator_api.get("/me/shop").get_json()
    assert body["items"][0] | {"url": None, "image_url": None} == {
        "product_id": product.id, "title": "Linen shirt", "note": "Breathes in summer", "position": 0,
        "price": {"amount_minor": 4990, "currency": "USD"}, "in_stock": True, "url": None, "image_url": None,
    }
    assert [(look["title"], look["product_ids"]) for look in body["looks"]] == [("Office week", [product.id])]


def test_my_shop_needs_a_token(api: Api) -> None:
    assert api.get("/me/shop").status_code == 401
    assert api.put("/me/shop", {"handle": "ana", "title": "x"}).status_code == 401


def test_a_handle_taken_by_another_curator_is_a_409(curator_api: Api, bia_api: Api) -> None:
    response = curator_api.put("/me/shop", {"handle": "BIA", "title": "Mine"})
    assert response.status_code == 409 and response.get_json()["errors"][0]["field"] == "handle"
    assert "taken" in response.get_json()["detail"]


def test_a_handle_cannot_change_once_chosen(curator_api: Api) -> None:
    open_shop(curator_api)
    response = curator_api.put("/me/shop", {"handle": "ana2", "title": "x"})
    assert response.status_code == 409 and "cannot change" in response.get_json()["detail"]


@pytest.mark.parametrize("handle", ["ab", "admin", "has space", "ünïcode"])
def test_a_handle_the_service_refuses_is_a_422_saying_why(curator_api: Api, handle: str) -> None:
    response = curator_api.put("/me/shop", {"handle": handle, "title": "x"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "handle"


@pytest.mark.parametrize("body", [
    {"title": "no handle"},
    {"handle": "ana", "title": "x" * 81},
    {"handle": "ana", "title": "x", "bio": "b" * 281},
    {"handle": "ana", "title": "nul\x00"},
    {"handle": "ana", "title": "x", "accent_colour": "red"},
    {"handle": "ana", "title": "x", "owner": 1},
])
def test_a_malformed_shop_is_a_422(curator_api: Api, body: dict[str, Any]) -> None:
    assert curator_api.put("/me/shop", body).status_code == 422


def test_publishing_an_empty_shop_is_a_409_and_saves_nothing(curator_api: Api) -> None:
    response = curator_api.put("/me/shop", {"handle": "ana", "title": "x", "published": True})
    assert response.status_code == 409 and "at least one product" in response.get_json()["detail"]
    assert curator_api.get("/me/shop").status_code == 404


def test_publishing_and_unpublishing_toggle_the_public_page(curator_api: Api, api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    add(curator_api, create_product())
    assert curator_api.put("/me/shop", {"handle": "ana", "title": "x", "published": True}).get_json()["published"] is True
    assert api.get("/shops/ana").status_code == 200
    curator_api.put("/me/shop", {"handle": "ana", "title": "x", "published": False})
    assert api.get("/shops/ana").status_code == 404


# Items ------------------------------------------------------------------------------------


def test_adding_a_product_is_a_201_and_adding_it_again_a_200_unchanged(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    product = create_product()
    assert add(curator_api, product, "first")["note"] == "first"
    again = curator_api.post("/me/shop/items", {"product_id": product.id, "note": "second"})
    assert again.status_code == 200 and again.get_json()["note"] == "first"


def test_adding_before_opening_a_shop_is_a_404(curator_api: Api, create_product: Any) -> None:
    assert curator_api.post("/me/shop/items", {"product_id": create_product().id}).status_code == 404


@pytest.mark.parametrize("make", [lambda create_product: 999_999, lambda create_product: create_product(active=False).id])
def test_adding_a_product_not_in_the_catalog_is_a_422(curator_api: Api, create_product: Any, make: Any) -> None:
    open_shop(curator_api)
    response = curator_api.post("/me/shop/items", {"product_id": make(create_product)})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "product_id"


@pytest.mark.parametrize("body", [{"product_id": 0}, {"product_id": 2**31}, {"product_id": "one"}, {}, {"product_id": 1, "note": "n" * 1001}])
def test_a_malformed_item_is_a_422(curator_api: Api, body: dict[str, Any]) -> None:
    open_shop(curator_api)
    assert curator_api.post("/me/shop/items", body).status_code == 422


def test_a_note_over_the_limit_after_cleaning_is_a_422(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    response = curator_api.post("/me/shop/items", {"product_id": create_product().id, "note": "n" * 501})
    assert response.status_code == 422 and "limit is 500" in response.get_json()["detail"]


def test_a_full_shop_is_a_409(app: Any, curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    add(curator_api, create_product())
    app.config["SHOP_MAX_ITEMS"] = 1
    try:
        response = curator_api.post("/me/shop/items", {"product_id": create_product().id})
    finally:
        app.config["SHOP_MAX_ITEMS"] = 60
    assert response.status_code == 409 and "full" in response.get_json()["detail"]


def test_patching_an_item_changes_its_note(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    product = create_product()
    add(curator_api, product)
    response = curator_api.patch(f"/me/shop/items/{product.id}", {"note": "Wore it all week"})
    assert response.status_code == 200 and response.get_json()["note"] == "Wore it all week"


def test_patching_a_position_moves_the_item_and_keeps_the_others_in_order(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    first, second, third = (create_product() for _ in range(3))
    for product in (first, second, third):
        add(curator_api, product)
    assert curator_api.patch(f"/me/shop/items/{third.id}", {"position": 0}).get_json()["position"] == 0
    assert [item["product_id"] for item in curator_api.get("/me/shop").get_json()["items"]] == [third.id, first.id, second.id]


def test_a_position_past_the_end_means_last(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    first, second = create_product(), create_product()
    add(curator_api, first)
    add(curator_api, second)
    assert curator_api.patch(f"/me/shop/items/{first.id}", {"position": 99}).get_json()["position"] == 1


@pytest.mark.parametrize("product_id", [424242, 2**40])
def test_patching_or_removing_a_product_not_in_the_shop_is_a_404(curator_api: Api, product_id: int) -> None:
    open_shop(curator_api)
    assert curator_api.patch(f"/me/shop/items/{product_id}", {"note": "x"}).status_code == 404
    assert curator_api.delete(f"/me/shop/items/{product_id}").status_code == 404


def test_a_negative_position_is_a_422(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    product = create_product()
    add(curator_api, product)
    assert curator_api.patch(f"/me/shop/items/{product.id}", {"position": -1}).status_code == 422


def test_removing_an_item_is_a_204_and_renumbers_the_rest(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    first, second = create_product(), create_product()
    add(curator_api, first)
    add(curator_api, second)
    assert curator_api.delete(f"/me/shop/items/{first.id}").status_code == 204
    assert [(i["product_id"], i["position"]) for i in curator_api.get("/me/shop").get_json()["items"]] == [(second.id, 0)]


def test_items_need_a_token(api: Api) -> None:
    assert api.post("/me/shop/items", {"product_id": 1}).status_code == 401
    assert api.patch("/me/shop/items/1", {"note": "x"}).status_code == 401
    assert api.delete("/me/shop/items/1").status_code == 401


# Looks ------------------------------------------------------------------------------------


def test_a_look_is_created_listed_read_changed_and_deleted(app: Any, curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    first, second = create_product(), create_product()
    add(curator_api, first)
    add(curator_api, second)
    look = create_look(curator_api, [second.id, first.id])
    assert look["slug"] == "office-week" and look["url"] == f"{app.config['BASE_URL']}/@ana/looks/office-week"
    assert [item["id"] for item in curator_api.get("/me/shop/looks").get_json()["items"]] == [look["id"]]
    assert curator_api.get(f"/me/shop/looks/{look['id']}").get_json()["product_ids"] == [second.id, first.id]
    changed = curator_api.patch(f"/me/shop/looks/{look['id']}", {"title": "Weekend", "product_ids": [first.id]}).get_json()
    assert (changed["title"], changed["slug"], changed["description"], changed["product_ids"]) == (
        "Weekend", "office-week", "Monday to Friday", [first.id])
    assert curator_api.delete(f"/me/shop/looks/{look['id']}").status_code == 204
    assert curator_api.get(f"/me/shop/looks/{look['id']}").status_code == 404


def test_someone_elses_look_is_a_404(curator_api: Api, bia_api: Api) -> None:
    open_shop(curator_api)
    theirs = create_look(bia_api, [])
    path = f"/me/shop/looks/{theirs['id']}"
    assert curator_api.get(path).status_code == 404
    assert curator_api.patch(path, {"title": "Mine now"}).status_code == 404
    assert curator_api.delete(path).status_code == 404
    assert bia_api.get(path).get_json()["title"] == "Office week"


def test_an_unknown_or_huge_look_id_is_a_404(curator_api: Api) -> None:
    open_shop(curator_api)
    assert curator_api.get("/me/shop/looks/99999").status_code == 404
    assert curator_api.get(f"/me/shop/looks/{2**70}").status_code == 404


def test_a_look_with_a_product_outside_the_shop_is_a_422(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    response = curator_api.post("/me/shop/looks", {"title": "Odd", "product_ids": [create_product().id]})
    assert response.status_code == 422 and "in your shop" in response.get_json()["detail"]


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "x" * 81}, {"title": "ok", "product_ids": [2**31]}, {"title": "ok", "slug": "x"}])
def test_a_malformed_look_is_a_422(curator_api: Api, body: dict[str, Any]) -> None:
    open_shop(curator_api)
    assert curator_api.post("/me/shop/looks", body).status_code == 422


def test_a_blank_look_title_is_a_422_saying_why(curator_api: Api) -> None:
    open_shop(curator_api)
    response = curator_api.post("/me/shop/looks", {"title": "   "})
    assert response.status_code == 422 and "Give the look a title" in response.get_json()["detail"]


def test_looks_need_a_token(api: Api) -> None:
    assert api.get("/me/shop/looks").status_code == 401
    assert api.post("/me/shop/looks", {"title": "x"}).status_code == 401
    assert api.delete("/me/shop/looks/1").status_code == 401


# Share links ------------------------------------------------------------------------------


def test_a_shop_link_is_made_once_per_channel(app: Any, curator_api: Api) -> None:
    open_shop(curator_api)
    first = curator_api.post("/me/shop/links", {"target": {"type": "shop"}, "channel": "whatsapp"})
    assert first.status_code == 201
    body = first.get_json()
    base = app.config["BASE_URL"]
    assert body["url"] == f"{base}/s/{body['code']}" and body["qr_svg_url"] == f"{base}/s/{body['code']}/qr.svg"
    assert body["target"] == {"type": "shop", "id": None} and body["channel"] == "whatsapp"
    again = curator_api.post("/me/shop/links", {"target": {"type": "shop", "id": None}, "channel": "whatsapp"})
    assert again.status_code == 200 and again.get_json()["code"] == body["code"]


def test_the_qr_url_serves_an_svg(curator_api: Api) -> None:
    open_shop(curator_api)
    link = curator_api.post("/me/shop/links", {"target": {"type": "shop"}, "channel": "wechat"}).get_json()
    response = curator_api.client.get(urlsplit(link["qr_svg_url"]).path)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_a_look_and_a_product_in_my_shop_can_be_shared(curator_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    product = create_product()
    add(curator_api, product)
    look = create_look(curator_api, [product.id])
    for target in ({"type": "look", "id": look["id"]}, {"type": "product", "id": product.id}):
        response = curator_api.post("/me/shop/links", {"target": target, "channel": "copy"})
        assert response.status_code == 201 and response.get_json()["target"] == target


def test_sharing_someone_elses_look_or_a_product_outside_my_shop_is_a_422(curator_api: Api, bia_api: Api, create_product: Any) -> None:
    open_shop(curator_api)
    theirs = create_look(bia_api, [])
    for target in ({"type": "look", "id": theirs["id"]}, {"type": "product", "id": create_product().id}):
        response = curator_api.post("/me/shop/links", {"target": target, "channel": "copy"})
        assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "target.id"


@pytest.mark.parametrize("body", [
    {"target": {"type": "shop", "id": 3}, "channel": "copy"},
    {"target": {"type": "look"}, "channel": "copy"},
    {"target": {"type": "page", "id": 1}, "channel": "copy"},
    {"target": {"type": "shop"}, "channel": "myspace"},
    {"target": {"type": "shop"}},
])
def test_a_malformed_link_request_is_a_422(curator_api: Api, body: dict[str, Any]) -> None:
    open_shop(curator_api)
    assert curator_api.post("/me/shop/links", body).status_code == 422


def test_links_need_a_token_and_a_shop(api: Api, curator_api: Api) -> None:
    body = {"target": {"type": "shop"}, "channel": "copy"}
    assert api.post("/me/shop/links", body).status_code == 401
    assert curator_api.post("/me/shop/links", body).status_code == 404


# Public shops -----------------------------------------------------------------------------


def test_a_published_shop_is_public_with_its_notes_and_looks(api: Api, create_shop: Any, create_product: Any, database: Any) -> None:
    product = create_product(title="Linen shirt")
    shop = create_shop(product, handle="ana", notes={product.id: "Breathes in summer"})
    shops.create_look(shop, title="Summer", description="", product_ids=[product.id])
    database.session.commit()
    response = api.get("/shops/Ana")
    assert response.status_code == 200
    body = response.get_json()
    assert body["handle"] == "ana" and [(i["title"], i["note"]) for i in body["items"]] == [("Linen shirt", "Breathes in summer")]
    assert [(look["title"], look["product_ids"]) for look in body["looks"]] == [("Summer", [product.id])]


def test_a_draft_shop_is_not_public_even_to_its_owner(curator_api: Api) -> None:
    open_shop(curator_api)
    assert curator_api.get("/shops/ana").status_code == 404


def test_a_suspended_shop_is_a_404(api: Api, create_shop: Any, create_user: Any, database: Any) -> None:
    shop = create_shop(handle="ana")
    shops.suspend_shop(shop, actor_user_id=create_user().id, reason="counterfeits")
    database.session.commit()
    assert api.get("/shops/ana").status_code == 404


@pytest.mark.parametrize("handle", ["nobody", "x" * 300, "%00"])
def test_an_unknown_handle_is_a_4xx_problem(api: Api, handle: str) -> None:
    response = api.get(f"/shops/{handle}")
    assert response.status_code in (400, 404) and response.mimetype == "application/problem+json"
