"""The product page's key in the page cache: everything the page shows, so that any change makes a new key."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from flask import current_app, request

from storefront.catalog.renditions import RENDITION_WIDTHS, RENDITIONS_FOLDER
from storefront.fragments import templates_digest
from storefront.i18n import catalogs_digest, current_locale


def product_page_key(facts: Sequence[object]) -> str:
    """The key of the product page that shows `facts`: what `shops.services.product_page_facts` read (the product's
    version, which every edit and import moves; its stock, which a checkout moves without a new version while the page
    says "Only 2 left"; its category; each recommending curator's shop version, handle, title, avatar and note), when
    the renditions on disk last changed (`flask catalog renditions` adds or removes image widths without a new product
    version), the language, the templates and catalogs, and the path."""
    digest = hashlib.sha256(repr((tuple(facts), _renditions_stamp())).encode()).hexdigest()[:32]
    return f"page:product:{digest}:{current_locale()}:{templates_digest()}:{catalogs_digest()}:{request.path}"


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
