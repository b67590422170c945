"""Shared fixtures: a migrated database per run, a rolled-back transaction per test, factories."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from storefront import clock, create_app
from storefront.config import normalize_database_url
from storefront.extensions import create_database_engine, db
from tests.i18n.catalogs import compile_stale_catalogs

TEST_DATABASE_URL = normalize_database_url(os.environ["TEST_DATABASE_URL"]) if os.environ.get("TEST_DATABASE_URL") else None
on_postgresql = pytest.mark.skipif(TEST_DATABASE_URL is None, reason="needs PostgreSQL: set TEST_DATABASE_URL")


def reset_postgresql(url: str) -> None:
    engine = create_database_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def open_published_shop(name: str, *, look: str | None = None) -> Any:
    """A curator `<name>@example.com` with a published shop @<name> of one product (`<name>-1`) and maybe a look,
    flushed, for tests that commit for real (call it in a request context; empty_every_table() cleans up)."""
    from storefront.accounts.services import create_user
    from storefront.catalog.models import Category, Product
    from storefront.shops import services as shops

    product = Product(sku=f"{name.upper()}-1", slug=f"{name}-1", title=name.title(), price_minor=1000, currency="USD",
                      stock=10, category=Category(name=name.title(), slug=name))
    db.session.add(product)
    curator = create_user(f"{name}@example.com", name.title(), "correct horse battery")
    db.session.flush()
    shop = shops.open_shop(curator.id, name, name.title())
    shops.add_item(shop, product.id, max_items=60)
    if look:
        shops.create_look(shop, title=look, description="", product_ids=[product.id])
    shops.publish_shop(shop)
    return shop


def empty_every_table() -> None:
    """After a test that committed for real on PostgreSQL: empty every table, the append-only ledger included.

    The ledger's triggers refuse TRUNCATE; replica mode (we connect as a superuser) is how
    an administrator, and only one, gets past them.
    """
    from storefront.extensions import Base

    db.session.remove()
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def migrate(url: str, revision: str = "head") -> None:
    from alembic import command

    from storefront.cli import alembic_config

    command.upgrade(alembic_config(url), revision)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        reset_postgresql(TEST_DATABASE_URL)
        url = TEST_DATABASE_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'vitrine-test.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    # `make test` compiles them; a bare `pytest` after editing a .po file must not test the old ones.
    compile_stale_catalogs()
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "CURRENCY": "USD",
            "SHIPPING_FLAT_MINOR": 500,
            "SHIPPING_FREE_FROM_MINOR": 10_000,
            "ORDER_PAYMENT_TIMEOUT_MINUTES": 30,
            "SHARE_CLICK_RATE_LIMIT": "10000 per minute",
        }
    )


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters (memory storage) start empty in every test."""
    from storefront import throttle
    from storefront.extensions import limiter

    yield
    if limiter.initialized:
        limiter.reset()
    throttle.local_counts.reset()


