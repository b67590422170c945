"""The database being down: every page answers 503 with a friendly message and Retry-After, never a 500."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from storefront import outage
from storefront.extensions import db
from tests.unreachable_database import unreachable_database


def test_product_page_answers_503_with_a_message_and_retry_after(browser: Any, create_product: Any) -> None:
    product = create_product(title="Linen shirt")
    with unreachable_database():
        response = browser.get(f"/products/{product.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    assert response.mimetype == "text/html"
    assert "We are briefly unavailable" in page and "Please try again in a minute." in page
    assert f"Reference: <code>{response.headers['X-Request-ID']}</code>" in page


def test_a_signed_in_visitor_gets_the_503_page_not_a_500(browser: Any, create_product: Any) -> None:
    product = create_product()
    browser.sign_up("ana@example.com")
    with unreachable_database():
        response = browser.get(f"/products/{product.slug}")
    assert response.status_code == 503
    assert "Log in" in response.get_data(as_text=True)  # the page is drawn without asking the database who is signed in


def test_api_answers_503_problem_json(browser: Any) -> None:
    with unreachable_database():
        response = browser.get("/api/v1/products")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    assert response.json["status"] == 503 and response.json["title"] == "Service unavailable"
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_healthz_still_answers_503(browser: Any) -> None:
    with unreachable_database():
        response = browser.get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_a_connection_lost_mid_request_rolls_back_what_was_written(browser: Any, create_product: Any, monkeypatch: Any) -> None:
    # given a request whose session wrote something, then lost the database
    from storefront.catalog.models import Product

    product = create_product(title="Before")
    product_id, slug = product.id, product.slug

    def write_then_lose_the_connection(slug: str) -> Any:
        found = db.session.get(Product, product_id)
        found.title = "Half-written"
        db.session.flush()
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setitem(browser.client.application.view_functions, "catalog.product", write_then_lose_the_connection)
    # when
    response = browser.get(f"/products/{slug}")
    # then
    assert response.status_code == 503
    assert db.session.get(Product, product_id).title == "Before"


@pytest.mark.parametrize("error", [
    OperationalError("SELECT 1", {}, Exception("could not connect to server")),
    outage.DisconnectionError("connection invalidated"),
])
def test_every_unavailable_error_answers_503(browser: Any, create_product: Any, monkeypatch: Any, error: Exception) -> None:
    def unavailable(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    product = create_product()
    monkeypatch.setattr(db.session, "execute", unavailable)
    monkeypatch.setattr(db.session, "scalar", unavailable)
    monkeypatch.setattr(db.session, "scalars", unavailable)
    response = browser.get(f"/products/{product.slug}")
    assert response.status_code == 503 and "Retry-After" in response.headers


def test_the_outage_log_line_names_the_request_but_not_the_statement(browser: Any, create_product: Any, caplog: Any) -> None:
    product = create_product()
    with caplog.at_level(logging.ERROR, logger="storefront.web"), unreachable_database():
        response = browser.get(f"/products/{product.slug}")
    [record] = [r for r in caplog.records if r.name == "storefront.web"]
    assert record.request_id == response.headers["X-Request-ID"]
    assert "OperationalError" in record.getMessage() and "SELECT" not in record.getMessage()


def test_a_signed_in_visitor_gets_the_404_page_not_a_500_while_the_database_is_down(browser: Any) -> None:
    browser.sign_up("ana@example.com")
    with unreachable_database():
        response = browser.get("/no/such/page")
    assert response.status_code == 404 and "We could not find that page" in response.get_data(as_text=True)


def test_a_signed_in_api_client_gets_503_problem_json(browser: Any) -> None:
    """The reader's language setting needs the database too: it must not turn the 503 into a 500."""
    browser.sign_up("ana@example.com")
    with unreachable_database():
        response = browser.get("/api/v1/products", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"]


def test_a_signed_in_visitor_gets_the_503_page_in_their_browsers_language(browser: Any, create_product: Any) -> None:
    product = create_product(title="Linen Tee", sku="TEE-1")
    browser.sign_up("ana@example.com")
    with unreachable_database():
        response = browser.get(f"/products/{product.slug}", headers={"Accept-Language": "pt-BR"})
    assert response.status_code == 503
    assert '<html lang="pt-BR">' in response.get_data(as_text=True)
