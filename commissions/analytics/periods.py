"""The period a dashboard shows: the last 7, 30 or 90 days, or a custom range of local days."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from storefront.i18n import format_day
from storefront.localtime import DayRange, local_date

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
#: A custom range may span at most this many days.
MAX_DAYS = 366
#: No sale is older; earlier days would also overflow when turned into UTC east of Greenwich (0001-01-01).
EARLIEST_DAY = date(2000, 1, 1)


class PeriodError(ValueError):
    """A period the dashboard cannot show; the message is safe to show."""


def _parse_day(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        if name == "from":
            message = _("“%(value)s” is not a date for “from”; use YYYY-MM-DD, e.g. 2026-11-01.", value=raw[:20])
        else:
            message = _("“%(value)s” is not a date for “to”; use YYYY-MM-DD, e.g. 2026-11-01.", value=raw[:20])
        raise PeriodError(message) from None


def choose_period(args: Mapping[str, str], now: datetime, tz: ZoneInfo) -> DayRange:
    """`from` and `to` (both, local days, inclusive) or `days` (7, 30 or 90; default 30)."""
    raw_from, raw_to = args.get("from", "").strip(), args.get("to", "").strip()
    if raw_from or raw_to:
        if not (raw_from and raw_to):
            raise PeriodError(_("Choose both a first and a last day for a custom period."))
        first, last = _parse_day(raw_from, "from"), _parse_day(raw_to, "to")
        if first > last:
            raise PeriodError(_("The first day comes after the last day; swap them."))
        if last > local_date(now, tz) + timedelta(days=1):
            raise PeriodError(_("The period ends in the future; choose a last day up to today."))
        if first < EARLIEST_DAY:
            raise PeriodError(_("Choose days from %(day)s on.", day=format_day(EARLIEST_DAY)))
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError(_("Choose at most %(num)d days at a time.", num=MAX_DAYS))
        return DayRange(first, last, tz)
    raw_days = args.get("days", "").strip()
    if not raw_days:
        return DayRange.last_days(DEFAULT_DAYS, now, tz)
    if raw_days not in {str(days) for days in PRESETS}:
        raise PeriodError(_("Choose the last 7, 30 or 90 days, or a custom range."))
    return DayRange.last_days(int(raw_days), now, tz)
