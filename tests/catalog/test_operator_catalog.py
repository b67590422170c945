"""The operator's catalog pages: list, search and export, create and edit, CSV import; operators only."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from commissions import rules
from commissions.models import RateScope
from storefront.accounts.models import Role
from storefront.audit.models import AuditEntry
from storefront.catalog import admin
from storefront.catalog.models import Category, Product
from storefront.extensions import db
from tests.conftest import Browser

IMPORT_HEADER = "sku,title,description,price,currency,category,stock,active,featured,image\n"


@pytest.fixture
def operator(app: Flask, create_user: Any) -> Browser:
    create_user(email="op@example.com", role=Role.OPERATOR)
    browser = Browser(app.test_client())
    browser.log_in("op@example.com")
    return browser


@pytest.fixture
def apparel(create_category: Any) -> Category:
    category = create_category("Apparel")
    db.session.commit()
    return category


def product_form(category: Category, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "sku": "TEE-1", "title": "Linen Tee", "description": "Soft and cool.", "price": "24.90",
        "category_id": category.id, "new_category": "", "stock": "12", "active": "y", "commission_rate": "",
    }
    form.update(overrides)
    return form


def product_by_sku(sku: str) -> Product | None:
    return db.session.scalar(select(Product).where(Product.sku == sku))


def product_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Product)) or 0


def upload(browser: Browser, body: str | bytes, name: str = "catalog.csv") -> Any:
    """Post the file as multipart form data, encoded in memory (the test client would spool a large body
    to a temporary file it never closes)."""
    data = body.encode() if isinstance(body, str) else body
    boundary, encoded = encode_multipart({"csrf_token": browser.csrf_token(), "file": FileStorage(io.BytesIO(data), name, content_type="text/csv")})
    return browser.client.post("/operator/catalog/import", data=encoded, content_type=f"multipart/form-data; boundary={boundary}")


def test_an_operator_creates_a_product_that_appears_in_the_store(operator: Browser, apparel: Category, browser: Browser) -> None:
    response = operator.post("/operator/catalog/new", product_form(apparel, sku="tee-1"))
    assert response.status_code == 302
    product = product_by_sku("TEE-1")  # stored upper-case, as the importer stores SKUs
    assert product is not None
    assert (product.title, product.slug, product.price_minor, product.currency, product.stock) == ("Linen Tee", "linen-tee", 2490, "USD", 12)
    assert product.active and not product.featured and product.category_id == apparel.id
    page = browser.get("/products/linen-tee")
    assert page.status_code == 200 and "Linen Tee" in page.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.create"))
    assert entry is not None and (entry.subject_type, entry.subject_id) == ("product", product.id)
    assert entry.details["price_minor"] == 2490


def test_a_new_product_can_open_a_new_category(operator: Browser, apparel: Category) -> None:
    response = operator.post("/operator/catalog/new", product_form(apparel, category_id=0, new_category="Home & Kitchen"))
    assert response.status_code == 302
    product = product_by_sku("TEE-1")
    assert product is not None and product.category.name == "Home & Kitchen" and product.category.slug == "home-kitchen"


def test_an_operator_edits_price_and_stock(operator: Browser, create_product: Any) -> None:
    product = create_product(title="Stone Mug", price_minor=2500, stock=10)
    form = product_form(product.category, title="Stone Mug", price="19.90", stock="3")
    del form["sku"]
    response = operator.post(f"/operator/catalog/{product.id}/edit", form)
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Product, product.id)
    assert edited is not None and (edited.price_minor, edited.stock, edited.sku) == (1990, 3, product.sku)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "product.update"))
    assert entry is not None and entry.subject_id == product.id
    assert entry.details["price_minor"] == {"from": 2500, "to": 1990}
    assert entry.details["stock"] == {"from": 10, "to": 3}


def test_the_edit_page_shows_the_current_values(operator: Browser, create_product: Any) -> None:
    product = create_product(title="Stone Mug", price_minor=1990)
    page = operator.get(f"/operator/catalog/{product.id}/edit").get_data(as_text=True)
    assert 'value="19.90"' in page and 'value="Stone Mug"' in page


def test_an_operator_sets_and_clears_a_products_commission_rate(app: Flask, operator: Browser, create_product: Any) -> None:
    product = create_product(title="Stone Mug")
    form = product_form(product.category, title="Stone Mug", commission_rate="7.5")
    del form["sku"]
    default_bps = app.config["COMMISSION_DEFAULT_BPS"]
    assert operator.post(f"/operator/catalog/{product.id}/edit", form).status_code == 302
    quote = rules.base_rate(product, default_bps)
    assert (quote.base_bps, quote.source) == (750, "product")
    assert "7.5%" in operator.get("/operator/catalog").get_data(as_text=True)
    assert operator.post(f"/operator/catalog/{product.id}/edit", {**form, "commission_rate": ""}).status_code == 302
    assert rules.base_rate(product, default_bps).source == "default"
    changes = [e.details.get("commission_rate_bps") for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "product.update").order_by(AuditEntry.id))]
    assert changes == [{"from": None, "to": 750}, {"from": 750, "to": None}]


@pytest.mark.parametrize("rate", ["101", "7.555", "-1", "abc"])
def test_a_bad_commission_rate_is_refused(operator: Browser, apparel: Category, rate: str) -> None:
    response = operator.post("/operator/catalog/new", product_form(apparel, commission_rate=rate))
    assert response.status_code == 400
    assert "percentage from 0 to 100" in response.get_data(as_text=True)
    assert product_count() == 0


def test_a_duplicate_sku_is_refused_with_a_message(operator: Browser, create_product: Any) -> None:
    existing = create_product(sku="TEE-1", title="Old Tee")
    response = operator.post("/operator/catalog/new", product_form(existing.category, sku="tee-1", title="New Tee"))
    assert response.status_code == 400
    assert "A product with SKU TEE-1 exists already." in response.get_data(as_text=True)
    assert product_count() == 1


@pytest.mark.parametrize("price", ["abc", "1.999", "-5.00", "", "1e3", "12,50"])
def test_a_bad_price_is_refused(operator: Browser, apparel: Category, price: str) -> None:
    response = operator.post("/operator/catalog/new", product_form(apparel, price=price))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="price-error"' in page
    assert product_count() == 0


@pytest.mark.parametrize(("field", "value", "message"), [
    ("stock", "1000001", "Stock is a whole number from 0 to 1,000,000."),
    ("stock", "-1", "Stock is a whole number from 0 to 1,000,000."),
    ("category_id", "999999", "Not a valid choice"),
    ("category_id", "0", "Choose a category, or name a new one below."),
    ("sku", "-SUM", "starting with a letter or digit"),
    ("sku", "A" * 65, "at most 64 characters"),
    ("title", "", "Give the product a title."),
])
def test_other_bad_input_is_refused_with_a_field_error(operator: Browser, apparel: Category, field: str, value: str, message: str) -> None:
    response = operator.post("/operator/catalog/new", product_form(apparel, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert product_count() == 0


def test_the_list_searches_sku_and_title(operator: Browser, create_product: Any) -> None:
    create_product(sku="MUG-1", title="Stone Mug")
    create_product(sku="TEE-1", title="Linen Tee")
    create_product(sku="CAP-1", title="100% Wool_Cap")
    page = operator.get("/operator/catalog?q=mug").get_data(as_text=True)
    assert "Stone Mug" in page and "Linen Tee" not in page
    page = operator.get("/operator/catalog?q=tee-1").get_data(as_text=True)
    assert "Linen Tee" in page and "Stone Mug" not in page
    page = operator.get("/operator/catalog?q=%25").get_data(as_text=True)  # a literal "%", not a wildcard
    assert "Wool_Cap" in page and "Linen Tee" not in page


def test_the_list_is_paginated(operator: Browser, create_product: Any) -> None:
    for number in range(admin.PER_PAGE + 1):
        create_product(sku=f"P-{number:03d}", title=f"Item {number:03d}")
    first = operator.get("/operator/catalog").get_data(as_text=True)
    assert "P-000" in first and f"P-{admin.PER_PAGE - 1:03d}" in first and f"P-{admin.PER_PAGE:03d}" not in first
    assert "Page 1 of 2" in first
    second = operator.get("/operator/catalog?page=2").get_data(as_text=True)
    assert f"P-{admin.PER_PAGE:03d}" in second and "P-000" not in second
    assert operator.get("/operator/catalog?page=999").status_code == 200  # clamped to the last page


def test_the_csv_export_defuses_formulas_and_follows_the_search(operator: Browser, create_product: Any, database: Any) -> None:
    risky = create_product(sku="EVIL-1", title='=HYPERLINK("http://x")', price_minor=1990, stock=4, featured=True)
    create_product(sku="MUG-1", title="Stone Mug")
    rules.set_rate(RateScope.PRODUCT, risky.id, 750)
    database.session.commit()
    response = operator.get("/operator/catalog.csv?q=evil")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["sku", "title", "price", "currency", "category", "stock", "active", "featured", "commission_rate_percent"]
    assert rows[1:] == [["EVIL-1", "'=HYPERLINK(\"http://x\")", "19.90", "USD", "Apparel", "4", "true", "true", "7.50"]]


def test_importing_a_good_csv_creates_and_updates(operator: Browser, create_product: Any) -> None:
    create_product(sku="MUG-1", title="Stone Mug", price_minor=900)
    body = IMPORT_HEADER + "TEE-1,Linen Tee,,24.90,USD,Apparel,12,true,false,\nMUG-1,Stone Mug,,9.50,USD,Apparel,3,,,\n"
    response = upload(operator, body)
    assert response.status_code == 302
    flashed = operator.get("/operator/catalog").get_data(as_text=True)
    assert "1 created, 1 updated" in flashed
    assert product_by_sku("TEE-1") is not None
    mug = product_by_sku("MUG-1")
    assert mug is not None and mug.price_minor == 950
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "catalog.import"))
    assert entry is not None and entry.details["created"] == 1 and entry.details["updated"] == 1


def test_importing_a_csv_with_a_bad_row_imports_nothing_and_names_the_line(operator: Browser) -> None:
    body = IMPORT_HEADER + "TEE-1,Linen Tee,,24.90,USD,Apparel,12,true,false,\nTEE-2,Wool Tee,,24.999,USD,Apparel,12,true,false,\n"
    response = upload(operator, body)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "Line 3: price" in page
    assert product_count() == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "catalog.import")) is None


def test_importing_a_file_over_2_mb_is_refused(operator: Browser) -> None:
    response = upload(operator, IMPORT_HEADER + "x" * (2 * 1024 * 1024))
    assert response.status_code == 400 and "larger than 2 MB" in response.get_data(as_text=True)


def test_importing_without_a_file_is_refused(operator: Browser) -> None:
    response = operator.client.post("/operator/catalog/import", data={"csrf_token": operator.csrf_token()},
                                    content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a CSV file to import." in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["customer", "curator"])
def test_customers_and_curators_get_403_everywhere(app: Flask, create_user: Any, create_shop: Any, create_product: Any, who: str) -> None:
    product = create_product()
    user = create_user(email="ana@example.com")
    if who == "curator":
        create_shop(product, user=user)
    browser = Browser(app.test_client())
    browser.log_in("ana@example.com")
    for url in ("/operator/catalog", "/operator/catalog.csv", "/operator/catalog/new", f"/operator/catalog/{product.id}/edit"):
        assert browser.get(url).status_code == 403, url
    for url in ("/operator/catalog/new", f"/operator/catalog/{product.id}/edit"):
        assert browser.post(url, product_form(product.category, sku="HACK-1", title="Hacked", price="0.01")).status_code == 403, url
    assert upload(browser, IMPORT_HEADER + "HACK-2,Hacked,,0.01,USD,Apparel,1,,,\n").status_code == 403
    db.session.expire_all()
    assert product_count() == 1 and db.session.get(Product, product.id).title != "Hacked"  # type: ignore[union-attr]


def test_signed_out_visitors_are_sent_to_log_in(browser: Browser) -> None:
    assert browser.get("/operator/catalog").status_code == 302


def test_editing_a_missing_product_is_404(operator: Browser) -> None:
    assert operator.get("/operator/catalog/999999/edit").status_code == 404
