"""The store's catalog: categories, products (searched as the web search does) and the rate a curator would earn.

A product's `category` is its category's slug (the value `?category=` takes); `GET /categories`
gives each slug's display name. Only active products are listed or found.
"""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, Field

from commissions import rules
from commissions.models import CuratorTier
from storefront.api import blueprint
from storefront.api.framework import Access, ApiProblem, caller, endpoint
from storefront.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from storefront.api.schemas import MoneyOut, Text
from storefront.catalog import services
from storefront.catalog.models import Category, Product
from storefront.catalog.views import MAX_QUERY_LENGTH
from storefront.web import absolute_url, product_image_url


class CategoryOut(BaseModel):
    """A category of the catalog."""

    id: int
    slug: str = Field(description="What `GET /products?category=` takes.")
    name: str


class CategoryList(BaseModel):
    """Every category, in the store's order."""

    items: list[CategoryOut]


class ProductOut(BaseModel):
    """An active product of the official store."""

    id: int
    sku: str
    title: str
    description: str
    price: MoneyOut
    image_url: str = Field(description="Absolute URL of the product's picture.")
    category: str = Field(description="The category's slug (see GET /categories for its name).")
    in_stock: bool
    url: str = Field(description="Absolute URL of the product's page in the store.")
    commission_rate_bps: int = Field(
        ge=0, le=rules.MAX_RATE_BPS,
        description="What the requesting curator would earn on it today, in basis points, tier bonus included; "
                    "the platform's rate (product, category or default) for an anonymous request.",
    )


class ProductPage(BaseModel):
    """One page of products by id; `next_cursor` is null on the last page."""

    items: list[ProductOut]
    next_cursor: str | None


class ProductQuery(BaseModel):
    q: Text = Field("", max_length=MAX_QUERY_LENGTH,
                    description="Words that must all appear in the title, description or SKU; empty lists everything.")
    category: Text = Field("", max_length=80, description="A category slug.")
    cursor: str = Field("", max_length=64, description="`next_cursor` of the previous page.")
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class RateQuoter:
    """The caller's rate on each product: the tier is looked up once per currency, then rules.rate_for as rules.quote does."""

    def __init__(self, curator_user_id: int | None) -> None:
        self.curator_user_id = curator_user_id
        self.default_bps = int(current_app.config["COMMISSION_DEFAULT_BPS"])
        self._tiers: dict[str, CuratorTier | None] = {}

    def rate_bps(self, product: Product) -> int:
        if self.curator_user_id is None:
            return rules.quote(product, self.default_bps).rate_bps
        if product.currency not in self._tiers:
            self._tiers[product.currency] = rules.tier_for(self.curator_user_id, product.currency)
        return rules.rate_for(product, self.default_bps, self._tiers[product.currency]).rate_bps


def product_out(product: Product, quoter: RateQuoter) -> ProductOut:
    return ProductOut(
        id=product.id, sku=product.sku, title=product.title, description=product.description,
        price=MoneyOut(amount_minor=product.price_minor, currency=product.currency),
        image_url=absolute_url(product_image_url(product)), category=product.category.slug, in_stock=product.in_stock,
        url=absolute_url(url_for("catalog.product", slug=product.slug)), commission_rate_bps=quoter.rate_bps(product),
    )


def _quoter() -> RateQuoter:
    user = caller()
    return RateQuoter(user.id if user is not None else None)


def _category(slug: str) -> Category | None:
    if not slug:
        return None
    try:
        return services.get_category_by_slug(slug)
    except services.CategoryNotFound:
        detail = _("There is no category “%(slug)s”; GET /api/v1/categories lists their slugs.", slug=slug)
        raise ApiProblem(400, detail, errors=[{"field": "category", "pointer": "/category", "detail": detail}]) from None


@endpoint(blueprint, "GET", "/categories", summary="The catalog's categories", tag="catalog", responses={200: CategoryList})
def list_categories() -> CategoryList:
    return CategoryList(items=[CategoryOut(id=c.id, slug=c.slug, name=c.name) for c in services.list_categories()])


@endpoint(blueprint, "GET", "/products", summary="List or search active products", tag="catalog", access=Access.PUBLIC,
          query=ProductQuery, responses={200: ProductPage},
          description="Ordered by id. `q` matches as the store's search does (every word, in title, description or SKU).")
def list_products(query: ProductQuery) -> ProductPage:
    category = _category(query.category)
    after = decode_cursor(query.cursor or None)
    found = services.list_products_after(after, query.limit + 1, text=query.q, category=category)
    page, more = found[: query.limit], len(found) > query.limit
    quoter = _quoter()
    return ProductPage(items=[product_out(product, quoter) for product in page],
                       next_cursor=encode_cursor(page[-1].id) if more else None)


@endpoint(blueprint, "GET", "/products/<int:product_id>", summary="One active product", tag="catalog", access=Access.PUBLIC,
          responses={200: ProductOut})
def get_product(product_id: int) -> ProductOut:
    try:
        product = services.get_product_by_id(product_id)
    except services.ProductNotFound:
        raise ApiProblem(404, _("This product is not in the store (any more).")) from None
    return product_out(product, _quoter())
