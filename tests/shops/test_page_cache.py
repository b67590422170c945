"""The cached shop page: rendered once, new at once after any change, never one visitor's token or cart for another."""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from storefront.accounts.models import User
from storefront import whole_pages
from storefront.catalog import admin
from storefront.catalog.importer import import_catalog_csv
from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.money import Money
from storefront.orders import services as orders
from storefront.shops import pages, services
from storefront.shops.models import Shop
from tests.conftest import Browser

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def spy_on_renders(monkeypatch: pytest.MonkeyPatch, renderer: str, module: Any = pages) -> list[str]:
    """The templates `<module>.<renderer>` renders from now on."""
    rendered: list[str] = []
    original = getattr(module, renderer)

    def spy(template_name: str, **context: Any) -> Any:
        rendered.append(template_name)
        return original(template_name, **context)

    monkeypatch.setattr(module, renderer, spy)
    return rendered


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The shared templates rendered so far (a cache hit renders none)."""
    return spy_on_renders(monkeypatch, "render_shared")


@pytest.fixture
def shop(create_shop: Any, create_product: Any) -> Shop:
    tee = create_product(title="Linen Tee", sku="TEE-1", price_minor=2490, stock=1)
    mug = create_product(title="Stone Mug", sku="MUG-1", price_minor=950)
    return create_shop(tee, mug, handle="ana", notes={tee.id: "I wear it every day"})


def page(browser: Browser, path: str = "/@ana") -> str:
    response = browser.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def signed_in(app: Any, create_user: Any, email: str) -> Browser:
    create_user(email=email)
    browser = Browser(app.test_client())
    browser.log_in(email)
    return browser


def product(sku: str) -> Product:
    found = db.session.scalar(select(Product).where(Product.sku == sku))
    assert found is not None
    return found


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def test_shop_page_second_visit_is_served_from_the_cache(shop: Shop, browser: Browser, renders: list[str]) -> None:
    first = page(browser)
    assert len(renders) == 2  # the head and the body
    second = page(browser)
    assert len(renders) == 2
    assert TOKEN.sub("", first) == TOKEN.sub("", second)


def test_shop_page_draft_is_never_cached(app: Any, create_user: Any, create_shop: Any, renders: list[str]) -> None:
    owner = signed_in(app, create_user, "owner@example.com")
    create_shop(user=user("owner@example.com"), handle="draft", published=False)
    assert "Preview: your shop is a draft" in page(owner, "/@draft")
    page(owner, "/@draft")
    assert len(renders) == 4


def add_note(shop: Shop) -> None:
    services.set_item_note(shop, product("MUG-1").id, "Holds a whole pot")


def retitle(shop: Shop) -> None:
    services.update_shop_profile(shop, title="Ana's new picks", bio="", accent_colour="#336699")


def new_avatar(shop: Shop) -> None:
    services.set_shop_avatar(shop, b"RIFF-not-really-webp")


def reorder(shop: Shop) -> None:
    services.move_item(shop, product("MUG-1").id, -1)


def remove_tee(shop: Shop) -> None:
    services.remove_item(shop, product("TEE-1").id)


def add_look(shop: Shop) -> None:
    services.create_look(shop, title="Office week", description="", product_ids=[product("TEE-1").id])


SHOP_CHANGES: dict[str, tuple[Callable[[Shop], None], Callable[[str], bool]]] = {
    "note": (add_note, lambda html: "Holds a whole pot" in html),
    "profile": (retitle, lambda html: "<h1>Ana&#39;s new picks</h1>" in html),
    "avatar": (new_avatar, lambda html: "/@ana/avatar?v=1" in html),
    "order": (reorder, lambda html: html.index("Stone Mug") < html.index("Linen Tee")),
    "removal": (remove_tee, lambda html: "Linen Tee" not in html),
    "look": (add_look, lambda html: "/@ana/looks/office-week" in html),
}


@pytest.mark.parametrize("change", SHOP_CHANGES)
def test_shop_page_shows_a_shop_change_at_once(shop: Shop, browser: Browser, change: str) -> None:
    # given a cached page
    make_change, shows_it = SHOP_CHANGES[change]
    assert not shows_it(page(browser))
    # when the curator changes the shop
    make_change(db.session.merge(shop))
    db.session.commit()
    # then the next visitor sees it
    assert shows_it(page(browser))


def test_shop_page_shows_a_look_renamed_and_deleted_at_once(shop: Shop, browser: Browser) -> None:
    services.create_look(shop, title="Office week", description="", product_ids=[])
    db.session.commit()
    assert ">Office week</a>" in page(browser)
    shop = db.session.merge(shop)
    services.update_look(shop, services.get_look(shop, "office-week"), title="Office fortnight", description="", product_ids=[])
    db.session.commit()
    assert ">Office fortnight</a>" in page(browser)
    shop = db.session.merge(shop)
    services.delete_look(shop, services.get_look(shop, "office-week"))
    db.session.commit()
    assert "Office fortnight" not in page(browser)


def test_shop_page_shows_an_operator_price_change_at_once(shop: Shop, browser: Browser) -> None:
    assert "$24.90" in page(browser)
    tee = product("TEE-1")
    data = admin.ProductInput(title="Linen Tee", description="", price=Money(1990, "USD"), category_id=tee.category_id,
                              new_category_name="", stock=tee.stock, active=True, featured=False)
    admin.update_product(tee, data, currency="USD", actor_user_id=None)
    db.session.commit()
    html = page(browser)
    assert "$19.90" in html and "$24.90" not in html


def test_shop_page_shows_an_imported_title_and_image_at_once(shop: Shop, browser: Browser) -> None:
    assert "Linen Tee" in page(browser)
    csv = "sku,title,description,price,currency,category,stock,active,featured,image\nTEE-1,Hemp Tee,,24.90,USD,Apparel,,true,false,tee.svg\n"
    import_catalog_csv(io.BytesIO(csv.encode()), "USD")
    db.session.commit()
    html = page(browser)
    assert "Hemp Tee" in html and "Linen Tee" not in html and "/static/products/tee.svg" in html


def test_shop_page_shows_sold_out_and_back_in_stock_at_once(shop: Shop, browser: Browser, place_order: Any) -> None:
    # given the last tee on a cached page
    assert page(browser).count("Add to cart") == 2
    # when a checkout reserves it, then when that order expires
    order = place_order((product("TEE-1"), 1))
    assert page(browser).count("Add to cart") == 1 and "Sold out" in page(browser)
    orders.expire_order(order)
    db.session.commit()
    # then the page follows
    assert page(browser).count("Add to cart") == 2


def test_shop_page_keeps_its_cache_when_a_sale_leaves_stock(shop: Shop, browser: Browser, place_order: Any, renders: list[str]) -> None:
    page(browser)
    place_order((product("MUG-1"), 1))  # 10 left: nothing on the page changes
    page(browser)
    assert len(renders) == 2


def test_shop_page_visitors_get_their_own_csrf_token_and_cart(app: Any, shop: Shop, create_user: Any) -> None:
    # given a signed-in visitor with a cart, who sees the page first, and an anonymous one
    first = signed_in(app, create_user, "bia@example.com")
    first.add_to_cart(product("MUG-1").id, 2)
    second = Browser(app.test_client())
    first_page, second_page = page(first), page(second)
    # then each page carries its visitor's token, cart and header only
    first_tokens, second_tokens = set(TOKEN.findall(first_page)), set(TOKEN.findall(second_page))
    assert len(first_tokens) == 1 and len(second_tokens) == 1 and first_tokens != second_tokens
    assert 'aria-label="2 items"' in first_page and 'aria-label="2 items"' not in second_page
    assert "Log out" in first_page and "Log out" not in second_page
    # and a token works for its own visitor only
    form = {"product_id": product("TEE-1").id, "quantity": 1, "shop": "ana", "next": "/@ana"}
    assert second.post("/cart/add", {**form, "csrf_token": first_tokens.pop()}, csrf=False).status_code == 400
    assert second.post("/cart/add", {**form, "csrf_token": second_tokens.pop()}, csrf=False).status_code == 302


def test_shop_page_owner_tools_stay_with_the_owner(app: Any, create_user: Any, create_shop: Any, create_product: Any) -> None:
    owner = signed_in(app, create_user, "owner@example.com")
    create_shop(create_product(), user=user("owner@example.com"), handle="own")
    stranger = Browser(app.test_client())
    assert "Edit my shop" in page(owner, "/@own")
    assert "Edit my shop" not in page(stranger, "/@own") and "Share this shop" not in page(stranger, "/@own")
    assert "Edit my shop" in page(owner, "/@own")


def test_shop_page_is_gone_once_suspended(shop: Shop, browser: Browser, create_user: Any) -> None:
    page(browser)
    operator = create_user(email="operator@example.com")
    services.suspend_shop(db.session.merge(shop), actor_user_id=operator.id, reason="Counterfeits")
    db.session.commit()
    assert browser.get("/@ana").status_code == 410


def test_shop_page_is_private_once_unpublished(shop: Shop, browser: Browser) -> None:
    page(browser)
    services.unpublish_shop(db.session.merge(shop))
    db.session.commit()
    assert browser.get("/@ana").status_code == 404


def test_each_language_has_its_own_cached_page(browser: Browser, shop: Shop, renders: list[str]) -> None:
    """A Portuguese visitor never gets the English HTML, and each language's page is cached too."""
    browser.get("/@ana", headers={"Accept-Language": "pt-BR"})
    rendered_for_portuguese = len(renders)
    english = browser.get("/@ana", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert len(renders) > rendered_for_portuguese
    rendered_for_both = len(renders)
    portuguese = browser.get("/@ana", headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    browser.get("/@ana", headers={"Accept-Language": "en"})
    assert len(renders) == rendered_for_both
    assert "Adicionar ao carrinho" in portuguese and "Adicionar ao carrinho" not in english


@pytest.fixture
def whole_page_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The whole pages rendered for visitors who see them alike (a cache hit renders none)."""
    return spy_on_renders(monkeypatch, "render_page_with_holes", whole_pages)


def test_shop_page_is_served_whole_from_the_cache_to_a_visitor_who_is_not_signed_in(
    app: Any, shop: Shop, whole_page_renders: list[str]
) -> None:
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first_page = page(first)
    second_page = page(second)
    assert whole_page_renders == ["shops/public.html"]
    assert TOKEN.sub("", first_page) == TOKEN.sub("", second_page)


def test_shop_page_served_whole_carries_each_visitors_own_working_token(app: Any, shop: Shop) -> None:
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first_tokens, second_tokens = set(TOKEN.findall(page(first))), set(TOKEN.findall(page(second)))
    assert len(first_tokens) == 1 and len(second_tokens) == 1 and first_tokens != second_tokens
    form = {"product_id": product("TEE-1").id, "quantity": 1, "shop": "ana", "next": "/@ana"}
    assert second.post("/cart/add", {**form, "csrf_token": first_tokens.pop()}, csrf=False).status_code == 400
    assert second.post("/cart/add", {**form, "csrf_token": second_tokens.pop()}, csrf=False).status_code == 302


def test_shop_page_shows_a_visitors_cart_and_message_after_others_got_the_whole_page(app: Any, shop: Shop) -> None:
    page(Browser(app.test_client()))  # cached whole for visitors with an empty cart
    shopper = Browser(app.test_client())
    shopper.add_to_cart(product("MUG-1").id, 2, shop="ana", next="/@ana")
    with_message = page(shopper)
    assert "Added “Stone Mug” to your cart." in with_message and 'aria-label="2 items"' in with_message
    again = page(shopper)
    assert "Added “Stone Mug”" not in again and 'aria-label="2 items"' in again


def test_shop_page_with_a_query_string_is_rendered_for_its_visitor(
    app: Any, shop: Shop, whole_page_renders: list[str]
) -> None:
    page(Browser(app.test_client()))
    portuguese = page(Browser(app.test_client()), "/@ana?lang=pt_BR")
    assert "Adicionar ao carrinho" in portuguese and 'name="next" value="/@ana?lang=pt_BR"' in portuguese
    assert whole_page_renders == ["shops/public.html"]

