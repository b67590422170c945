"""Rate limits by client network or by account, kept in the limiter's storage (memory per worker, Redis when set)."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app
from limits import parse as parse_limit

from storefront.extensions import limiter


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


def allow(limit: str, namespace: str, value: str) -> bool:
    """Count one attempt; False once `limit` (e.g. "10 per minute") is used up for this value."""
    return limiter.limiter.hit(parse_limit(limit), namespace, private_key(namespace, value))
