"""What list pages share: one page of results, and a safe "contains" pattern for LIKE."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count


def clamp_page(page: int, total: int, per_page: int) -> int:
    """A requested page number brought within 1..last page (any garbage number is fine)."""
    return min(max(page, 1), max(1, math.ceil(total / per_page)))


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with %, _ and the escape character escaped (use escape="\\\\")."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def page_number(raw: str | None) -> int:
    """A `?page=` value as a page number; anything but a plain small number is page 1."""
    raw = raw or "1"
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1
