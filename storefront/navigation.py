"""Where a request may send the browser next."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(candidate: str | None, default: str = "/") -> str:
    """Only same-site absolute paths; anything else (other hosts, `//evil`, `javascript:`) gives the default."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
