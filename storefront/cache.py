"""A small cache for rendered HTML: a bounded in-process LRU by default, Redis when REDIS_URL is set.

Nothing depends on it: a miss, an evicted or expired entry and a failing Redis all mean "render again".
Keys must name every input of the value (versions, not times), so an entry never needs deleting.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol

import redis
from flask import Flask, current_app

log = logging.getLogger(__name__)


class PageCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl_seconds: int) -> None: ...

    def clear(self) -> None: ...


class MemoryCache:
    """At most `max_entries` values in this process (each worker has its own), least recently used evicted first."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if expires_at <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisCache:
    """Shared by every worker and server. After a failure Redis is left alone for a few seconds, so an
    outage costs one short timeout now and then, not one per page."""

    PREFIX = "vitrine:page:"
    TIMEOUT_SECONDS = 0.25
    PAUSE_AFTER_FAILURE_SECONDS = 5.0

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=self.TIMEOUT_SECONDS, socket_connect_timeout=self.TIMEOUT_SECONDS, decode_responses=True
        )
        self._paused_until = 0.0

    def get(self, key: str) -> str | None:
        if time.monotonic() < self._paused_until:
            return None
        try:
            value = self._client.get(self.PREFIX + key)
        except (redis.RedisError, UnicodeDecodeError) as error:
            self._pause(error)
            return None
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        if time.monotonic() < self._paused_until:
            return
        try:
            self._client.set(self.PREFIX + key, value, ex=max(1, ttl_seconds))
        except redis.RedisError as error:
            self._pause(error)

    def clear(self) -> None:
        """Delete this cache's keys (and only those)."""
        try:
            for key in self._client.scan_iter(match=self.PREFIX + "*", count=500):
                self._client.delete(key)
        except redis.RedisError as error:
            self._pause(error)

    def _pause(self, error: Exception) -> None:
        log.warning("page cache: Redis failed (%s); rendering without it for %.0f s", error, self.PAUSE_AFTER_FAILURE_SECONDS)
        self._paused_until = time.monotonic() + self.PAUSE_AFTER_FAILURE_SECONDS


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL", "")
    cache: PageCache = RedisCache(url) if url else MemoryCache(app.config["PAGE_CACHE_MAX_ENTRIES"])
    app.extensions["page_cache"] = cache


def page_cache() -> PageCache:
    cache: PageCache = current_app.extensions["page_cache"]
    return cache
