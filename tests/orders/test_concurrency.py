"""Two shoppers, one last unit, on PostgreSQL with real transactions: exactly one order wins."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storefront.catalog.models import Category, Product
from storefront.extensions import db
from storefront.money import Money
from storefront.orders import services
from storefront.orders.models import Order
from storefront.orders.services import CustomerDetails, OutOfStock, RequestedLine, ShippingRule
from tests.conftest import CUSTOMER_FORM, empty_every_table, on_postgresql

pytestmark = on_postgresql

SHIPPING = ShippingRule(flat=Money(0, "USD"), free_from=Money(0, "USD"))


@pytest.fixture
def committed_product(app: Any) -> Iterator[int]:
    """A product committed for real (other connections must see it); every table emptied afterwards."""
    with Session(db.engine) as session:
        category = Category(name="Concurrency", slug="concurrency")
        product = Product(sku="LAST-1", slug="last-one", title="The Last One", price_minor=1000, currency="USD", stock=1, category=category)
        session.add(product)
        session.commit()
        product_id = product.id
    yield product_id
    empty_every_table()


def wait_until_a_backend_waits_on_a_lock(timeout_seconds: float = 10) -> bool:
    deadline = time.monotonic() + timeout_seconds
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
    with db.engine.connect() as connection:
        while time.monotonic() < deadline:
            if connection.execute(query).scalar():
                return True
            time.sleep(0.01)  # polling another backend's state; no fixed wait decides the outcome
    return False


def test_the_last_unit_cannot_be_sold_twice(committed_product: int) -> None:
    customer = CustomerDetails(**CUSTOMER_FORM)
    first_reserved, second_started = threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def checkout(name: str) -> None:
        try:
            if name == "second":
                first_reserved.wait(10)
                second_started.set()
            services.place_order(
                [RequestedLine(committed_product, 1)], customer, user_id=None, currency="USD",
                shipping=SHIPPING, payment_timeout=timedelta(minutes=30),
            )
            if name == "first":
                first_reserved.set()
                second_started.wait(10)
                # Hold the row lock until the second checkout is really blocked behind it.
                outcomes["second_blocked"] = str(wait_until_a_backend_waits_on_a_lock())
            db.session.commit()
            outcomes[name] = "ordered"
        except OutOfStock:
            db.session.rollback()
            outcomes[name] = "out of stock"
        except Exception as error:  # reported in the assertion below, not lost in the thread
            outcomes[name] = repr(error)
        finally:
            db.session.remove()

    threads = [threading.Thread(target=checkout, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes == {"first": "ordered", "second": "out of stock", "second_blocked": "True"}
    with Session(db.engine) as session:
        assert session.scalar(select(Product.stock).where(Product.id == committed_product)) == 0
        assert len(list(session.scalars(select(Order)))) == 1
