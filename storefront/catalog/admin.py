"""What operators do to the catalog: find, create, edit and export products, and import a CSV file.

Every change records an audit entry; nothing here commits (the caller commits once, after
anything it does alongside, such as setting the product's commission rate).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from flask_babel import format_decimal, gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record_audit
from storefront.catalog.importer import ImportReport, _unique_slug, import_catalog_csv
from storefront.catalog.models import Category, Product
from storefront.catalog.services import slugify
from storefront.extensions import db
from storefront.listing import Page, clamp_page, contains_pattern
from storefront.money import Money

log = logging.getLogger(__name__)

PER_PAGE = 50
MAX_STOCK = 1_000_000
#: Letters, digits, "-" and "_", starting with a letter or digit (a leading "-" reads as a formula in a spreadsheet).
SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class ProductError(ValueError):
    """Input the catalog refuses; `field` names the form field it belongs to, the message is safe to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ProductInput:
    title: str
    description: str
    price: Money
    #: An existing category; ignored when new_category_name is given.
    category_id: int | None
    new_category_name: str
    stock: int
    active: bool
    featured: bool


# Finding --------------------------------------------------------------------------------------


def _filtered(text: str) -> Select[tuple[Product]]:
    """Products whose SKU or title holds every word of `text` (case-insensitive), active or not."""
    query = select(Product)
    for word in text.split()[:8]:
        pattern = contains_pattern(word)
        query = query.where(or_(Product.sku.ilike(pattern, escape="\\"), Product.title.ilike(pattern, escape="\\")))
    return query


def list_products(text: str, page: int, per_page: int = PER_PAGE) -> Page[Product]:
    query = _filtered(text)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    rows = db.session.scalars(query.order_by(Product.sku, Product.id).offset((page - 1) * per_page).limit(per_page))
    return Page(items=list(rows), page=page, per_page=per_page, total=total)


def find_product(product_id: int) -> Product | None:
    return db.session.get(Product, product_id)


def export_products(text: str) -> Iterator[Product]:
    """Every product the search matches, by SKU, read in batches."""
    yield from db.session.scalars(_filtered(text).order_by(Product.sku, Product.id).execution_options(yield_per=500))


def export_row(product: Product) -> list[str]:
    """sku, title, price, currency, category, stock, active, featured: raw values (the caller defuses formulas)."""
    return [
        product.sku, product.title, product.price.to_decimal_string(), product.currency, product.category.name,
        str(product.stock), "true" if product.active else "false", "true" if product.featured else "false",
    ]


# Changing -------------------------------------------------------------------------------------


def _category_for(data: ProductInput) -> Category:
    name = data.new_category_name.strip()
    if name:
        if len(name) > 80:
            raise ProductError("new_category", _("A category name has at most 80 characters."))
        existing = db.session.scalar(select(Category).where(func.lower(Category.name) == name.lower()))
        if existing is not None:
            return existing
        taken = set(db.session.scalars(select(Category.slug)))
        slug = base = slugify(name)[:70]
        number = 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        position = db.session.scalar(select(func.count()).select_from(Category)) or 0
        category = Category(name=name, slug=slug, position=position)
        db.session.add(category)
        db.session.flush()
        return category
    category = db.session.get(Category, data.category_id) if data.category_id else None
    if category is None:
        raise ProductError("category_id", _("Choose a category, or name a new one."))
    return category


def _check(data: ProductInput, currency: str) -> None:
    if not 1 <= len(data.title.strip()) <= 200:
        raise ProductError("title", _("A title has 1 to 200 characters."))
    if len(data.description) > 5000:
        raise ProductError("description", _("A description has at most 5,000 characters."))
    if data.price.currency != currency:
        raise ProductError("price", _("Prices are in the store's currency, %(currency)s.", currency=currency))
    if data.price.minor < 0:
        raise ProductError("price", _("A price cannot be negative."))
    if not 0 <= data.stock <= MAX_STOCK:
        raise ProductError("stock", _("Stock is a whole number from 0 to %(max)s.", max=format_decimal(MAX_STOCK)))


def _values(data: ProductInput, category: Category) -> dict[str, object]:
    return {
        "title": data.title.strip(), "description": data.description.strip(), "price_minor": data.price.minor,
        "currency": data.price.currency, "category_id": category.id, "stock": data.stock, "active": data.active,
        "featured": data.featured,
    }


def normalise_sku(sku: str) -> str:
    """SKUs are stored upper-case, as the importer stores them: "tee-1" and "TEE-1" are one product."""
    return sku.strip().upper()


def create_product(
    sku: str, data: ProductInput, *, currency: str, actor_user_id: int | None, extra_details: dict[str, object] | None = None
) -> Product:
    sku = normalise_sku(sku)
    if not SKU_PATTERN.match(sku):
        raise ProductError("sku", _("A SKU is 1 to 64 letters, digits, “-” or “_”, starting with a letter or digit."))
    if db.session.scalar(select(Product.id).where(func.upper(Product.sku) == sku)) is not None:
        raise ProductError("sku", _("A product with SKU %(sku)s exists already.", sku=sku))
    _check(data, currency)
    values = _values(data, _category_for(data))
    product = Product(sku=sku, slug=_unique_slug(data.title.strip(), sku, None), image="", **values)
    try:
        with db.session.begin_nested():
            db.session.add(product)
    except IntegrityError:
        raise ProductError("sku", _("A product with SKU %(sku)s was created at the same moment; look again.", sku=sku)) from None
    details: dict[str, object] = {"sku": sku, "slug": product.slug, **values}
    record_audit(actor_user_id=actor_user_id, action="product.create", subject_type="product", subject_id=product.id,
                 details={**details, **(extra_details or {})})
    return product


def update_product(
    product: Product, data: ProductInput, *, currency: str, actor_user_id: int | None, extra_details: dict[str, object] | None = None
) -> dict[str, object]:
    """Apply the form's values; returns (and audits) what changed, as {field: {"from": old, "to": new}}."""
    _check(data, currency)
    values = _values(data, _category_for(data))
    if values["title"] != product.title:
        values["slug"] = _unique_slug(str(values["title"]), product.sku, product.id)
    changes: dict[str, object] = {}
    for name, value in values.items():
        old = getattr(product, name)
        if old != value:
            changes[name] = {"from": old, "to": value}
            setattr(product, name, value)
    db.session.flush()
    if "category_id" in changes:
        db.session.expire(product, ["category"])
    details = {**changes, **(extra_details or {})}
    record_audit(actor_user_id=actor_user_id, action="product.update", subject_type="product", subject_id=product.id, details=details)
    return details


def import_catalog(stream: IO[bytes], currency: str, *, actor_user_id: int | None, update_stock: bool = False) -> ImportReport:
    """The importer, all rows or none (CatalogImportError lists the bad rows), audited as "catalog.import"."""
    report = import_catalog_csv(stream, currency, update_stock=update_stock)
    record_audit(
        actor_user_id=actor_user_id, action="catalog.import", subject_type="catalog", subject_id=0,
        details={"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                 "categories_created": report.categories_created, "update_stock": update_stock},
    )
    return report
