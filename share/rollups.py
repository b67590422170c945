"""Clicks rolled up per link per UTC hour and per day of the curator's calendar: counted in the click's own
transaction, rebuildable from the raw clicks.

Both paths use one rule, so a rebuild reproduces the incremental numbers exactly: every
counted click adds one click to its hour and its day; a visitor adds one visitor to the hour
and the day of their first click on that link in each day of the curator's calendar. The
curator's dashboard reads the days; the operators' (in the store's calendar) read the hours.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Insert, Table, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from share.models import Click, DeviceClass, LinkDay, LinkHour, ShareLink
from storefront import localtime
from storefront.accounts.models import User
from storefront.extensions import db
from storefront.shops.models import Shop

#: Links rebuilt per round trip: bounds the memory a rebuild of every shop needs.
REBUILD_BATCH = 200


def hour_of(instant: datetime) -> datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


def curator_zone(user: User) -> ZoneInfo:
    """The curator's calendar; a name we no longer know falls back to UTC rather than losing the click."""
    return zone_named(user.time_zone)


def zone_named(name: str) -> ZoneInfo:
    try:
        return localtime.zone(name)
    except localtime.UnknownZone:
        return localtime.zone("UTC")


def first_click_of_day(previous: datetime | None, now: datetime, tz: ZoneInfo) -> bool:
    return previous is None or localtime.local_date(previous, tz) != localtime.local_date(now, tz)


@functools.cache
def _upsert(dialect: str, table: Table) -> Insert:
    """INSERT … ON CONFLICT DO UPDATE adding to the counts, built once per dialect and table (every click runs two)."""
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return upsert.on_conflict_do_update(
        index_elements=[table.c.link_id, table.c.hour if "hour" in table.c else table.c.day],
        set_={"clicks": table.c.clicks + upsert.excluded.clicks, "visitors": table.c.visitors + upsert.excluded.visitors},
    )


def _add(connection: Connection, model: type[LinkHour] | type[LinkDay], key: dict[str, object], clicks: int, visitors: int) -> None:
    connection.execute(_upsert(connection.dialect.name, model.__table__), {**key, "clicks": clicks, "visitors": visitors})


def count_click(
    connection: Connection, link_id: int, created_at: datetime, device_class: str, *, first_of_day: bool, day: date
) -> None:
    """Add one click (and one visitor when it is the visitor's first of the day) to the link's hour and day, atomically,
    on `connection` (the click's own transaction)."""
    if device_class == DeviceClass.BOT:
        return
    _add(connection, LinkHour, {"link_id": link_id, "hour": hour_of(created_at)}, 1, int(first_of_day))
    _add(connection, LinkDay, {"link_id": link_id, "day": day}, 1, int(first_of_day))


def _links_with_zones(shop_ids: Iterable[int] | None) -> list[tuple[int, ZoneInfo]]:
    query = select(ShareLink.id, User).join(Shop, Shop.id == ShareLink.shop_id).join(User, User.id == Shop.user_id)
    if shop_ids is not None:
        query = query.where(ShareLink.shop_id.in_(list(shop_ids)))
    return [(link_id, curator_zone(user)) for link_id, user in db.session.execute(query.order_by(ShareLink.id))]


Counts = dict[tuple[int, object], list[int]]


def _rolled_up(zones: dict[int, ZoneInfo]) -> tuple[Counts, Counts]:
    """(per link and hour, per link and local day): [clicks, visitors]."""
    hours: Counts = {}
    days: Counts = {}
    last_day: dict[tuple[int, str], date] = {}
    clicks = db.session.execute(
        select(Click.link_id, Click.visitor_id, Click.created_at)
        .where(Click.link_id.in_(list(zones)), Click.device_class != DeviceClass.BOT)
        .order_by(Click.link_id, Click.visitor_id, Click.created_at)
        .execution_options(yield_per=10_000)
    )
    for link_id, visitor_id, created_at in clicks:
        day = localtime.local_date(created_at, zones[link_id])
        first = last_day.get((link_id, visitor_id)) != day
        last_day[(link_id, visitor_id)] = day
        for counts in (hours.setdefault((link_id, hour_of(created_at)), [0, 0]), days.setdefault((link_id, day), [0, 0])):
            counts[0] += 1
            counts[1] += int(first)
    return hours, days


def rebuild_link_hours(shop_ids: Iterable[int] | None = None) -> int:
    """Recompute the hourly and daily rollups of these shops' links (every shop's by default) from the raw clicks.

    Flushes, never commits: the caller's transaction replaces the rows all at once. Returns the hour rows written.
    """
    links = _links_with_zones(shop_ids)
    written = 0
    for start in range(0, len(links), REBUILD_BATCH):
        zones = dict(links[start:start + REBUILD_BATCH])
        db.session.execute(delete(LinkHour).where(LinkHour.link_id.in_(list(zones))))
        db.session.execute(delete(LinkDay).where(LinkDay.link_id.in_(list(zones))))
        hours, days = _rolled_up(zones)
        if hours:
            db.session.execute(insert(LinkHour), [
                {"link_id": link_id, "hour": hour, "clicks": c, "visitors": v} for (link_id, hour), (c, v) in sorted(hours.items())
            ])
        if days:
            db.session.execute(insert(LinkDay), [
                {"link_id": link_id, "day": day, "clicks": c, "visitors": v} for (link_id, day), (c, v) in sorted(days.items())
            ])
        written += len(hours)
    return written
