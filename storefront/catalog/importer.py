"""`flask catalog import`: create or update products by SKU from a CSV file, all rows or none."""
from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from typing import IO

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from storefront.catalog.models import Category, Product
from storefront.catalog.services import slugify
from storefront.extensions import db
from storefront.money import Money, MoneyError

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("sku", "title", "price", "category")
KNOWN_COLUMNS = REQUIRED_COLUMNS + ("description", "currency", "stock", "active", "featured", "image")
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_IMAGE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]{0,200}\.(svg|png|jpe?g|webp)|https://\S{1,480})$")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False, "": None}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowError:
    #: The line of the file, as a spreadsheet numbers it (the header is line 1).
    line: int
    message: str

    def __str__(self) -> str:
        return _("row %(line)d: %(message)s", line=self.line, message=self.message)


class CatalogImportError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class ProductRow:
    line: int
    sku: str
    title: str
    description: str
    price: Money
    category_name: str
    stock: int | None
    active: bool | None
    featured: bool | None
    image: str | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    categories_created: list[str] = field(default_factory=list)
    #: The file names (not URLs) in the image column, hosted under static/products/, for their renditions.
    hosted_images: set[str] = field(default_factory=set)


def _parse_row(line: int, raw: dict[str, str | None], currency: str) -> ProductRow:
    def cell(name: str) -> str:
        return (raw.get(name) or "").strip()

    # SKUs are compared and stored upper-case: "tee-1" and "TEE-1" are one product.
    sku = cell("sku").upper()
    if not _SKU.match(sku):
        raise ValueError(_("sku must be 1-64 letters, digits, '.', '_' or '-'"))
    title = cell("title")
    if not 1 <= len(title) <= 200:
        raise ValueError(_("title must be 1-200 characters"))
    category_name = cell("category")
    if not 1 <= len(category_name) <= 80:
        raise ValueError(_("category must be 1-80 characters"))
    row_currency = (cell("currency") or currency).upper()
    if row_currency != currency:
        raise ValueError(_("currency %(row_currency)s differs from the store's currency %(currency)s", row_currency=row_currency,
                           currency=currency))
    try:
        price = Money.parse(cell("price"), currency)
    except MoneyError as error:
        raise ValueError(_("price: %(error)s", error=error)) from None
    stock: int | None = None
    if cell("stock"):
        if not cell("stock").isdigit() or int(cell("stock")) > 1_000_000:
            raise ValueError(_("stock must be a whole number from 0 to 1,000,000"))
        stock = int(cell("stock"))
    flags: dict[str, bool | None] = {}
    for name in ("active", "featured"):
        if cell(name).lower() not in _BOOLEANS:
            raise ValueError(_("%(column)s must be true or false", column=name))
        flags[name] = _BOOLEANS[cell(name).lower()]
    image = cell("image") or None
    if image is not None and not _IMAGE.match(image):
        raise ValueError(_("image must be a file name (.svg, .png, .jpg, .webp) or an https URL"))
    description = cell("description")
    if len(description) > 5000:
        raise ValueError(_("description must be at most 5,000 characters"))
    return ProductRow(
        line=line, sku=sku, title=title, description=description, price=price, category_name=category_name,
        stock=stock, active=flags["active"], featured=flags["featured"], image=image,
    )


