"""The public shop page's visitor-independent HTML, rendered once per shop version and catalog version."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for

from storefront.cache import page_cache
from storefront.fragments import Fragment, dump_fragments, load_fragments, render_shared, templates_digest
from storefront.i18n import catalogs_digest, current_locale
from storefront.shops.models import Shop

PARTS = ("head", "body")


@dataclass(frozen=True)
class ShopPage:
    #: The social-card tags.
    head: Fragment
    #: Header, looks, items and notes; holes for the visitor's CSRF token and the owner's tools.
    body: Fragment


def shop_page(shop: Shop) -> ShopPage:
    """The shop page as every visitor sees it; a public shop's comes from the cache when it can.

    The key holds the shop's version and the sum of its products' versions, both read before the
    items, so an entry is never older than its key and any change makes a new key. A draft, which
    only its owner sees, is always rendered.
    """
    key = _cache_key(shop)
    if key is None:
        return _render(shop)
    cache = page_cache()
    cached = cache.get(key)
    parts = load_fragments(cached, PARTS) if cached is not None else None
    if parts is not None:
        return ShopPage(**parts)
    page = _render(shop)
    cache.set(key, dump_fragments({"head": page.head, "body": page.body}), current_app.config["PAGE_CACHE_SECONDS"])
    return page


def _cache_key(shop: Shop) -> str | None:
    if not shop.is_public or shop.catalog_version is None:
        return None
    return f"shop:{shop.id}:{shop.version}:{shop.catalog_version}:{current_locale()}:{templates_digest()}:{catalogs_digest()}"


def _render(shop: Shop) -> ShopPage:
    context = {"shop": shop, "items": shop.items, "back_path": url_for("shops.public_shop", handle=shop.handle)}
    return ShopPage(
        head=render_shared("shops/_public_head.html", **context),
        body=render_shared("shops/_public_body.html", **context),
    )
