"""Share links while the database is down: the visitor lands, the click is spooled, and `share replay-spool` stores it once."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from share.destinations import DestinationCache, recent_destinations
from share.models import Click, LinkHour, ShareLink, Touch
from share.spool import REJECTED_FILE, ClickSpool, SpooledClick, new_spooled_click
from share.services import ClickFacts
from tests.conftest import Browser
from tests.share.conftest import follow
from tests.unreachable_database import unreachable_database

CLICK_TIME = datetime(2026, 11, 22, 12, 34, 56, 789012, tzinfo=UTC)


@pytest.fixture
def spool(app: Any) -> Iterator[ClickSpool]:
    """The app's spool, empty, and a cache that remembers nothing from other tests."""
    spool = ClickSpool(Path(app.instance_path))

    def empty() -> None:
        for path in Path(app.instance_path).glob("share-click-spool*"):
            path.unlink()
        recent_destinations.clear()

    empty()
    yield spool
    empty()


def spooled(spool: ClickSpool) -> list[SpooledClick]:
    if not spool.path.exists():
        return []
    return [SpooledClick.from_line(line) for line in spool.path.read_text().splitlines()]


def clicks_of(database: Any, code: str) -> list[Click]:
    return list(database.session.scalars(select(Click).join(ShareLink, ShareLink.id == Click.link_id).where(ShareLink.code == code)))


def replay(runner: Any) -> Any:
    return runner.invoke(args=["share", "replay-spool"])


def test_follow_lands_on_the_cached_destination_and_spools_the_click(
    app: Any, create_shop: Any, share_link: Any, browser: Any, database: Any, spool: ClickSpool, frozen_clock: Any,
) -> None:
    # given a link followed once while the database was up
    code = share_link(create_shop(handle="ana")).code
    follow(browser, code)
    frozen_clock.current = CLICK_TIME
    # when a new visitor follows it while the database is down
    with unreachable_database():
        response = follow(Browser(app.test_client()), code, Referer="https://web.whatsapp.com/chat")
    # then
    assert response.status_code == 302 and response.headers["Location"] == "/@ana"
    [click] = spooled(spool)
    visitor_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("vt_visitor="))
    assert (click.code, click.at, click.device_class, click.referrer_host) == (code, CLICK_TIME, "mobile", "web.whatsapp.com")
    assert visitor_cookie.startswith(f"vt_visitor={click.visitor_id};")
    assert len(click.ip_hash) == 32 and "127.0.0.1" not in spool.path.read_text()


def test_follow_without_a_cached_destination_lands_on_the_home_page(
    create_shop: Any, share_link: Any, browser: Any, database: Any, spool: ClickSpool,
) -> None:
    code = share_link(create_shop()).code
    with unreachable_database():
        response = follow(browser, code)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert [click.code for click in spooled(spool)] == [code]


def test_a_signed_in_visitor_lands_and_is_spooled_too(
    create_shop: Any, create_user: Any, share_link: Any, browser: Any, database: Any, spool: ClickSpool,
) -> None:
    code = share_link(create_shop(handle="ana")).code
    follow(browser, code)
    create_user(email="bia@example.com")
    browser.log_in("bia@example.com")
    with unreachable_database():  # the signed-in visitor's account cannot be read either
        response = follow(browser, code)
    assert response.status_code == 302 and response.headers["Location"] == "/@ana"
    assert [click.code for click in spooled(spool)] == [code]


def test_crawlers_are_not_spooled(create_shop: Any, share_link: Any, browser: Any, database: Any, spool: ClickSpool) -> None:
    code = share_link(create_shop()).code
    with unreachable_database():
        response = browser.client.get(f"/s/{code}", headers={"User-Agent": "Twitterbot/1.0"})
    assert response.status_code == 302 and spooled(spool) == []


def test_replay_stores_a_spooled_click_once_at_its_own_time(
    create_shop: Any, share_link: Any, browser: Any, database: Any, runner: Any, spool: ClickSpool, frozen_clock: Any,
) -> None:
    # given a click spooled while the database was down
    code = share_link(create_shop(handle="ana")).code
    frozen_clock.current = CLICK_TIME
    with unreachable_database():
        follow(browser, code)
    # when the database is back, two hours later, and the spool is replayed twice
    frozen_clock.advance(hours=2)
    first, second = replay(runner), replay(runner)
    # then the click is stored once, at its own time, in its own hour's rollup
    assert first.exit_code == 0 and "1 click(s) recorded" in first.output
    assert second.exit_code == 0 and "0 click(s) recorded" in second.output
    [click] = clicks_of(database, code)
    assert click.created_at == CLICK_TIME
    touch = database.session.scalar(select(Touch).where(Touch.click_id == click.id))
    assert touch.created_at == CLICK_TIME
    hour = database.session.scalar(select(LinkHour).where(LinkHour.link_id == click.link_id))
    assert (hour.hour, hour.clicks, hour.visitors) == (CLICK_TIME.replace(minute=0, second=0, microsecond=0), 1, 1)
    assert spooled(spool) == [] and not spool.replaying_path.exists()


