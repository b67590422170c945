"""HTML rendered once for every visitor, with named holes that each request fills (its CSRF token, say).

A shared render sees no visitor: reading `current_user`, `request`, `session` or `g` raises, and
`csrf_token()` leaves a hole, so one visitor's token, name or cart can never be cached for another.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup, escape


class VisitorInSharedHtml(RuntimeError):
    """A template rendered for every visitor read something that differs per visitor."""


class _NoVisitor:
    """Stands in for current_user, request, session and g while shared HTML is rendered."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise VisitorInSharedHtml(f"{self._name}.{attribute} differs per visitor: render it in a hole, not in shared HTML")


@dataclass(frozen=True)
class Fragment:
    #: Literal HTML at even indexes, hole names at odd ones.
    pieces: tuple[str, ...]

    def fill(self, **fillers: Callable[[], object]) -> Markup:
        """The HTML with each hole replaced by its filler's output (escaped unless it is Markup).

        A filler runs once however many holes it fills, and not at all when its hole is absent.
        """
        values: dict[str, str] = {}
        html: list[str] = []
        for index, piece in enumerate(self.pieces):
            if index % 2 == 0:
                html.append(piece)
                continue
            if piece not in values:
                values[piece] = escape(fillers[piece]())
            html.append(values[piece])
        return Markup("".join(html))


class _Holes:
    """Hole markers for one render: unguessable, so no text a curator types can open a hole."""

    def __init__(self) -> None:
        self._marker = secrets.token_hex(8)

    def __call__(self, name: str) -> Markup:
        return Markup(f"\x00{self._marker}:{name}\x00")

    def split(self, html: str) -> Fragment:
        return Fragment(tuple(re.split(f"\x00{self._marker}:(\\w+)\x00", html)))


def render_shared(template_name: str, **context: Any) -> Fragment:
    """Render a template that must look the same to every visitor; `hole(name)` and `csrf_token()` leave holes."""
    hole = _Holes()
    visitor_free = {name: _NoVisitor(name) for name in ("current_user", "request", "session", "g")}
    html = current_app.jinja_env.get_template(template_name).render(
        **visitor_free, hole=hole, csrf_token=lambda: hole("csrf_token"), **context
    )
    return hole.split(html)


def render_page_with_holes(template_name: str, **context: Any) -> Fragment:
    """Render a whole page for this request, but with a hole wherever it shows the CSRF token.

    Only for a request that any other visitor in the same state would see alike (the caller decides that,
    e.g. a visitor who is not signed in, with an empty cart and no message waiting): the page can then be
    cached and each visitor's own token filled in.
    """
    hole = _Holes()
    return hole.split(render_template(template_name, csrf_token=lambda: hole("csrf_token"), **context))


def dump_fragments(fragments: dict[str, Fragment]) -> str:
    """One string for a cache: a JSON line of the pieces' lengths, then the pieces as they are (no escaping to undo)."""
    lengths = {name: [len(piece) for piece in fragment.pieces] for name, fragment in fragments.items()}
    return json.dumps(lengths, separators=(",", ":")) + "\n" + "".join(
        piece for fragment in fragments.values() for piece in fragment.pieces
    )


def load_fragments(text: str, names: tuple[str, ...]) -> dict[str, Fragment] | None:
    """What dump_fragments wrote, or None when the text is not that (garbage, or another release's entry)."""
    header, _, body = text.partition("\n")
    try:
        lengths = json.loads(header)
    except ValueError:
        return None
    if not isinstance(lengths, dict) or sorted(lengths) != sorted(names):
        return None
    fragments, start = {}, 0
    for name, sizes in lengths.items():
        if not isinstance(sizes, list) or len(sizes) % 2 == 0 or not all(type(size) is int and size >= 0 for size in sizes):
            return None
        bounds = list(accumulate(sizes, initial=start))
        fragments[name] = Fragment(tuple(body[begin:end] for begin, end in pairwise(bounds)))
        start = bounds[-1]
    return fragments if start == len(body) else None


def _digest_of(folder: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.html")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


_release_digest_of = cache(_digest_of)


def templates_digest() -> str:
    """A digest of every template: in a cache key, it keeps one release from serving another's HTML.

    Read once per process, or on every call while templates reload themselves (a developer editing them).
    """
    folder = str(Path(current_app.root_path, current_app.template_folder or "templates"))
    return _digest_of(folder) if current_app.jinja_env.auto_reload else _release_digest_of(folder)