def parse_catalog_csv(stream: IO[bytes], currency: str) -> list[ProductRow]:
    """Every row parsed, or CatalogImportError listing every bad row with its line number."""
    try:
        text = stream.read().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogImportError([RowError(1, _("the file is not UTF-8 text (%(reason)s)", reason=error.reason))]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise CatalogImportError([RowError(1, _("missing column(s): %(columns)s", columns=", ".join(missing)))])
    unknown = [name for name in header if name not in KNOWN_COLUMNS]
    if unknown:
        raise CatalogImportError([RowError(1, _("unknown column(s): %(columns)s", columns=", ".join(unknown)))])
    reader.fieldnames = header
    rows: list[ProductRow] = []
    errors: list[RowError] = []
    first_line_of_sku: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(RowError(line, _("the file has more than %(rows)s rows; split it", rows=format_decimal(MAX_ROWS))))
            break
        if None in raw:
            errors.append(RowError(line, _("more cells than columns (check the quoting)")))
            continue
        if not any((value or "").strip() for value in raw.values()):
            continue
        try:
            row = _parse_row(line, raw, currency)
        except ValueError as error:
            errors.append(RowError(line, str(error)))
            continue
        key = row.sku
        if key in first_line_of_sku:
            errors.append(RowError(line, _("sku %(sku)s already appears on row %(line)d", sku=row.sku, line=first_line_of_sku[key])))
            continue
        first_line_of_sku[key] = line
        rows.append(row)
    if errors:
        raise CatalogImportError(errors)
    if not rows:
        raise CatalogImportError([RowError(1, _("the file has no product rows"))])
    return rows


def _unique_slug(title: str, sku: str, product_id: int | None) -> str:
    """The title's slug, else title-sku, else title-sku-2, ...: always free and within the column."""
    base = slugify(title)[:100]
    candidates = [base, f"{base}-{slugify(sku)[:40]}"]
    number = 2
    while True:
        for slug in candidates:
            owner = db.session.scalar(select(Product.id).where(Product.slug == slug))
            if owner is None or owner == product_id:
                return slug
        candidates, number = [f"{candidates[1]}-{number}"], number + 1


def apply_catalog_rows(rows: list[ProductRow], *, update_existing: bool = True, update_stock: bool = False) -> ImportReport:
    """Create or update products by SKU (flushed, not committed: the caller commits once).

    A new product takes the file's stock. An existing product keeps its stock unless
    update_stock is set: the shelf count has moved since the file was written (sales, pending
    reservations), and re-importing an old file must not put sold units back on sale.
    With update_existing=False, existing products are left entirely alone (the demo loader).
    """
    report = ImportReport()
    categories = {c.name.lower(): c for c in db.session.scalars(select(Category))}
    products = {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_([r.sku for r in rows])))}
    for row in rows:
        if row.image and not row.image.startswith("https://"):
            report.hosted_images.add(row.image)
        category = categories.get(row.category_name.lower())
        if category is None:
            taken = {c.slug for c in categories.values()}
            slug = base_slug = slugify(row.category_name)[:70]
            number = 2
            while slug in taken:
                slug, number = f"{base_slug}-{number}", number + 1
            category = Category(name=row.category_name, slug=slug, position=len(categories))
            db.session.add(category)
            categories[row.category_name.lower()] = category
            report.categories_created.append(row.category_name)
        db.session.flush()
        product = products.get(row.sku)
        values = {
            "title": row.title,
            "description": row.description,
            "price_minor": row.price.minor,
            "currency": row.price.currency,
            "category_id": category.id,
        }
        optional = {"active": row.active, "featured": row.featured, "image": row.image}
        if product is None or update_stock:
            optional["stock"] = row.stock
        values.update({name: value for name, value in optional.items() if value is not None})
        if product is None:
            product = Product(sku=row.sku, slug=_unique_slug(row.title, row.sku, None), **values)
            db.session.add(product)
            db.session.flush()
            report.created += 1
            continue
        changed = {name: value for name, value in values.items() if getattr(product, name) != value}
        if not changed or not update_existing:
            report.unchanged += 1
            continue
        if "title" in changed:
            changed["slug"] = _unique_slug(row.title, row.sku, product.id)
        for name, value in changed.items():
            setattr(product, name, value)
        db.session.flush()
        report.updated += 1
    log.info("catalog import: %s created, %s updated, %s unchanged", report.created, report.updated, report.unchanged)
    return report


def import_catalog_csv(
    stream: IO[bytes], currency: str, *, update_existing: bool = True, update_stock: bool = False
) -> ImportReport:
    rows = parse_catalog_csv(stream, currency)
    return apply_catalog_rows(rows, update_existing=update_existing, update_stock=update_stock)
