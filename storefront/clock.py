"""The one source of "now", so tests move time instead of sleeping."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current time, always timezone-aware UTC."""
    return _source()


def set_source(source: Callable[[], datetime]) -> Callable[[], datetime]:
    """Replace the time source; returns the previous one so the caller can restore it."""
    global _source
    previous, _source = _source, source
    return previous
