"""No page makes more queries for more items: the shop, look and product pages cost the same for 6 and 60."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from storefront.extensions import db
from storefront.shops import services
from tests.conftest import Browser

SIZES = (6, 60)


@contextmanager
def counted_statements() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def curated_shop(create_shop: Any, create_product: Any, create_category: Any) -> Callable[[int], Any]:
    """A public shop of `size` products (several categories, one sold out), each with a note, all in one look."""

    def create(size: int) -> Any:
        categories = [create_category() for _ in range(3)]
        products = [
            create_product(category=categories[number % 3], stock=0 if number == 1 else 10) for number in range(size)
        ]
        shop = create_shop(*products, handle=f"shop-of-{size}", notes={p.id: f"Why I love {p.title}" for p in products})
        services.create_look(shop, title="Everything", description="All of it", product_ids=[p.id for p in products])
        db.session.commit()
        return shop

    return create


def visitor(app: Any, create_user: Any, signed_in: bool) -> Browser:
    browser = Browser(app.test_client())
    if signed_in:
        create_user(email="visitor@example.com")
        browser.log_in("visitor@example.com")
    return browser


def query_count(browser: Browser, path: str, expected_text: str) -> int:
    browser.get(path)  # warm up: the session, the CSRF token, the page cache all settle on the first visit
    with counted_statements() as statements:
        response = browser.get(path)
    assert response.status_code == 200 and expected_text in response.get_data(as_text=True)
    return len(statements)


def uncached_query_count(browser: Browser, path: str, expected_text: str) -> int:
    browser.get(path)
    browser.client.application.extensions["page_cache"].clear()
    with counted_statements() as statements:
        response = browser.get(path)
    assert response.status_code == 200 and expected_text in response.get_data(as_text=True)
    return len(statements)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("count", [query_count, uncached_query_count], ids=["cached", "rendered"])
def test_shop_page_query_count_does_not_grow_with_items(
    app: Any, create_user: Any, curated_shop: Any, signed_in: bool, count: Any
) -> None:
    # given two shops, of 6 and of 60 noted items in a look
    shops = {size: curated_shop(size) for size in SIZES}
    browser = visitor(app, create_user, signed_in)
    # when a visitor opens each
    counts = {size: count(browser, f"/@{shop.handle}", "Why I love") for size, shop in shops.items()}
    # then both cost the same number of statements
    assert counts[6] == counts[60], counts


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_look_page_query_count_does_not_grow_with_items(app: Any, create_user: Any, curated_shop: Any, signed_in: bool) -> None:
    shops = {size: curated_shop(size) for size in SIZES}
    browser = visitor(app, create_user, signed_in)
    counts = {size: query_count(browser, f"/@{shop.handle}/looks/everything", "Why I love") for size, shop in shops.items()}
    assert counts[6] == counts[60], counts


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_product_page_query_count_does_not_grow_with_recommendations(
    app: Any, create_user: Any, create_product: Any, create_shop: Any, signed_in: bool
) -> None:
    # given one product picked by one shop, another picked by many shops, all with notes
    lonely, popular = create_product(), create_product()
    create_shop(lonely, notes={lonely.id: "Lovely"})
    for _ in range(6):
        create_shop(popular, notes={popular.id: "Lovely"})
    browser = visitor(app, create_user, signed_in)
    # then their pages cost the same
    counts = {p.id: query_count(browser, f"/products/{p.slug}", "Lovely") for p in (lonely, popular)}
    assert counts[lonely.id] == counts[popular.id], counts


def test_shop_page_from_the_cache_costs_fewer_queries(app: Any, create_user: Any, curated_shop: Any) -> None:
    shop = curated_shop(6)
    browser = visitor(app, create_user, signed_in=False)
    rendered = uncached_query_count(browser, f"/@{shop.handle}", "Why I love")
    cached = query_count(browser, f"/@{shop.handle}", "Why I love")
    assert cached < rendered, (cached, rendered)