def test_a_click_replayed_again_after_a_cut_off_replay_is_stored_once(
    create_shop: Any, share_link: Any, browser: Any, database: Any, runner: Any, spool: ClickSpool,
) -> None:
    # given a click that was replayed, but whose line came back (a replay cut off before it cleaned up)
    code = share_link(create_shop()).code
    with unreachable_database():
        follow(browser, code)
    line = spool.path.read_text()
    assert replay(runner).exit_code == 0
    spool.replaying_path.write_text(line)
    spool.path.write_text(line)
    # when
    result = replay(runner)
    # then
    assert result.exit_code == 0 and "0 click(s) recorded, 2 already recorded" in result.output
    assert len(clicks_of(database, code)) == 1


def test_replay_while_the_database_is_still_down_keeps_the_clicks(
    create_shop: Any, share_link: Any, browser: Any, database: Any, runner: Any, spool: ClickSpool, frozen_clock: Any,
) -> None:
    code = share_link(create_shop()).code
    with unreachable_database():
        follow(browser, code)
        frozen_clock.advance(seconds=5)
        follow(browser, code)
        result = replay(runner)
    assert result.exit_code == 1 and "2 click(s) stay in the spool" in result.output
    assert len(spooled(spool)) == 2 and not spool.replaying_path.exists()
    assert replay(runner).exit_code == 0
    assert len(clicks_of(database, code)) == 2


def test_unreadable_lines_and_unknown_links_are_set_aside_not_lost(database: Any, runner: Any, spool: ClickSpool) -> None:
    facts = ClickFacts(visitor_id="v" * 20, referrer_host="", device_class="mobile", ip_hash="0" * 32, user_id=None)
    spool.append(new_spooled_click("zzzzzzzz", facts, CLICK_TIME))
    with spool.path.open("a") as stream:
        stream.write("not json\n")
    result = replay(runner)
    assert result.exit_code == 0 and "2 set aside" in result.output
    rejected = (spool.folder / REJECTED_FILE).read_text().splitlines()
    assert rejected[0] == "not json" and SpooledClick.from_line(rejected[1]).code == "zzzzzzzz"
    assert spooled(spool) == []


def test_threads_appending_at_once_write_whole_lines(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path)
    facts = ClickFacts(visitor_id="v" * 24, referrer_host="example.com" * 20, device_class="desktop", ip_hash="1" * 32, user_id=None)

    def write() -> None:
        for _ in range(50):
            spool.append(new_spooled_click("abcdefgh", facts, CLICK_TIME))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = spool.path.read_text().splitlines()
    assert len(lines) == 400 and len({SpooledClick.from_line(line).id for line in lines}) == 400


def test_the_destination_cache_forgets_the_least_recently_used() -> None:
    cache = DestinationCache(max_entries=2)
    cache.remember("aaaaaaaa", "/@a")
    cache.remember("bbbbbbbb", "/@b")
    assert cache.find("aaaaaaaa") == "/@a"
    cache.remember("cccccccc", "/@c")
    assert (cache.find("aaaaaaaa"), cache.find("bbbbbbbb"), cache.find("cccccccc")) == ("/@a", None, "/@c")
    assert len(cache) == 2


def test_clicks_while_up_are_not_spooled(create_shop: Any, share_link: Any, browser: Any, database: Any, spool: ClickSpool) -> None:
    code = share_link(create_shop()).code
    follow(browser, code)
    assert spooled(spool) == [] and database.session.scalar(select(func.count()).select_from(Click)) == 1


def test_a_database_lost_after_the_lookup_still_redirects_and_spools(
    create_shop: Any, share_link: Any, browser: Any, database: Any, spool: ClickSpool, monkeypatch: Any,
) -> None:
    from sqlalchemy.exc import OperationalError

    from share import services

    def connection_lost(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT INTO clicks", {}, Exception("server closed the connection unexpectedly"))

    code = share_link(create_shop(handle="ana")).code
    monkeypatch.setattr(services, "record_click", connection_lost)
    response = follow(browser, code)
    assert response.status_code == 302 and response.headers["Location"] == "/@ana"
    assert [click.code for click in spooled(spool)] == [code]


def test_a_click_spooled_after_an_uncertain_commit_is_not_stored_twice(
    create_shop: Any, share_link: Any, browser: Any, database: Any, runner: Any, spool: ClickSpool, monkeypatch: Any,
) -> None:
    # given a click committed just before the database went away (the answer to the commit lost)
    from sqlalchemy.exc import OperationalError

    from share import views

    def connection_lost(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("SELECT attribution_touches", {}, Exception("server closed the connection unexpectedly"))

    code = share_link(create_shop()).code
    monkeypatch.setattr(views, "_remember_touch", connection_lost)
    follow(browser, code)
    assert len(spooled(spool)) == 1 and len(clicks_of(database, code)) == 1
    # when the spool is replayed, then the click is recognised
    result = replay(runner)
    assert "0 click(s) recorded, 1 already recorded" in result.output
    assert len(clicks_of(database, code)) == 1
