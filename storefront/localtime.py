"""Calendar days in a person's time zone, as UTC instants: dashboards count by the viewer's days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones
from flask_babel import gettext as _

#: Offered first in the time-zone picker: where Vitrine's shoppers are.
COMMON_ZONES = (
    "America/Sao_Paulo", "America/Manaus", "America/Recife", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei",
    "Europe/Lisbon", "America/New_York", "America/Los_Angeles", "Europe/London", "UTC",
)


class UnknownZone(ValueError):
    """Not an IANA time-zone name we know; the message is safe to show."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    try:
        if name not in all_zone_names():
            raise UnknownZone(_("“%(name)s” is not a time zone we know; pick one from the list, e.g. America/Sao_Paulo.", name=name[:64]))
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as error:
        raise UnknownZone(_("“%(name)s” is not a time zone we know.", name=name[:64])) from error


@lru_cache(maxsize=1)
def all_zone_names() -> frozenset[str]:
    # "Factory" and "localtime" are files of the zone database, not places (and Babel cannot format in them).
    return (frozenset(available_timezones()) - {"Factory", "localtime"}) | {"UTC"}


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local calendar day begins (DST-aware: some days are 23 or 25 hours)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class DayRange:
    """Local days `first`..`last` inclusive in `tz`; `start`/`end` are the UTC instants bounding them (end exclusive)."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return day_start(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1), self.tz)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @classmethod
    def last_days(cls, count: int, now: datetime, tz: ZoneInfo) -> DayRange:
        """The last `count` local days, today included."""
        today = local_date(now, tz)
        return cls(today - timedelta(days=count - 1), today, tz)
