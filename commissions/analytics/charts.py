"""Bar charts drawn on the server as SVG geometry: no script, no CDN, readable on a phone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storefront.i18n import format_day, format_number

WIDTH = 600
HEIGHT = 160
#: Bars keep a gap between them while they are wide enough to show one.
GAP_RATIO = 0.2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    #: The bar's tooltip and accessible text in the reader's language: "Nov 3, 2026: 12".
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    peak: int
    first_day: date | None
    last_day: date | None
    width: int = WIDTH
    height: int = HEIGHT


def bar_chart(title: str, points: list[tuple[date, int]]) -> BarChart:
    """One bar per day, scaled to the period's peak (a zero day has no bar but keeps its place)."""
    if not points:
        return BarChart(title, (), 0, None, None)
    peak = max(value for _day, value in points)
    slot = WIDTH / len(points)
    gap = slot * GAP_RATIO if slot >= 4 else 0
    bars = []
    for index, (day, value) in enumerate(points):
        height = HEIGHT * value / peak if peak else 0
        bars.append(Bar(round(index * slot + gap / 2, 2), round(HEIGHT - height, 2), round(slot - gap, 2), round(height, 2),
                        f"{format_day(day)}: {format_number(value)}"))
    return BarChart(title, tuple(bars), peak, points[0][0], points[-1][0])
