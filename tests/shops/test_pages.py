"""Shop pages as a person uses them: open, curate, publish, share; others can look but not touch."""
from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image
from sqlalchemy import select

from storefront.accounts.models import Role
from storefront.catalog.models import Product
from storefront.orders.models import OrderLine
from storefront.shops.models import Shop
from tests.conftest import Browser


def png_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def open_shop_form(**overrides: Any) -> dict[str, Any]:
    return {"handle": "ana", "title": "Ana's picks", "bio": "Linen lover", "accent_colour": "#336699", **overrides}


def signed_in(app: Any, create_user: Any, email: str) -> Browser:
    create_user(email=email)
    browser = Browser(app.test_client())
    browser.log_in(email)
    return browser


def shop_of(database: Any, handle: str) -> Shop:
    shop = database.session.scalar(select(Shop).where(Shop.handle == handle))
    assert shop is not None
    return shop


def test_open_shop_with_an_avatar_serves_it_as_webp(browser: Any, database: Any) -> None:
    browser.sign_up()
    form = {**open_shop_form(), "avatar": (io.BytesIO(png_bytes()), "me.png")}
    response = browser.post("/me/shop/new", form, content_type="multipart/form-data")
    assert response.headers["Location"] == "/me/shop"
    avatar = browser.get("/@ana/avatar")
    assert avatar.mimetype == "image/webp"
    assert Image.open(io.BytesIO(avatar.data)).size == (256, 256)


