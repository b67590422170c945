"""Public pages only read, statement by statement: on SQLite beside a writer instead of queueing for the write lock,
on PostgreSQL without BEGIN and ROLLBACK."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from sqlalchemy import event, text

from storefront.extensions import db, reading_only
from tests.conftest import Browser, empty_every_table, on_postgresql, open_published_shop


@pytest.fixture
def sqlite_file(notes_engine: Any) -> Any:
    return notes_engine


def test_a_reading_transaction_does_not_wait_for_a_writer(sqlite_file: Any) -> None:
    writer = sqlite_file.connect()
    writer.begin()
    writer.execute(text("INSERT INTO notes VALUES ('not yet committed')"))  # holds the write lock
    try:
        with reading_only(), sqlite_file.connect() as reader:
            reader.connection.driver_connection.execute("PRAGMA busy_timeout=0")  # waiting would fail at once, not in 15 s
            with reader.begin():
                assert reader.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
    finally:
        writer.rollback()
        writer.close()


def begun_statements(engine: Any, reading: bool) -> list[str]:
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: sent.append(statement))
    with reading_only() if reading else nullcontext(), engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    return [statement for statement in sent if statement.startswith("BEGIN")]


def test_other_transactions_take_the_write_lock_up_front(sqlite_file: Any) -> None:
    assert begun_statements(sqlite_file, reading=False) == ["BEGIN IMMEDIATE"]


def test_reading_only_begins_no_transaction_on_sqlite(sqlite_file: Any) -> None:
    assert begun_statements(sqlite_file, reading=True) == []


@on_postgresql
def test_reading_only_runs_each_statement_on_its_own_on_postgresql(app: Any) -> None:
    # psycopg sends BEGIN by itself unless the connection is in autocommit
    with reading_only(), db.engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is True
    with db.engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is False


@pytest.mark.parametrize("page", ["home", "search", "discover", "shop", "product", "category"])
def test_public_pages_write_nothing(browser: Any, create_shop: Any, create_product: Any, page: str) -> None:
    tee = create_product(title="Linen Tee", sku="TEE-1")
    create_shop(tee, handle="ana")
    path = {"home": "/", "search": "/search?q=tee", "discover": "/discover", "shop": "/@ana",
            "product": f"/products/{tee.slug}", "category": f"/categories/{tee.category.slug}"}[page]
    writes: list[str] = []

    def spy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", spy)
    try:
        assert browser.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", spy)
    assert writes == []


@pytest.fixture
def committed_curator(app: Any) -> Iterator[str]:
    """A curator with a published shop and a look, committed for real; no share link made yet."""
    with app.test_request_context():
        open_published_shop("owner", look="Summer")
        db.session.commit()
        db.session.remove()
    yield "owner@example.com"
    empty_every_table()


@on_postgresql
@pytest.mark.parametrize("path", ["/@owner", "/@owner/looks/summer"])
def test_a_curators_own_public_page_makes_its_share_links_with_real_transactions(
    app: Any, committed_curator: str, path: str
) -> None:
    # The owner's share panel makes the page's links on first view: signed-in pages keep their transaction.
    browser = Browser(app.test_client())
    browser.log_in(committed_curator)
    response = browser.get(path)
    assert response.status_code == 200 and "/s/" in response.get_data(as_text=True)


@on_postgresql
@pytest.mark.parametrize("path", ["/", "/search?q=owner", "/discover", "/@owner", "/@owner/looks/summer", "/products/owner-1",
                                  "/categories/owner"])
def test_public_pages_answer_statement_by_statement_with_real_transactions(
    app: Any, committed_curator: str, path: str
) -> None:
    browser = Browser(app.test_client())
    assert browser.get(path).status_code == 200
    assert browser.get(path).status_code == 200  # the second visit, from the page cache where there is one
