"""On PostgreSQL with real transactions: clicks landing together on one link's hour are all counted."""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from commissions.analytics import cli as analytics
from share.models import Channel, Click, LinkHour, LinkTarget, Touch
from storefront.extensions import db
from tests.commissions.test_concurrency import THREADS, run_at_once
from tests.conftest import empty_every_table, on_postgresql, open_published_shop
from tests.share.conftest import PHONE

pytestmark = on_postgresql


@pytest.fixture
def committed_link(app: Any) -> Iterator[str]:
    from share.services import get_or_create_link

    with app.test_request_context():
        shop = open_published_shop("rush")
        code = get_or_create_link(shop, LinkTarget.SHOP, 0, Channel.WHATSAPP).code
        db.session.commit()
        db.session.remove()
    yield code
    empty_every_table()


def test_simultaneous_clicks_on_one_link_are_each_counted(app: Any, committed_link: str) -> None:
    from share.services import ClickFacts, record_click, resolve_link

    visitors = itertools.count()

    def click() -> int:
        link = resolve_link(committed_link)
        return record_click(link, ClickFacts(f"visitor-{next(visitors)}", "", "mobile", "hash", None)).id

    results = run_at_once(app, click)
    assert all(isinstance(result, int) for result in results), results
    with app.test_request_context():
        clicks, unique = db.session.execute(select(func.sum(LinkHour.clicks), func.sum(LinkHour.visitors))).one()
        assert (clicks, unique) == (THREADS, THREADS)
        assert analytics.differences() == []
        db.session.remove()


def follow_as_a_new_visitor(app: Any, code: str) -> int:
    response = app.test_client().get(f"/s/{code}", headers={"User-Agent": PHONE, "Sec-Fetch-Dest": "document"})
    return response.status_code


def test_visitors_following_one_link_together_are_each_counted_once(app: Any, committed_link: str) -> None:
    # each visitor's click is one statement, committed by itself (no transaction around the request)
    results = run_at_once(app, lambda: follow_as_a_new_visitor(app, committed_link))
    assert results == [302] * THREADS
    with app.test_request_context():
        clicks, touches = db.session.execute(
            select(select(func.count()).select_from(Click).scalar_subquery(), select(func.count()).select_from(Touch).scalar_subquery())
        ).one()
        assert (clicks, touches) == (THREADS, THREADS)
        assert analytics.differences() == []
        db.session.remove()


def statements_of_a_visitors_click(app: Any, code: str) -> list[tuple[str, bool, bool]]:
    """(first word, in autocommit, sets a setting) of each statement a new visitor's click sends."""
    follow_as_a_new_visitor(app, code)  # warm up: the first request of the app may read more
    sent: list[tuple[str, bool, bool]] = []

    def record(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append((statement.split(None, 1)[0], connection.connection.driver_connection.autocommit,
                     "set_config(" in statement))

    # every engine's: the click's statements go through the autocommit twin of the session's engine
    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert follow_as_a_new_visitor(app, code) == 302
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return sent


def test_a_visitors_click_sends_two_statements_each_committed_by_itself(app: Any, committed_link: str) -> None:
    # the link with the visitor's last click; the click, its touch and the rollups, committed without waiting for
    # the disk; no BEGIN, no COMMIT
    assert statements_of_a_visitors_click(app, committed_link) == [("SELECT", True, False), ("WITH", True, True)]


def test_a_visitors_click_waits_for_the_disk_when_configured_to(app: Any, committed_link: str, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "SHARE_CLICK_COMMIT", "sync")
    assert statements_of_a_visitors_click(app, committed_link) == [("SELECT", True, False), ("WITH", True, False)]
