"""Signed webhook payloads in Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`."""
from __future__ import annotations

import hashlib
import hmac

from storefront import clock

TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    pass


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body`, signed now (or at `timestamp`)."""
    timestamp = int(clock.now().timestamp()) if timestamp is None else timestamp
    return f"t={timestamp},v1={compute_signature(secret, timestamp, body)}"


def verify(secret: str, body: bytes, header: str | None, tolerance_seconds: int = TOLERANCE_SECONDS) -> None:
    """Raise InvalidSignature unless one v1 signature matches and the timestamp is recent."""
    if not secret:
        raise InvalidSignature("no webhook secret is configured")
    if not header:
        raise InvalidSignature("missing signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    expected = compute_signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("signature does not match")
    if abs(clock.now().timestamp() - timestamp) > tolerance_seconds:
        raise InvalidSignature("signature timestamp outside the tolerance")
