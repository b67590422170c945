"""Browsing the catalog: featured products, category listings, search; product versions for cached pages."""
from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, case, func, or_, select

from storefront.catalog.models import Category, Product
from storefront.extensions import db
from storefront.listing import Page, clamp_page, contains_pattern


#: The largest id an integer column holds; a larger one cannot exist.
MAX_ID = 2**31 - 1


class ProductNotFound(LookupError):
    pass


class CategoryNotFound(LookupError):
    pass


class ProductSort(StrEnum):
    FEATURED = "featured"
    NEWEST = "newest"
    PRICE_LOW = "price_low"
    PRICE_HIGH = "price_high"
    TITLE = "title"

    @classmethod
    def parse(cls, value: str | None) -> ProductSort:
        try:
            return cls(value or cls.FEATURED)
        except ValueError:
            return cls.FEATURED


_ORDERINGS = {
    ProductSort.FEATURED: (Product.featured.desc(), Product.title, Product.id),
    ProductSort.NEWEST: (Product.created_at.desc(), Product.id.desc()),
    ProductSort.PRICE_LOW: (Product.price_minor, Product.id),
    ProductSort.PRICE_HIGH: (Product.price_minor.desc(), Product.id),
    ProductSort.TITLE: (Product.title, Product.id),
}


def version_after_stock_move(quantity_delta: int) -> ColumnElement[int]:
    """The version to SET in an UPDATE that moves stock by `quantity_delta` (not 0): bumped when the product
    sells out or comes back (pages show "Sold out"), kept otherwise, so a sale does not evict cached pages."""
    crosses_zero = or_(Product.stock == 0, Product.stock + quantity_delta == 0)
    return case((crosses_zero, Product.version + 1), else_=Product.version)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:150] or "item"


def list_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def get_category_by_slug(slug: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise CategoryNotFound(slug)
    return category


def find_category(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def find_product_by_sku(sku: str) -> Product | None:
    """Any product, active or not (operators manage both)."""
    return db.session.scalar(select(Product).where(Product.sku == sku))


def get_product_by_slug(slug: str) -> Product:
    """An active product; inactive ones are as good as gone for shoppers."""
    product = db.session.scalar(select(Product).where(Product.slug == slug, Product.active.is_(True)))
    if product is None:
        raise ProductNotFound(slug)
    return product


def list_featured_products(limit: int = 8) -> list[Product]:
    query = (
        select(Product)
        .where(Product.active.is_(True), Product.featured.is_(True))
        .order_by(Product.stock == 0, Product.title)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _paginate(query: Select[tuple[Product]], sort: ProductSort, page: int, per_page: int) -> Page[Product]:
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    rows = db.session.scalars(query.order_by(*_ORDERINGS[sort]).offset((page - 1) * per_page).limit(per_page))
    return Page(items=list(rows), page=page, per_page=per_page, total=total)


def list_category_products(category: Category, sort: ProductSort, page: int, per_page: int) -> Page[Product]:
    query = select(Product).where(Product.category_id == category.id, Product.active.is_(True))
    return _paginate(query, sort, page, per_page)


def _matching(query: Select[tuple[Product]], text: str) -> Select[tuple[Product]]:
    """Keep the products whose every word of `text` (the first 8) appears in the title, description or SKU."""
    for word in text.split()[:8]:
        pattern = contains_pattern(word)
        query = query.where(
            or_(
                Product.title.ilike(pattern, escape="\\"),
                Product.description.ilike(pattern, escape="\\"),
                Product.sku.ilike(pattern, escape="\\"),
            )
        )
    return query


def search_products(text: str, sort: ProductSort, page: int, per_page: int) -> Page[Product]:
    """Active products whose every word appears in the title, description or SKU (case-insensitive)."""
    return _paginate(_matching(select(Product).where(Product.active.is_(True)), text), sort, page, per_page)


def get_product_by_id(product_id: int) -> Product:
    """An active product (as get_product_by_slug); ids beyond the column's range are simply not found."""
    product = db.session.get(Product, product_id) if 0 < product_id <= MAX_ID else None
    if product is None or not product.active:
        raise ProductNotFound(str(product_id))
    return product


def list_products_after(after_id: int, limit: int, *, text: str = "", category: Category | None = None) -> list[Product]:
    """Active products with an id above `after_id`, by id (stable cursor pages), matching `text` as search does."""
    query = select(Product).where(Product.active.is_(True), Product.id > after_id)
    if category is not None:
        query = query.where(Product.category_id == category.id)
    return list(db.session.scalars(_matching(query, text).order_by(Product.id).limit(limit)))
