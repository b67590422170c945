"""The notifications pages: the owner's list, marking read, the settings, and the header's unread badge."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from commissions.notifications import services
from commissions.notifications.models import NotificationKind
from commissions.notifications.services import Channels, Message
from storefront.extensions import db
from tests.commissions.conftest import signed_in
from tests.conftest import Browser
from tests.notifications.conftest import notices_of


@pytest.fixture
def told(app: Flask, database: Any) -> Callable[..., Any]:
    """`told(user, n)` → n committed notices for the user, the newest last ("Notice 1" … "Notice n")."""
    def tell(user: Any, count: int = 1, kind: NotificationKind = NotificationKind.SALE_PAID) -> list[Any]:
        with app.test_request_context():
            made = [services.notify(user.id, Message(kind, title=f"Notice {n}", body=f"Body {n}", link_path="/me/earnings"),
                                    dedupe_key=f"test:{user.id}:{kind}:{n}").notice for n in range(1, count + 1)]
            db.session.commit()
        return made
    return tell


@pytest.fixture
def ana(create_user: Any) -> Any:
    return create_user(email="ana@example.com")


@pytest.fixture
def ana_browser(app: Flask, ana: Any) -> Browser:
    return signed_in(app, "ana@example.com")


def titles(page: str) -> list[str]:
    return re.findall(r'class="notice-title"[^>]*>(?:<span class="visually-hidden">Unread: </span>)?([^<]+)</a>', page)


def test_the_notifications_page_needs_a_login(browser: Browser) -> None:
    response = browser.get("/me/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_shows_the_newest_first_each_linking_to_its_detail(ana: Any, ana_browser: Browser, told: Any) -> None:
    told(ana, 3)
    page = ana_browser.get("/me/notifications").get_data(as_text=True)
    assert titles(page) == ["Notice 3", "Notice 2", "Notice 1"]
    assert '<a class="notice-title" href="/me/earnings">' in page


def test_the_list_is_paginated(ana: Any, ana_browser: Browser, told: Any) -> None:
    told(ana, 21)
    assert len(titles(ana_browser.get("/me/notifications").get_data(as_text=True))) == 20
    assert titles(ana_browser.get("/me/notifications?page=2").get_data(as_text=True)) == ["Notice 1"]


def test_unread_notices_are_highlighted(ana: Any, ana_browser: Browser, told: Any) -> None:
    told(ana, 1)
    page = ana_browser.get("/me/notifications").get_data(as_text=True)
    assert '<li class="notice unread">' in page and "Unread: </span>Notice 1" in page


def test_someone_else_sees_only_their_own(ana: Any, told: Any, app: Flask, create_user: Any) -> None:
    told(ana, 1)
    create_user(email="bia@example.com")
    assert titles(signed_in(app, "bia@example.com").get("/me/notifications").get_data(as_text=True)) == []


def test_marking_one_read(ana: Any, ana_browser: Browser, told: Any) -> None:
    first, second = told(ana, 2)
    response = ana_browser.post(f"/me/notifications/{first.id}/read", {"page": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/notifications?page=1")
    assert [n.read_at is not None for n in notices_of(ana.id)] == [True, False]


def test_marking_someone_elses_notice_is_404(ana: Any, told: Any, app: Flask, create_user: Any) -> None:
    [notice] = told(ana, 1)
    create_user(email="bia@example.com")
    assert signed_in(app, "bia@example.com").post(f"/me/notifications/{notice.id}/read").status_code == 404
    assert notices_of(ana.id)[0].read_at is None


def test_marking_read_needs_the_csrf_token(ana: Any, ana_browser: Browser, told: Any) -> None:
    [notice] = told(ana, 1)
    assert ana_browser.post(f"/me/notifications/{notice.id}/read", csrf=False).status_code == 400


def test_marking_all_read_leaves_others_notices_alone(ana: Any, ana_browser: Browser, told: Any, create_user: Any) -> None:
    told(ana, 2)
    bia = create_user(email="bia@example.com")
    told(bia, 1)
    assert ana_browser.post("/me/notifications/read").status_code == 302
    assert [n.read_at is not None for n in notices_of(ana.id)] == [True, True]
    assert notices_of(bia.id)[0].read_at is None


def test_the_settings_page_has_every_kind_checked_by_default(ana_browser: Browser) -> None:
    page = ana_browser.get("/me/notifications/settings").get_data(as_text=True)
    for kind in NotificationKind:
        assert kind.label in page
        assert re.search(rf'<input checked id="{kind.value}_email"', page) and re.search(rf'<input checked id="{kind.value}_in_app"', page)


def test_the_settings_are_saved(app: Flask, ana: Any, ana_browser: Browser) -> None:
    boxes = {f"{kind.value}_{channel}": "y" for kind in NotificationKind for channel in ("email", "in_app")}
    del boxes["sale_paid_email"], boxes["payout_sent_in_app"]
    response = ana_browser.post("/me/notifications/settings", boxes)
    assert response.status_code == 302
    with app.app_context():
        saved = services.preferences_for(ana.id)
    assert saved[NotificationKind.SALE_PAID] == Channels(email=False, in_app=True)
    assert saved[NotificationKind.PAYOUT_SENT] == Channels(email=True, in_app=False)
    assert saved[NotificationKind.COMMISSION_AVAILABLE] == Channels(email=True, in_app=True)
    page = ana_browser.get("/me/notifications/settings").get_data(as_text=True)
    assert '<input id="sale_paid_email"' in page


def test_the_header_badge_counts_unread_notices(ana: Any, ana_browser: Browser, told: Any) -> None:
    first, _second, _third = told(ana, 3)
    ana_browser.post(f"/me/notifications/{first.id}/read")
    page = ana_browser.get("/").get_data(as_text=True)
    assert '<span class="badge" aria-label="2 unread">2</span>' in page


def test_no_badge_without_unread_notices(ana_browser: Browser) -> None:
    page = ana_browser.get("/").get_data(as_text=True)
    assert ">Notifications</a>" in page and re.search(r'aria-label="\d+ unread"', page) is None


def test_the_badge_costs_one_count_query_per_page(ana: Any, ana_browser: Browser, told: Any) -> None:
    told(ana, 2)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM notices" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        ana_browser.get("/me/notifications")  # the header and the "mark all" button both ask
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert sum("WHERE notices.user_id" in s and "read_at IS NULL" in s for s in statements) == 1
