"""The official store's public pages: home, categories, search, product."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from storefront.catalog import services
from storefront.catalog.pages import product_page_key
from storefront.catalog.services import ProductSort
from storefront.shops.services import list_recommendations
from storefront.extensions import reads_only
from storefront.whole_pages import cached_page, render_and_cache, seen_as_by_everyone

blueprint = Blueprint("catalog", __name__)

MAX_QUERY_LENGTH = 200


def _page_arguments() -> tuple[ProductSort, int]:
    return ProductSort.parse(request.args.get("sort")), max(1, request.args.get("page", 1, type=int) or 1)


@blueprint.route("/")
@reads_only
def home() -> str:
    return render_template(
        "catalog/home.html",
        featured=services.list_featured_products(),
        categories=services.list_categories(),
    )


@blueprint.route("/categories/<slug>")
@reads_only
def category(slug: str) -> str:
    try:
        found = services.get_category_by_slug(slug)
    except services.CategoryNotFound:
        abort(404, description=_("There is no such category. Browse the ones below."))
    sort, page = _page_arguments()
    listing = services.list_category_products(found, sort, page, current_app.config["PRODUCTS_PER_PAGE"])
    return render_template(
        "catalog/category.html", category=found, listing=listing, sort=sort, sorts=list(ProductSort),
        categories=services.list_categories(),
    )


@blueprint.route("/search")
@reads_only
def search() -> tuple[str, int]:
    query = request.args.get("q", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        abort(400, description=_("Search for at most %(num)d characters.", num=MAX_QUERY_LENGTH))
    sort, page = _page_arguments()
    listing = services.search_products(query, sort, page, current_app.config["PRODUCTS_PER_PAGE"]) if query else None
    return render_template("catalog/search.html", query=query, listing=listing, sort=sort, sorts=list(ProductSort)), 200


@blueprint.route("/products/<slug>")
@reads_only
def product(slug: str) -> str:
    try:
        found = services.get_product_by_slug(slug)
    except services.ProductNotFound:
        abort(404, description=_("This product is not in the store (any more)."))
    recommendations = list_recommendations(found.id)
    if not seen_as_by_everyone():
        return render_template("catalog/product.html", product=found, recommendations=recommendations)
    # Most visits: a friend following a shared product on a phone, who sees the page as any other such visitor.
    key = product_page_key(found, recommendations)
    cached = cached_page(key)
    if cached is not None:
        return cached
    return render_and_cache(key, "catalog/product.html", product=found, recommendations=recommendations)
