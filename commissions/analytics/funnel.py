"""The numbers every breakdown shows, and how rows fold together (links into channels, looks, totals)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from storefront.extensions import db
from storefront.localtime import DayRange, local_date
from storefront.money import Money


@dataclass(frozen=True)
class FunnelRow:
    """Clicks → visitors → orders → sales for one channel, link, look, curator or the whole period."""

    key: str
    label: str
    clicks: int
    visitors: int
    orders: int
    #: What the buyers kept: paid line totals minus refunds.
    sales: Money
    commission: Money

    @property
    def conversion(self) -> Decimal | None:
        """Orders per 100 unique visitors, one decimal; None without visitors."""
        if self.visitors == 0:
            return None
        return (Decimal(self.orders) * 100 / Decimal(self.visitors)).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def __add__(self, other: FunnelRow) -> FunnelRow:
        return replace(
            self, clicks=self.clicks + other.clicks, visitors=self.visitors + other.visitors, orders=self.orders + other.orders,
            sales=self.sales + other.sales, commission=self.commission + other.commission,
        )


def empty_row(key: str, label: str, currency: str) -> FunnelRow:
    return FunnelRow(key, label, 0, 0, 0, Money(0, currency), Money(0, currency))


def fold(rows: Iterable[tuple[str, str, FunnelRow]], currency: str) -> list[FunnelRow]:
    """Sum rows under new (key, label) pairs, biggest sales first, then most clicks."""
    folded: dict[str, FunnelRow] = {}
    for key, label, row in rows:
        folded[key] = folded.get(key, empty_row(key, label, currency)) + row
    return sorted(folded.values(), key=lambda r: (-r.sales.minor, -r.clicks, r.label))


@dataclass(frozen=True)
class DayPoint:
    day: date
    clicks: int
    visitors: int
    orders: int


def hour_bucket(column: ColumnElement[datetime]) -> ColumnElement[object]:
    """The UTC hour an instant falls in, computed by the database (so a year is at most 8,784 groups)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:00:00", column)


def as_utc_hour(value: object) -> datetime:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def fold_hours(rows: Iterable[tuple[object, ...]], tz: ZoneInfo) -> dict[date, list[int]]:
    """Sum hourly rows (hour, n1, n2, ...) into the local days of `tz`."""
    days: dict[date, list[int]] = {}
    for hour, *counts in rows:
        totals = days.setdefault(local_date(as_utc_hour(hour), tz), [0] * len(counts))
        for index, count in enumerate(counts):
            totals[index] += int(count)
    return days


def days_of(days: DayRange, clicks: dict[date, list[int]], orders: dict[date, list[int]]) -> list[DayPoint]:
    """Every day of the range, with its (clicks, visitors) and orders (0 where none)."""
    return [
        DayPoint(day, *(clicks.get(day) or (0, 0)), (orders.get(day) or [0])[0])
        for day in days.days
    ]
