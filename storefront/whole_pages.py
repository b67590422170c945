"""Whole public pages cached for the visitors who all see them alike, each served with its own CSRF token.

A visitor who is not signed in, with an empty cart, no message waiting and no query string sees a
public page (a shop, a product) as any other such visitor does: most visits are these, a friend
following a share link on a phone. The page is rendered once with a hole where the CSRF token goes,
kept in the page cache under a key that changes with everything the page shows, and each visit
fills in its own token.
"""
from __future__ import annotations

import functools

from flask import current_app, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from storefront.cache import page_cache
from storefront.fragments import Fragment, dump_fragments, load_fragments, render_page_with_holes


def seen_as_by_everyone() -> bool:
    """This visitor sees the whole page as any other such visitor (the language switch sends the visitor back to the
    same path, so no query string is needed to change language)."""
    return (not request.query_string and not current_user.is_authenticated and not session.get("cart")
            and "_flashes" not in session)


def cached_page(key: str) -> Markup | None:
    """The page cached under `key`, with this visitor's CSRF token; None when it is not cached (yet)."""
    cached = page_cache().get(key)
    page = _page_of(cached) if cached is not None else None
    return page.fill(csrf_token=generate_csrf) if page is not None else None


def render_and_cache(key: str | None, template_name: str, **context: object) -> Markup:
    """Render the page with a hole for the CSRF token, cache it under `key` (unless None: a page not to keep), fill the
    hole."""
    page = render_page_with_holes(template_name, **context)
    if key is not None:
        page_cache().set(key, dump_fragments({"page": page}), current_app.config["PAGE_CACHE_SECONDS"])
    return page.fill(csrf_token=generate_csrf)


@functools.lru_cache(maxsize=32)
def _page_of(cached: str) -> Fragment | None:
    """Parsed once per entry: the in-process cache hands back the same string (whose hash Python keeps), and a
    Redis entry costs one hash of its text."""
    parts = load_fragments(cached, ("page",))
    return parts["page"] if parts is not None else None
