"""A counted click written in one PostgreSQL statement: the click, its attribution touch and both rollup rows.

The same rows `record_click` writes with four statements elsewhere (SQLite cannot modify data inside a
WITH clause); here one round trip does it. Each step selects from the one before, so PostgreSQL runs
them in order — click, touch, hour, day: rollup rows are locked in the order every other writer of
them uses (`rollups.count_click`, the rebuild), which keeps two writers from waiting on each other.
"""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql

from share.models import Click, LinkDay, LinkHour, Touch
from storefront.sqltypes import UTCDateTime


def _rollup(table: Table, period: str, after: Any, name: str) -> Any:
    """Add :clicks and :visitors to the link's row for :<period>, once `after` has run; returns its CTE."""
    rows = select(
        bindparam("link_id", type_=Integer), bindparam(period, type_=table.c[period].type),
        bindparam("clicks", type_=Integer), bindparam("visitors", type_=Integer),
    ).select_from(after)
    upsert = postgresql.insert(table).from_select(["link_id", period, "clicks", "visitors"], rows)
    return upsert.on_conflict_do_update(
        index_elements=[table.c.link_id, table.c[period]],
        set_={"clicks": table.c.clicks + upsert.excluded.clicks, "visitors": table.c.visitors + upsert.excluded.visitors},
    ).returning(table.c.link_id).cte(name)


@functools.cache
def click_statement(*, counted: bool = True, waits_for_flush: bool = True) -> Select[tuple[int, int]]:
    """Returns (touch id, click id). Parameters: link_id, shop_id, created_at, hour, day, visitor_id, user_id,
    referrer_host, device_class, ip_hash, unique_visit, kind, clicks (1) and visitors (1 on the visitor's first
    click of the curator's day, else 0). A click that is not `counted` (a bot's) writes no rollup row.

    Unless it `waits_for_flush`, the statement's transaction commits without waiting for its WAL to reach the disk
    (a visitor's click run by itself, SHARE_CLICK_COMMIT=async; see `_commit_without_waiting`).
    """
    clicks, touches = Click.__table__, Touch.__table__
    click = insert(clicks).values(
        link_id=bindparam("link_id"), created_at=bindparam("created_at"), visitor_id=bindparam("visitor_id"),
        referrer_host=bindparam("referrer_host"), device_class=bindparam("device_class"), ip_hash=bindparam("ip_hash"),
        unique_visit=bindparam("unique_visit"),
    ).returning(clicks.c.id).cte("click")
    touch_rows = select(
        bindparam("visitor_id", type_=String), bindparam("user_id", type_=Integer), bindparam("shop_id", type_=Integer),
        click.c.id, bindparam("kind", type_=String), bindparam("created_at", type_=UTCDateTime),
    )
    touch = insert(touches).from_select(
        ["visitor_id", "user_id", "shop_id", "click_id", "kind", "created_at"], touch_rows
    ).returning(touches.c.id, touches.c.click_id).cte("touch")
    statement = select(touch.c.id, touch.c.click_id)
    if counted:
        hour = _rollup(LinkHour.__table__, "hour", touch, "hour_rollup")
        statement = statement.add_cte(_rollup(LinkDay.__table__, "day", hour, "day_rollup"))
    return statement if waits_for_flush else statement.where(_commit_without_waiting())


def _commit_without_waiting() -> ColumnElement[bool]:
    """True; and the transaction this is evaluated in commits without waiting for its WAL to be flushed to disk
    (`SET LOCAL synchronous_commit = off`, said inside the statement: in autocommit it is its own transaction).

    Every click of a viral link adds to the same two rollup rows, whose locks are held until the commit ends, so
    waiting for the disk there puts the clicks in single file (README, Performance). What it risks: a crash of the
    PostgreSQL server — not of the app — or a failover to a standby loses the clicks of the last moments
    (at most 3 × wal_writer_delay, 0.6 s by default), each whole with its touch and rollup counts, as if never made;
    a visitor's cookie may then name a touch that is gone, or whose id was given again, which counts for nothing
    (`share.services` matches touches with the visitor who made them). Nothing is left inconsistent.
    """
    return func.set_config("synchronous_commit", "off", True).is_not(None)