@pytest.fixture
def database(app: Flask) -> Iterator[Any]:
    """Each test runs inside one outer transaction that is rolled back; commits become savepoints."""
    connection = db.engine.connect()
    outer = connection.begin()
    settings = dict(db.session_factory.kw)
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    # No app context is held here: the test client's requests must each get their own `g`.
    try:
        yield db
    finally:
        db.session.remove()
        outer.rollback()
        connection.close()
        db.session_factory.kw = settings
        # Rolled-back ids and versions come back in the next test: pages cached under them must not.
        app.extensions["page_cache"].clear()


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[FrozenClock]:
    """Time stands still unless a test moves it."""
    frozen = FrozenClock(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    previous = clock.set_source(frozen.now)
    yield frozen
    clock.set_source(previous)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A test client that fills in the CSRF token the way a real form would."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self._token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            match = _CSRF.search(self.client.get("/login").get_data(as_text=True))
            assert match, "no CSRF token on the log-in page"
            self._token = match.group(1)
        return self._token

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.get(*args, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token())
        return self.client.post(url, data=form, **kwargs)

    def sign_up(self, email: str = "ana@example.com", password: str = "correct horse battery", name: str = "Ana") -> Any:
        response = self.post("/signup", {"email": email, "display_name": name, "password": password, "confirm": password})
        self._token = None  # signing up starts a new session, with a new token
        return response

    def log_in(self, email: str, password: str = "correct horse battery") -> Any:
        response = self.post("/login", {"email": email, "password": password})
        self._token = None  # logging in starts a new session, with a new token
        return response

    def add_to_cart(self, product_id: int, quantity: int = 1, **extra: Any) -> Any:
        return self.post("/cart/add", {"product_id": product_id, "quantity": quantity, **extra})

    def check_out(self, **overrides: Any) -> Any:
        return self.post("/checkout", {**CUSTOMER_FORM, **overrides})

    def pay(self, payment_url: str, card: str = "4242 4242 4242 4242") -> Any:
        return self.post(payment_url, {"card_number": card, "expiry": "12/30", "cvc": "123"})


CUSTOMER_FORM = {
    "email": "friend@example.com", "name": "Bia Souza", "address_line1": "Rua Augusta 100",
    "address_line2": "", "city": "São Paulo", "region": "SP", "postal_code": "01304-000", "country": "BR",
}


@pytest.fixture
def request_context(app: Flask, database: Any) -> Iterator[None]:
    """For tests that call services needing the app (its config, url_for, providers)."""
    with app.test_request_context():
        yield


@pytest.fixture
def browser(app: Flask, database: Any) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def runner(app: Flask, database: Any) -> Any:
    return app.test_cli_runner()


@dataclass
class Factories:
    counter: int = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter


@pytest.fixture
def create_category(database: Any) -> Callable[..., Any]:
    from storefront.catalog.models import Category

    made = Factories()

    def create(name: str | None = None) -> Category:
        number = made._next()
        name = name or f"Category {number}"
        category = Category(name=name, slug=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"), position=number)
        db.session.add(category)
        db.session.flush()
        return category

    return create


@pytest.fixture
def create_product(database: Any, create_category: Callable[..., Any]) -> Callable[..., Any]:
    from storefront.catalog.models import Product

    made = Factories()
    default_category: list[Any] = []

    def create(**fields: Any) -> Product:
        number = made._next()
        if "category" not in fields and "category_id" not in fields:
            if not default_category:
                default_category.append(create_category("Apparel"))
            fields["category"] = default_category[0]
        values: dict[str, Any] = {
            "sku": f"SKU-{number:04d}", "slug": f"product-{number}", "title": f"Product {number}",
            "description": "A fine product.", "price_minor": 2500, "currency": "USD", "stock": 10,
            "active": True, "featured": False, "image": "",
        }
        values.update(fields)
        product = Product(**values)
        db.session.add(product)
        db.session.commit()
        return product

    return create


@pytest.fixture
def create_user(database: Any) -> Callable[..., Any]:
    from storefront.accounts import services
    from storefront.accounts.models import Role

    made = Factories()

    def create(email: str | None = None, password: str = "correct horse battery", role: Role = Role.CUSTOMER) -> Any:
        user = services.create_user(email or f"user{made._next()}@example.com", "Test User", password, role=role)
        db.session.commit()
        return user

    return create


@pytest.fixture
def place_order(app: Flask, database: Any, create_product: Callable[..., Any]) -> Callable[..., Any]:
    """Place a pending order straight through the service (stock reserved), for tests past checkout."""
    from storefront.checkout.services import StoreSettings
    from storefront.orders import services
    from storefront.orders.services import CustomerDetails, RequestedLine

    def place(*lines: tuple[Any, int], user_id: int | None = None) -> Any:
        if not lines:
            lines = ((create_product(), 1),)
        settings = StoreSettings.from_config(app.config)
        customer = CustomerDetails(**{k: v for k, v in CUSTOMER_FORM.items()})
        order = services.place_order(
            [RequestedLine(product.id, quantity) for product, quantity in lines], customer, user_id=user_id,
            currency=settings.currency, shipping=settings.shipping, payment_timeout=settings.payment_timeout,
        )
        db.session.commit()
        return order

    return place


@pytest.fixture
def demo_catalog_path() -> Path:
    return Path(__file__).resolve().parent.parent / "storefront" / "catalog" / "demo" / "catalog.csv"


@pytest.fixture
def create_shop(database: Any, create_user: Any, create_product: Callable[..., Any]) -> Callable[..., Any]:
    """A shop (published unless told otherwise) holding the given products, each with an optional note.

    A published shop needs a product: one is made when none is given.
    """
    from storefront.shops import services

    made = Factories()

    def create(*products: Any, user: Any = None, handle: str | None = None, published: bool = True, notes: dict[int, str] | None = None) -> Any:
        number = made._next()
        owner = user or create_user(email=f"curator{number}@example.com")
        shop = services.open_shop(owner.id, handle or f"curator-{number}", f"Curator {number}")
        if published and not products:
            products = (create_product(),)
        for product in products:
            services.add_item(shop, product.id, max_items=60, note=(notes or {}).get(product.id, ""))
        if published:
            services.publish_shop(shop)
        db.session.commit()
        return shop

    return create
