"""Where a request may send the browser next."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(candidate: str | None, default: str = "/") -> str:
    """Only same-site absolute paths; anything else (other hosts, `//evil`, `javascript:`) gives the default."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    # Control characters (CR/LF above all) must never reach a Location header.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in candidate) or len(candidate) > 2000:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
