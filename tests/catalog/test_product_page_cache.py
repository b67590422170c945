"""The product page a shared link opens: rendered once for the visitors who all see it alike, new at once after any
change it shows, never one visitor's token, cart or account for another."""
from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from storefront import whole_pages
from storefront.catalog import admin
from storefront.catalog.models import Category, Product
from storefront.money import Money
from storefront.shops import services as shops
from tests.conftest import Browser

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The whole pages rendered for visitors who see them alike (a cache hit renders none)."""
    rendered: list[str] = []
    original = whole_pages.render_page_with_holes

    def spy(template_name: str, **context: Any) -> Any:
        rendered.append(template_name)
        return original(template_name, **context)

    monkeypatch.setattr(whole_pages, "render_page_with_holes", spy)
    return rendered


@pytest.fixture
def tee(create_product: Any, create_shop: Any) -> Product:
    product = create_product(title="Linen Tee", slug="linen-tee", stock=3)
    create_shop(product, handle="ana", notes={product.id: "I wear it every day"})
    return product


def page(browser: Browser, path: str = "/products/linen-tee") -> str:
    response = browser.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def visitor(app: Any) -> Browser:
    return Browser(app.test_client())


def test_visitors_who_see_it_alike_get_one_render(app: Any, tee: Product, renders: list[str]) -> None:
    first, second = page(visitor(app)), page(visitor(app))
    assert renders == ["catalog/product.html"]
    assert TOKEN.sub("", first) == TOKEN.sub("", second) and "I wear it every day" in second


def test_each_visitor_gets_a_token_of_their_own_that_works(app: Any, tee: Product) -> None:
    first, second = visitor(app), visitor(app)
    first_token, second_token = TOKEN.findall(page(first)), TOKEN.findall(page(second))
    assert first_token != second_token
    form = {"product_id": tee.id, "quantity": 1, "next": "/products/linen-tee"}
    assert second.post("/cart/add", {**form, "csrf_token": first_token[0]}, csrf=False).status_code == 400
    assert second.post("/cart/add", {**form, "csrf_token": second_token[0]}, csrf=False).status_code == 302


def test_a_sale_that_leaves_fewer_units_shows_at_once(app: Any, tee: Product, place_order: Any) -> None:
    assert "Only 3 left" in page(visitor(app))
    place_order((tee, 1))  # moves the stock without a new product version
    assert "Only 2 left" in page(visitor(app))


def test_an_operators_edit_of_the_product_shows_at_once(app: Any, tee: Product, database: Any) -> None:
    assert "$25.00" in page(visitor(app))
    product = database.session.get(Product, tee.id)
    data = admin.ProductInput(title="Linen Tee", description="Washed linen.", price=Money(1990, "USD"), category_id=product.category_id,
                              new_category_name="", stock=product.stock, active=True, featured=False)
    admin.update_product(product, data, currency="USD", actor_user_id=None)
    database.session.commit()
    html = page(visitor(app))
    assert "Washed linen." in html and "$19.90" in html and "$25.00" not in html


def test_a_renamed_category_shows_at_once(app: Any, tee: Product, database: Any) -> None:
    page(visitor(app))
    database.session.execute(update(Category).where(Category.id == tee.category_id).values(name="Shirts and tees"))
    database.session.commit()
    assert "Shirts and tees" in page(visitor(app))


def test_a_curators_new_note_shows_at_once(app: Any, tee: Product, database: Any) -> None:
    page(visitor(app))
    shops.set_item_note(shops.find_shop_by_handle("ana"), tee.id, "Softer after every wash")
    database.session.commit()
    assert "Softer after every wash" in page(visitor(app))


def test_a_new_recommendation_shows_at_once(app: Any, tee: Product, create_shop: Any) -> None:
    page(visitor(app))
    create_shop(tee, handle="bia", notes={tee.id: "My summer favourite"})
    assert "My summer favourite" in page(visitor(app))


def test_a_signed_in_curator_sees_their_own_page(app: Any, tee: Product, create_user: Any, renders: list[str]) -> None:
    page(visitor(app))
    curator = visitor(app)
    create_user(email="caio@example.com")
    curator.log_in("caio@example.com")
    assert "Add to my shop" in page(curator) and renders == ["catalog/product.html"]


def test_a_shopper_with_a_cart_sees_it_after_others_got_the_cached_page(app: Any, tee: Product, create_product: Any) -> None:
    page(visitor(app))
    shopper = visitor(app)
    shopper.add_to_cart(create_product().id, 2, next="/products/linen-tee")
    page(shopper)  # shows, and so ends, the "Added to your cart" message
    assert 'aria-label="2 items"' in page(shopper)


def test_a_language_asked_in_the_query_is_rendered_for_its_visitor(app: Any, tee: Product, renders: list[str]) -> None:
    page(visitor(app))
    assert "Adicionar ao carrinho" in page(visitor(app), "/products/linen-tee?lang=pt_BR")
    assert renders == ["catalog/product.html"]


def test_a_visitor_whose_browser_asks_for_another_language_gets_that_page(app: Any, tee: Product) -> None:
    page(visitor(app))
    portuguese = visitor(app).get("/products/linen-tee", headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    assert "Adicionar ao carrinho" in portuguese
