"""On PostgreSQL with real transactions: clicks landing together on one link's hour are all counted."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from commissions.analytics import cli as analytics
from share.models import Channel, LinkHour, LinkTarget
from storefront.extensions import db
from tests.commissions.test_concurrency import THREADS, run_at_once
from tests.conftest import empty_every_table, on_postgresql

pytestmark = on_postgresql


@pytest.fixture
def committed_link(app: Any) -> Iterator[str]:
    from share.services import get_or_create_link
    from storefront.accounts.services import create_user
    from storefront.catalog.models import Category, Product
    from storefront.shops import services as shops

    with app.test_request_context():
        product = Product(sku="RUSH-1", slug="rush-1", title="Rush", price_minor=1000, currency="USD", stock=10,
                          category=Category(name="Rush", slug="rush"))
        db.session.add(product)
        curator = create_user("rush@example.com", "Rush", "correct horse battery")
        db.session.flush()
        shop = shops.open_shop(curator.id, "rush", "Rush")
        shops.add_item(shop, product.id, max_items=60)
        shops.publish_shop(shop)
        code = get_or_create_link(shop, LinkTarget.SHOP, 0, Channel.WHATSAPP).code
        db.session.commit()
        db.session.remove()
    yield code
    empty_every_table()


def test_simultaneous_clicks_on_one_link_are_each_counted(app: Any, committed_link: str) -> None:
    from share.services import ClickFacts, record_click, resolve_link

    visitors = itertools.count()

    def click() -> int:
        link = resolve_link(committed_link)
        return record_click(link, ClickFacts(f"visitor-{next(visitors)}", "", "mobile", "hash", None)).id

    results = run_at_once(app, click)
    assert all(isinstance(result, int) for result in results), results
    with app.test_request_context():
        clicks, unique = db.session.execute(select(func.sum(LinkHour.clicks), func.sum(LinkHour.visitors))).one()
        assert (clicks, unique) == (THREADS, THREADS)
        assert analytics.differences() == []
        db.session.remove()
