"""The page cache (in process or Redis) and shared HTML with holes: bounded, expiring, never a 500, never a visitor's data."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import Markup

from storefront import cache as cache_module
from storefront.cache import MemoryCache, RedisCache
from storefront.fragments import Fragment, VisitorInSharedHtml, dump_fragments, load_fragments, render_shared

TEMPLATE_NUMBERS = count()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on loopback, in memory only."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("needs redis-server on the PATH")
    port = free_port()
    process = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


# The in-process cache ---------------------------------------------------------------------


def test_memory_cache_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_entries=2)
    cache.set("a", "A", 60)
    cache.set("b", "B", 60)
    assert cache.get("a") == "A"  # now "b" is the least recently used
    cache.set("c", "C", 60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")


def test_memory_cache_forgets_an_expired_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(cache_module.time, "monotonic", lambda: now[0])
    cache = MemoryCache(max_entries=2)
    cache.set("a", "A", 60)
    now[0] += 59
    assert cache.get("a") == "A"
    now[0] += 1
    assert cache.get("a") is None


def test_memory_cache_of_no_entries_keeps_nothing() -> None:
    cache = MemoryCache(max_entries=0)
    cache.set("a", "A", 60)
    assert cache.get("a") is None


# Redis ------------------------------------------------------------------------------------


def test_redis_cache_shares_values_between_clients(redis_url: str) -> None:
    writer, reader = RedisCache(redis_url), RedisCache(redis_url)
    writer.set("shop:1", "<p>café</p>", 60)
    assert reader.get("shop:1") == "<p>café</p>"
    reader.clear()
    assert writer.get("shop:1") is None


def test_redis_cache_that_is_down_answers_misses_and_pauses(caplog: pytest.LogCaptureFixture) -> None:
    cache = RedisCache(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    cache.set("shop:1", "x", 60)
    assert cache.get("shop:1") is None
    calls: list[str] = []
    cache._client.get = lambda key: calls.append(key)  # type: ignore[method-assign]
    assert cache.get("shop:1") is None and calls == []  # paused: not asked again at once
    assert sum("Redis failed" in record.message for record in caplog.records) == 1


def test_shop_page_is_served_through_redis(
    app: Flask, redis_url: str, create_shop: Any, create_product: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storefront.shops import pages

    redis = RedisCache(redis_url)
    redis.clear()
    monkeypatch.setitem(app.extensions, "page_cache", redis)
    renders: list[str] = []
    original = pages.render_shared
    monkeypatch.setattr(pages, "render_shared", lambda name, **context: renders.append(name) or original(name, **context))
    create_shop(create_product(title="Linen Tee"), handle="ana")
    first, second = browser.get("/@ana"), browser.get("/@ana")
    assert first.status_code == second.status_code == 200 and "Linen Tee" in second.get_data(as_text=True)
    assert len(renders) == 2
    redis.clear()


def test_shop_page_renders_when_redis_is_down(
    app: Flask, create_shop: Any, create_product: Any, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.extensions, "page_cache", RedisCache(f"redis://127.0.0.1:{free_port()}/0"))
    create_shop(create_product(title="Linen Tee"), handle="ana")
    for _ in range(2):
        response = browser.get("/@ana")
        assert response.status_code == 200 and "Linen Tee" in response.get_data(as_text=True)


# Shared HTML with holes -------------------------------------------------------------------


def render(app: Flask, source: str, **context: Any) -> Fragment:
    """render_shared on a template made of `source`, next to the app's own templates."""
    name = f"_shared_test_{next(TEMPLATE_NUMBERS)}.html"
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({name: source}), loader])  # type: ignore[list-item]
    try:
        with app.test_request_context("/"):
            return render_shared(name, **context)
    finally:
        app.jinja_env.loader = loader


def test_shared_html_leaves_a_hole_for_the_csrf_token(app: Flask) -> None:
    fragment = render(app, '<input name="csrf_token" value="{{ csrf_token() }}"><p>{{ note }}</p>', note="<b>hi</b>")
    assert fragment.fill(csrf_token=lambda: "token-1") == '<input name="csrf_token" value="token-1"><p>&lt;b&gt;hi&lt;/b&gt;</p>'
    assert fragment.fill(csrf_token=lambda: "token-2").count("token-2") == 1


def test_shared_html_refuses_to_read_the_visitor(app: Flask) -> None:
    for source in ("{{ current_user.is_authenticated }}", "{{ request.path }}", "{{ session.cart }}", "{{ g.user }}"):
        with pytest.raises(VisitorInSharedHtml):
            render(app, source)


def test_shared_html_text_cannot_open_a_hole(app: Flask) -> None:
    sneaky = "\x00abcdef0123456789:csrf_token\x00 <!-- csrf_token -->"
    fragment = render(app, "{{ note }}|{{ hole('owner_tools') }}", note=sneaky)
    assert fragment.pieces[1::2] == ("owner_tools",)
    assert fragment.fill(owner_tools=lambda: Markup("<a>Edit</a>")).endswith("|<a>Edit</a>")


def test_shared_html_filler_runs_once_and_only_when_needed(app: Flask) -> None:
    calls: list[int] = []
    fragment = render(app, "{{ csrf_token() }} {{ csrf_token() }}")
    assert fragment.fill(csrf_token=lambda: calls.append(1) or "t", unused=lambda: 1 / 0) == "t t"
    assert calls == [1]


def test_shared_html_survives_the_cache_and_refuses_garbage() -> None:
    fragments = {"head": Fragment(("<meta>",)), "body": Fragment(("<p>", "csrf_token", "</p>"))}
    assert load_fragments(dump_fragments(fragments), ("head", "body")) == fragments
    garbage_entries = (
        "", "not json", "[]\n", '{"head": [1]}\nx', '{"head": [1, 1], "body": [1]}\nxyz', '{"head": [1], "body": ["c"]}\nxy',
        '{"head": [1], "body": [1]}\nxyz', '{"head": [1], "body": [-1]}\nx',
    )
    for garbage in garbage_entries:
        assert load_fragments(garbage, ("head", "body")) is None
