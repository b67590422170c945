"""Rate limits by client network or by account, kept in the limiter's storage (memory per worker, Redis when set)."""
from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from collections import deque

from flask import Flask, current_app
from limits import RateLimitItem
from limits import parse as parse_limit

from storefront.extensions import limiter

log = logging.getLogger(__name__)


def network_of(address: str | None) -> str:
    """The unit one client controls: an IPv4 address, or an IPv6 /64 (one home or phone gets a whole /64)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def private_key(namespace: str, value: str) -> str:
    """A keyed hash, so the limiter's storage holds no address or e-mail."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{namespace}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def init_app(app: Flask) -> None:
    """Bind the limiter to its storage, without Flask-Limiter's per-request hooks.

    Vitrine decorates no route with Flask-Limiter limits: every limit is counted by `hit` and `allow` below,
    where the view decides. The extension's before-request check, its response-header hook and its
    teardown would still run on every request (a share-link click, a shop page) and find nothing to do.
    """
    before = {key: list(hooks) for key, hooks in app.before_request_funcs.items()}
    after = {key: list(hooks) for key, hooks in app.after_request_funcs.items()}
    teardown = {key: list(hooks) for key, hooks in app.teardown_request_funcs.items()}
    limiter.init_app(app)
    for registry, kept in ((app.before_request_funcs, before), (app.after_request_funcs, after), (app.teardown_request_funcs, teardown)):
        for key in list(registry):
            registry[key] = [hook for hook in registry[key] if hook in kept.get(key, [])]


class LocalMovingWindow:
    """Moving-window counts in this process: the storage without REDIS_URL, and the fallback while Redis is down.

    The `limits` package's memory storage starts a timer thread to expire its keys about every 10 ms under
    load (a thread start per few share-link clicks); here expired hits are dropped when their key is next
    counted, and idle keys in a sweep every `SWEEP_EVERY` hits.
    """

    SWEEP_EVERY = 10_000

    def __init__(self) -> None:
        self._hits: dict[str, tuple[float, deque[float]]] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def hit(self, limit: RateLimitItem, namespace: str, key: str) -> bool:
        period = float(limit.get_expiry())
        now = time.monotonic()
        name = f"{namespace}/{key}/{limit.amount}/{period}"
        with self._lock:
            self._since_sweep += 1
            if self._since_sweep >= self.SWEEP_EVERY:
                self._sweep(now)
            _period, hits = self._hits.setdefault(name, (period, deque()))
            while hits and hits[0] <= now - period:
                hits.popleft()
            if len(hits) >= limit.amount:
                return False
            hits.append(now)
            return True

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        for name in [name for name, (period, hits) in self._hits.items() if not hits or hits[-1] <= now - period]:
            del self._hits[name]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


#: Counts kept in this process: always without REDIS_URL, and while Redis does not answer.
local_counts = LocalMovingWindow()


def hit(limit: str, namespace: str, key: str) -> bool:
    """Count one hit of `key`; False once `limit` is used up. With Redis down, this process counts alone (never a 500)."""
    item = _parsed(limit)
    if not current_app.config.get("REDIS_URL"):
        return local_counts.hit(item, namespace, key)
    try:
        return bool(limiter.limiter.hit(item, namespace, key))
    except Exception:  # the storage's own errors (connection refused, timeouts) vary by backend
        log.warning("rate-limit storage unavailable; counting in this process until it answers", exc_info=True)
        return local_counts.hit(item, namespace, key)


@functools.lru_cache(maxsize=64)
def _parsed(limit: str) -> RateLimitItem:
    return parse_limit(limit)


def allow(limit: str, namespace: str, value: str) -> bool:
    """Count one attempt; False once `limit` (e.g. "10 per minute") is used up for this value."""
    return hit(limit, namespace, private_key(namespace, value))
