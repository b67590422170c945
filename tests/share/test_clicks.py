"""Following a link: counted once for a person, never for crawlers, previews or stuffed images."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from share.models import Channel, Click, LinkTarget
from share.services import ClickFacts, get_or_create_link, record_click, resolve_link
from storefront.extensions import create_database_engine, db
from tests.conftest import TEST_DATABASE_URL, migrate, on_postgresql, open_published_shop
from tests.share.conftest import PHONE, follow


def click_count(database: Any) -> int:
    return database.session.scalar(select(func.count()).select_from(Click)) or 0


def test_click_is_recorded_with_only_what_is_needed(create_shop: Any, share_link: Any, browser: Any, database: Any) -> None:
    code = share_link(create_shop()).code
    response = follow(browser, code, Referer="https://web.whatsapp.com/some/chat?id=42")
    click = database.session.scalar(select(Click))
    assert response.status_code == 302
    assert (click.referrer_host, click.device_class, click.unique_visit) == ("web.whatsapp.com", "mobile", True)
    assert len(click.visitor_id) >= 16 and len(click.ip_hash) == 32 and "127.0.0.1" not in click.ip_hash
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("vt_ref=") and "HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    assert any(c.startswith("vt_visitor=") and "HttpOnly" in c for c in cookies)


@pytest.mark.parametrize("user_agent", [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0", "WhatsApp/2.23.20.0 A", "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0)", "curl/8.5.0", "",
])
def test_crawlers_get_the_redirect_but_no_click_or_cookie(create_shop: Any, share_link: Any, browser: Any, database: Any, user_agent: str) -> None:
    code = share_link(create_shop(handle="ana")).code
    response = browser.client.get(f"/s/{code}", headers={"User-Agent": user_agent})
    assert response.headers["Location"] == "/@ana"
    assert "vt_ref" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert click_count(database) == 0


def test_head_requests_are_not_clicks(create_shop: Any, share_link: Any, browser: Any, database: Any) -> None:
    code = share_link(create_shop()).code
    assert browser.client.head(f"/s/{code}", headers={"User-Agent": PHONE}).status_code == 302
    assert click_count(database) == 0


@pytest.mark.parametrize("destination", ["image", "iframe", "script", "empty"])
def test_links_loaded_as_images_or_frames_are_not_clicks(create_shop: Any, share_link: Any, browser: Any, database: Any, destination: str) -> None:
    code = share_link(create_shop()).code
    response = follow(browser, code, **{"Sec-Fetch-Dest": destination})
    assert "vt_ref" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert click_count(database) == 0


def test_repeat_clicks_within_30_minutes_are_one_unique_visit(create_shop: Any, share_link: Any, browser: Any, database: Any, frozen_clock: Any) -> None:
    code = share_link(create_shop()).code
    follow(browser, code)
    frozen_clock.advance(minutes=10)
    follow(browser, code)
    frozen_clock.advance(minutes=31)
    follow(browser, code)
    flags = list(database.session.scalars(select(Click.unique_visit).order_by(Click.id)))
    assert flags == [True, False, True]


def test_clicks_over_the_rate_limit_still_redirect_but_are_not_counted(app: Any, create_shop: Any, share_link: Any, browser: Any, database: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "SHARE_CLICK_RATE_LIMIT", "2 per minute")
    code = share_link(create_shop(handle="ana")).code
    responses = [follow(browser, code) for _ in range(4)]
    assert [r.headers["Location"] for r in responses] == ["/@ana"] * 4
    assert click_count(database) == 2


def test_a_failure_to_record_still_redirects(create_shop: Any, share_link: Any, browser: Any, database: Any, monkeypatch: Any) -> None:
    from share import services

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "record_click", broken)
    code = share_link(create_shop(handle="ana")).code
    response = follow(browser, code)
    assert response.status_code == 302 and response.headers["Location"] == "/@ana"
    assert "vt_ref" not in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("header", [{"Sec-Purpose": "prefetch"}, {"Sec-Purpose": "prefetch;prerender"}, {"Purpose": "prefetch"}])
def test_prefetches_and_prerenders_are_not_clicks(create_shop: Any, share_link: Any, browser: Any, database: Any, header: dict[str, str]) -> None:
    code = share_link(create_shop()).code
    response = follow(browser, code, **header)
    assert response.status_code == 302
    assert "vt_ref" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert click_count(database) == 0


def test_one_ipv6_network_shares_one_rate_limit(app: Any, create_shop: Any, share_link: Any, browser: Any, database: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "SHARE_CLICK_RATE_LIMIT", "2 per minute")
    code = share_link(create_shop(handle="ana")).code
    for host in ("1", "2", "3", "4"):
        browser.client.get(f"/s/{code}", headers={"User-Agent": PHONE}, environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{host}"})
    assert click_count(database) == 2


def test_rate_limit_networks() -> None:
    from storefront.throttle import network_of

    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of("::ffff:192.0.2.7") == network_of("192.0.2.7") == "192.0.2.7"
    assert network_of("not an address") == "not an address"


@on_postgresql
@pytest.mark.parametrize("waits_for_flush", [True, False])
def test_a_clicks_transaction_waits_for_the_disk_only_when_told_to(
    app: Any, create_shop: Any, share_link: Any, database: Any, waits_for_flush: bool,
) -> None:
    code = share_link(create_shop()).code
    with app.test_request_context():
        connection = database.session.connection()
        server_default = connection.scalar(text("SELECT current_setting('synchronous_commit')"))
        link = resolve_link(code, "visitor-0123456789abcdef", connection=connection)
        record_click(link, ClickFacts("visitor-0123456789abcdef", "", "mobile", "hash", None), connection=connection,
                     waits_for_flush=waits_for_flush)
        # what the transaction's commit will do (SET LOCAL, said by the click's own statement)
        expected = server_default if waits_for_flush else "off"
        assert connection.scalar(text("SELECT current_setting('synchronous_commit')")) == expected


@pytest.mark.skipif(TEST_DATABASE_URL is not None, reason="SQLite's write lock: the suite's database is PostgreSQL")
def test_a_visitors_click_on_sqlite_holds_the_write_lock_for_its_writes_alone(app: Any, tmp_path: Path) -> None:
    # a database of its own, bound to the session as in production (the suite's runs each test in one transaction)
    url = f"sqlite:///{tmp_path / 'clicks.sqlite3'}"
    migrate(url)
    engine = create_database_engine(url)
    suites_binding = db.session_factory.kw.get("bind")
    db.session.remove()
    db.session_factory.configure(bind=engine)
    try:
        with app.test_request_context():
            code = get_or_create_link(open_published_shop("rush"), LinkTarget.SHOP, 0, Channel.WHATSAPP).code
            db.session.commit()
            db.session.remove()
        sent: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: sent.append(" ".join(statement.split()[:2])))
        phone = app.test_client()
        for visit in ("first", "returning"):
            sent.clear()
            response = phone.get(f"/s/{code}", headers={"User-Agent": PHONE, "Sec-Fetch-Dest": "document"})
            assert response.status_code == 302
            # the link and the visitor's last click, read without the lock; then the click, its touch and both
            # rollups; a returning visitor's first touch (their cookie's) is read after the commit, without the lock
            read_after = ["SELECT"] if visit == "returning" else []
            assert [statement.split()[0] for statement in sent] == ["SELECT", "BEGIN", "INSERT", "INSERT", "INSERT", "INSERT",
                                                                    *read_after], visit
            assert sent[1] == "BEGIN IMMEDIATE"
    finally:
        db.session.remove()
        db.session_factory.configure(bind=suites_binding)
        engine.dispose()
