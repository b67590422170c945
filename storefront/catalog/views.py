"""The official store's public pages: home, categories, search, product."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from storefront.catalog import services
from storefront.catalog.pages import product_page_key
from storefront.catalog.services import ProductSort
from storefront.shops.services import list_recommendations, product_page_facts
from storefront.extensions import may_be_signed_in, reads_only, standalone_statements
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
    # Most visits: a friend following a shared product on a phone, who sees the page as any other such visitor does.
    key = None
    if seen_as_by_everyone():
        facts = _product_page_facts(slug)
        key = product_page_key(facts) if facts is not None else None
        cached = cached_page(key) if key is not None else None
        if cached is not None:
            return cached
    try:
        found = services.get_product_by_slug(slug)
    except services.ProductNotFound:
        abort(404, description=_("This product is not in the store (any more)."))
    recommendations = list_recommendations(found.id)
    if key is None:
        return render_template("catalog/product.html", product=found, recommendations=recommendations)
    # Read after the key's facts: the page cached under the key is never older than they are.
    return render_and_cache(key, "catalog/product.html", product=found, recommendations=recommendations)


def _product_page_facts(slug: str) -> tuple[object, ...] | None:
    """Read past the session for a visitor who is not signed in (as the shop page's key is)."""
    if len(slug) > 200:
        return None
    if may_be_signed_in():
        # A session naming a user that no longer signs anyone in: the session already holds a connection.
        return product_page_facts(slug)
    with standalone_statements() as connection:
        return product_page_facts(slug, connection=connection)
