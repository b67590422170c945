"""Rate limits by client network or by account, kept in the limiter's storage (memory per worker, Redis when set)."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging

from flask import Flask, current_app
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

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


#: Counts kept in this process while the shared storage (Redis) does not answer.
_fallback = MovingWindowRateLimiter(MemoryStorage())


def hit(limit: str, namespace: str, key: str) -> bool:
    """Count one hit of `key`; False once `limit` is used up. With Redis down, this process counts alone (never a 500)."""
    try:
        return bool(limiter.limiter.hit(parse_limit(limit), namespace, key))
    except Exception:  # the storage's own errors (connection refused, timeouts) vary by backend
        log.warning("rate-limit storage unavailable; counting in this process until it answers", exc_info=True)
        return bool(_fallback.hit(parse_limit(limit), namespace, key))


def allow(limit: str, namespace: str, value: str) -> bool:
    """Count one attempt; False once `limit` (e.g. "10 per minute") is used up for this value."""
    return hit(limit, namespace, private_key(namespace, value))
