"""The public shop page's visitor-independent HTML, rendered once per shop version and catalog version."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from markupsafe import Markup

from storefront.cache import page_cache
from storefront.extensions import may_be_signed_in, standalone_statements
from storefront.fragments import Fragment, dump_fragments, load_fragments, render_shared, templates_digest
from storefront.i18n import catalogs_digest, current_locale
from storefront.shops.models import Shop
from storefront.shops.services import ShopVersions, public_shop_versions
from storefront.whole_pages import cached_page, render_and_cache

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
    return _key_of(ShopVersions(id=shop.id, version=shop.version, catalog_version=shop.catalog_version))


def _key_of(versions: ShopVersions) -> str:
    return (f"shop:{versions.id}:{versions.version}:{versions.catalog_version}:{current_locale()}:{templates_digest()}"
            f":{catalogs_digest()}")


# The whole page, for a visitor who sees it as any other would (storefront/whole_pages.py) --------------------


def _whole_page_key(versions: ShopVersions) -> str:
    return f"page:{_key_of(versions)}:{request.path}"


def cached_whole_page(handle: str) -> Markup | None:
    """The whole page from the cache, with this visitor's CSRF token; None when it must be rendered
    (not cached yet, or no public shop at `handle`, for which the full path answers). Asked only for visitors who
    are not signed in (see `seen_as_by_everyone`), whose one statement needs no session."""
    if may_be_signed_in():
        # A session naming a user that no longer signs anyone in: the session already holds a connection.
        versions = public_shop_versions(handle)
    else:
        with standalone_statements() as connection:
            versions = public_shop_versions(handle, connection=connection)
    if versions is None:
        return None
    return cached_page(_whole_page_key(versions))


def render_whole_page(shop: Shop, template_name: str, **context: object) -> Markup:
    """Render the page, cache it with a hole for the CSRF token (a public shop's only), and fill the hole."""
    key = None
    if shop.is_public and shop.catalog_version is not None:
        key = _whole_page_key(ShopVersions(id=shop.id, version=shop.version, catalog_version=shop.catalog_version))
    return render_and_cache(key, template_name, shop=shop, **context)


def _render(shop: Shop) -> ShopPage:
    context = {"shop": shop, "items": shop.items, "back_path": url_for("shops.public_shop", handle=shop.handle)}
    return ShopPage(
        head=render_shared("shops/_public_head.html", **context),
        body=render_shared("shops/_public_body.html", **context),
    )
