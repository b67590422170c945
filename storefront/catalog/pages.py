"""The product page's key in the page cache: everything the page shows, so that any change makes a new key."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import current_app, request

from storefront.catalog.models import Product
from storefront.catalog.renditions import RENDITION_WIDTHS, RENDITIONS_FOLDER
from storefront.fragments import templates_digest
from storefront.i18n import catalogs_digest, current_locale


def product_page_key(product: Product, recommendations: Sequence[Any]) -> str:
    """The product's version (every edit and import), its stock (a checkout moves it without a new version, and the
    page says "Only 2 left"), its category's name, and each recommendation's curator and note: all read for the page
    anyway, so the key costs no query; and when the renditions on disk last changed (`flask catalog renditions` adds
    or removes image widths without a new product version). `recommendations` are the shop items `shops.services.list_recommendations` gives
    (not imported: the shops domain builds on the catalog, not the other way)."""
    shown = (
        product.id, product.version, product.stock, product.active, product.category.slug, product.category.name,
        _renditions_stamp(),
        tuple((item.id, item.note, item.shop.id, item.shop.version, item.shop.handle, item.shop.title, item.shop.avatar_version)
              for item in recommendations),
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"page:product:{product.id}:{digest}:{current_locale()}:{templates_digest()}:{catalogs_digest()}:{request.path}"


def _renditions_stamp() -> tuple[int, ...]:
    """When each width's rendition folder last gained or lost a file (the same stamp the srcset listing is read
    again by)."""
    folder = Path(current_app.static_folder or "") / "products" / RENDITIONS_FOLDER
    stamps = []
    for width in RENDITION_WIDTHS:
        try:
            stamps.append((folder / str(width)).stat().st_mtime_ns)
        except OSError:
            stamps.append(0)
    return tuple(stamps)