def test_open_shop_refuses_a_renamed_non_image(browser: Any, database: Any) -> None:
    browser.sign_up()
    form = {**open_shop_form(), "avatar": (io.BytesIO(b"#!/bin/sh\necho not a picture\n"), "photo.jpg")}
    response = browser.post("/me/shop/new", form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "JPEG, PNG or WebP" in response.get_data(as_text=True)
    assert database.session.scalar(select(Shop)) is None


def test_shop_without_an_upload_gets_a_generated_avatar(create_shop: Any, browser: Any) -> None:
    shop = create_shop(handle="bia")
    response = browser.get(f"/@{shop.handle}/avatar")
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data


def test_open_shop_refuses_a_reserved_handle_with_a_message(browser: Any) -> None:
    browser.sign_up()
    response = browser.post("/me/shop/new", open_shop_form(handle="admin"))
    assert response.status_code == 400 and "reserved" in response.get_data(as_text=True)


def test_second_shop_for_the_same_user_goes_to_the_editor(browser: Any, database: Any) -> None:
    browser.sign_up()
    browser.post("/me/shop/new", open_shop_form())
    response = browser.post("/me/shop/new", open_shop_form(handle="other"))
    assert response.headers["Location"] == "/me/shop"
    assert len(list(database.session.scalars(select(Shop)))) == 1


def test_add_to_my_shop_without_a_shop_leads_to_opening_one(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product()
    browser.sign_up()
    response = browser.post("/me/shop/items", {"product_id": product.id})
    assert response.headers["Location"] == f"/me/shop/new?add={product.id}"
    browser.post("/me/shop/new", open_shop_form(add=str(product.id)))
    assert [item.product_id for item in shop_of(database, "ana").items] == [product.id]


def test_catalog_pages_show_in_my_shop_once_added(browser: Any, create_product: Any) -> None:
    product = create_product(featured=True, slug="linen-tee")
    browser.sign_up()
    browser.post("/me/shop/new", open_shop_form())
    assert "+ Add to my shop" in browser.get("/products/linen-tee").get_data(as_text=True)
    browser.post("/me/shop/items", {"product_id": product.id, "next": "/products/linen-tee"})
    assert "✓ In my shop" in browser.get("/products/linen-tee").get_data(as_text=True)
    assert "✓ In my shop" in browser.get("/").get_data(as_text=True)


def test_anonymous_visitors_see_no_curate_button(browser: Any, create_product: Any) -> None:
    create_product(slug="linen-tee")
    assert "Add to my shop" not in browser.get("/products/linen-tee").get_data(as_text=True)


def test_note_with_html_is_shown_as_text(browser: Any, create_shop: Any, create_product: Any) -> None:
    product = create_product(slug="linen-tee")
    create_shop(product, handle="ana", notes={product.id: '<script>alert("x")</script><b>bold</b>'})
    for path in ("/@ana", "/products/linen-tee"):
        page = browser.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page


def test_another_user_cannot_edit_someone_elses_shop(app: Any, create_shop: Any, create_product: Any, create_user: Any, database: Any) -> None:
    product = create_product()
    victim = create_shop(product, handle="victim", notes={product.id: "mine"})
    intruder_shop = create_shop(create_product(), user=create_user(email="intruder@example.com"), handle="intruder")
    intruder = Browser(app.test_client())
    intruder.log_in("intruder@example.com")

    # The editor only ever acts on the signed-in user's own shop: there is no shop id to swap.
    intruder.post(f"/me/shop/items/{product.id}/note", {"note": "hacked"})
    intruder.post(f"/me/shop/items/{product.id}/remove")
    intruder.post("/me/shop/items/order", {"product_ids": [product.id]})
    look_response = intruder.get("/me/shop/looks/anything/edit")

    database.session.expire_all()
    shop = database.session.get(Shop, victim.id)
    assert [(i.product_id, i.note) for i in shop.items] == [(product.id, "mine")]
    assert len(database.session.get(Shop, intruder_shop.id).items) == 1
    assert look_response.status_code == 404


def test_unpublished_shop_is_not_public_but_its_owner_sees_a_preview(app: Any, create_user: Any, browser: Any, database: Any) -> None:
    owner = signed_in(app, create_user, "owner@example.com")
    owner.post("/me/shop/new", open_shop_form(handle="drafty"))
    assert browser.get("/@drafty").status_code == 404
    preview = owner.get("/@drafty")
    assert preview.status_code == 200 and "Preview: your shop is a draft" in preview.get_data(as_text=True)


def test_publish_needs_a_product_then_makes_the_shop_public(app: Any, create_user: Any, create_product: Any, browser: Any) -> None:
    product = create_product()
    owner = signed_in(app, create_user, "owner@example.com")
    owner.post("/me/shop/new", open_shop_form(handle="ana"))
    owner.post("/me/shop/publish")
    assert browser.get("/@ana").status_code == 404
    owner.post("/me/shop/items", {"product_id": product.id})
    owner.post("/me/shop/publish")
    assert browser.get("/@ana").status_code == 200
    owner.post("/me/shop/unpublish")
    assert browser.get("/@ana").status_code == 404


def test_suspended_shop_answers_410(create_shop: Any, create_user: Any, browser: Any, database: Any) -> None:
    from storefront.shops.services import suspend_shop

    shop = create_shop(handle="shady")
    suspend_shop(shop, actor_user_id=create_user().id, reason="fake reviews")
    database.session.commit()
    response = browser.get("/@shady")
    assert response.status_code == 410 and "suspended" in response.get_data(as_text=True)
    assert browser.get("/@shady/avatar").status_code == 410


def test_shop_page_carries_open_graph_tags_with_absolute_urls(app: Any, create_shop: Any, create_product: Any, browser: Any) -> None:
    product = create_product(image="app-tee-001.svg")
    create_shop(product, handle="ana")
    page = browser.get("/@ana").get_data(as_text=True)
    base = app.config["BASE_URL"]
    tags = dict(re.findall(r'<meta (?:property|name)="((?:og|twitter):[a-z:]+)" content="([^"]*)"', page))
    assert tags["og:url"] == f"{base}/@ana"
    assert tags["og:image"] == f"{base}/static/products/preview/app-tee-001.png"  # crawlers do not show SVG
    with browser.get("/static/products/preview/app-tee-001.png") as preview:
        assert preview.mimetype == "image/png"
    assert tags["og:title"].startswith("Curator") and tags["twitter:card"] == "summary_large_image"
    assert f'<link rel="canonical" href="{base}/@ana">' in page


def test_look_and_product_pages_carry_open_graph_tags(app: Any, create_shop: Any, create_product: Any, browser: Any) -> None:
    from storefront.shops.services import create_look

    product = create_product(slug="linen-tee")
    shop = create_shop(product, handle="ana")
    create_look(shop, title="Office week", description="Five days, one bag", product_ids=[product.id])
    from storefront.extensions import db

    db.session.commit()
    base = app.config["BASE_URL"]
    look = browser.get("/@ana/looks/office-week").get_data(as_text=True)
    assert f'<meta property="og:url" content="{base}/@ana/looks/office-week">' in look
    assert '<meta property="og:description" content="Five days, one bag">' in look
    product_page = browser.get("/products/linen-tee").get_data(as_text=True)
    assert f'<meta property="og:url" content="{base}/products/linen-tee">' in product_page
    assert f'content="{base}/static/placeholder.svg"' in product_page


def test_curated_price_follows_the_catalog(create_shop: Any, create_product: Any, browser: Any, database: Any) -> None:
    product = create_product(price_minor=2490)
    create_shop(product, handle="ana")
    assert "$24.90" in browser.get("/@ana").get_data(as_text=True)
    database.session.get(Product, product.id).price_minor = 1990
    database.session.commit()
    page = browser.get("/@ana").get_data(as_text=True)
    assert "$19.90" in page and "$24.90" not in page


def test_sold_out_and_inactive_products_show_as_unavailable(create_shop: Any, create_product: Any, browser: Any, database: Any) -> None:
    sold_out, retired = create_product(title="Sold Tee"), create_product(title="Old Tee")
    create_shop(sold_out, retired, handle="ana")
    database.session.get(Product, sold_out.id).stock = 0
    database.session.get(Product, retired.id).active = False
    database.session.commit()
    page = browser.get("/@ana").get_data(as_text=True)
    assert "Sold out" in page and "No longer available" in page
    assert 'name="shop" value="ana"' not in page


def test_buying_from_a_shop_carries_the_shop_to_the_order_line(create_shop: Any, create_product: Any, browser: Any, database: Any) -> None:
    product = create_product()
    shop = create_shop(product, handle="ana")
    browser.add_to_cart(product.id, 1, shop="ana")
    browser.check_out()
    assert database.session.scalar(select(OrderLine.shop_id)) == shop.id


def test_adding_from_a_shop_that_lacks_the_product_carries_no_shop(create_shop: Any, create_product: Any, browser: Any, database: Any) -> None:
    create_shop(create_product(), handle="ana")
    other = create_product()
    browser.add_to_cart(other.id, 1, shop="ana")
    browser.check_out()
    assert database.session.scalar(select(OrderLine.shop_id)) is None


def test_a_shop_suspended_before_checkout_earns_nothing(create_shop: Any, create_product: Any, create_user: Any, browser: Any, database: Any) -> None:
    from storefront.shops.services import suspend_shop

    product = create_product()
    shop = create_shop(product, handle="ana")
    browser.add_to_cart(product.id, 1, shop="ana")
    suspend_shop(database.session.get(Shop, shop.id), actor_user_id=create_user().id, reason="fraud")
    database.session.commit()
    browser.check_out()
    assert database.session.scalar(select(OrderLine.shop_id)) is None


def test_product_page_shows_who_recommends_it(create_shop: Any, create_product: Any, browser: Any) -> None:
    product = create_product(slug="linen-tee")
    create_shop(product, handle="ana", notes={product.id: "I wear it to the beach"})
    create_shop(product, handle="drafty", published=False, notes={product.id: "secret"})
    page = browser.get("/products/linen-tee").get_data(as_text=True)
    assert "Recommended by" in page and "I wear it to the beach" in page and 'href="/@ana"' in page
    assert "secret" not in page


def test_discover_lists_public_shops_only(create_shop: Any, create_product: Any, browser: Any) -> None:
    create_shop(create_product(), handle="ana")
    create_shop(handle="drafty", published=False)
    page = browser.get("/discover?sort=most_products").get_data(as_text=True)
    assert "@ana" in page and "@drafty" not in page


def test_reorder_endpoint_saves_the_dragged_order(app: Any, create_user: Any, create_product: Any, database: Any) -> None:
    a, b = create_product(), create_product()
    owner = signed_in(app, create_user, "owner@example.com")
    owner.post("/me/shop/new", open_shop_form())
    owner.post("/me/shop/items", {"product_id": a.id})
    owner.post("/me/shop/items", {"product_id": b.id})
    response = owner.post("/me/shop/items/order", {"product_ids": [b.id, a.id]})
    assert response.json == {"saved": True}
    database.session.expire_all()
    assert [i.product_id for i in shop_of(database, "ana").items] == [b.id, a.id]
    assert owner.post("/me/shop/items/order", {"product_ids": [b.id]}).status_code == 400


def test_shop_editor_needs_a_login(browser: Any) -> None:
    assert "/login" in browser.get("/me/shop").headers["Location"]


def test_operator_pages_refuse_customers(app: Any, create_user: Any, create_shop: Any) -> None:
    shop = create_shop()
    customer = signed_in(app, create_user, "customer@example.com")
    assert customer.get("/operator/shops").status_code == 403
    assert customer.post(f"/operator/shops/{shop.id}/suspend", {"reason": "x"}).status_code == 403


def test_operator_suspends_and_reinstates_with_a_reason(app: Any, create_user: Any, create_shop: Any, browser: Any, database: Any) -> None:
    shop = create_shop(handle="ana")
    create_user(email="ops@example.com", role=Role.OPERATOR)
    operator = Browser(app.test_client())
    operator.log_in("ops@example.com")
    operator.post(f"/operator/shops/{shop.id}/suspend", {"reason": "selling fakes"})
    assert browser.get("/@ana").status_code == 410
    assert "selling fakes" in operator.get("/operator/audit").get_data(as_text=True)
    operator.post(f"/operator/shops/{shop.id}/reinstate", {"reason": "appeal accepted"})
    assert browser.get("/@ana").status_code == 200


def test_oversized_ids_in_urls_are_404_not_500(app: Any, create_user: Any, create_shop: Any) -> None:
    create_user(email="ops@example.com", role=Role.OPERATOR)
    owner = signed_in(app, create_user, "owner@example.com")
    owner.post("/me/shop/new", open_shop_form())
    huge = "9" * 25
    for path in [f"/me/shop/items/{huge}/note", f"/me/shop/items/{huge}/remove", f"/me/shop/items/{huge}/move"]:
        assert owner.post(path, {"note": "x", "direction": "up"}).status_code == 404
    assert owner.get(f"/me/shop/share/product/{huge}").status_code == 404
    operator = Browser(app.test_client())
    operator.log_in("ops@example.com")
    assert operator.post(f"/operator/shops/{huge}/suspend", {"reason": "x"}).status_code == 404


def test_opening_a_shop_survives_a_product_that_cannot_be_added(browser: Any, create_product: Any, database: Any) -> None:
    product = create_product(active=False)
    browser.sign_up()
    response = browser.post("/me/shop/new", open_shop_form(add=str(product.id)))
    assert response.headers["Location"] == "/me/shop"
    assert shop_of(database, "ana").items == []


def test_a_500_character_note_with_line_breaks_is_accepted(app: Any, create_user: Any, create_product: Any, database: Any) -> None:
    product = create_product()
    owner = signed_in(app, create_user, "owner@example.com")
    owner.post("/me/shop/new", open_shop_form())
    owner.post("/me/shop/items", {"product_id": product.id})
    note = "\r\n".join(["x" * 24] * 20)  # 500 characters once line endings are normalised
    owner.post(f"/me/shop/items/{product.id}/note", {"note": note})
    database.session.expire_all()
    assert shop_of(database, "ana").items[0].note == note.replace("\r\n", "\n")


def test_renaming_a_look_keeps_its_shared_address(create_shop: Any, create_product: Any, database: Any) -> None:
    from storefront.shops.services import create_look, update_look

    product = create_product()
    shop = create_shop(product)
    look = create_look(shop, title="Office week", description="", product_ids=[product.id])
    update_look(shop, look, title="Office fortnight", description="", product_ids=[product.id])
    assert look.slug == "office-week"
    chinese = create_look(shop, title="办公周", description="", product_ids=[])
    assert chinese.slug == "look"


def test_a_draft_shops_avatar_is_not_cached_publicly(app: Any, create_user: Any) -> None:
    owner = signed_in(app, create_user, "owner@example.com")
    owner.post("/me/shop/new", open_shop_form(handle="drafty"))
    assert owner.get("/@drafty/avatar").headers["Cache-Control"] == "private, no-store"


def test_demo_data_refuses_a_public_base_url(app: Any, runner: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "BASE_URL", "https://shop.example.com")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1 and "only loaded locally" in result.output
