"""Sessions live on the server: log-out ends one for good, "log out everywhere" ends all, old ones expire."""
from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import Browser


def signed_in_copy(app: Flask, browser: Browser) -> Browser:
    """Another browser holding a copy of this one's session cookie (a stolen or synced cookie)."""
    copy = Browser(app.test_client())
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    copy.client.set_cookie("session", cookie.value)
    return copy


def is_signed_in(browser: Browser) -> bool:
    return browser.get("/account").status_code == 200


def test_a_copied_cookie_works_while_the_session_is_open(app: Flask, browser: Browser, create_user: Any) -> None:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")
    assert is_signed_in(signed_in_copy(app, browser))


def test_logging_out_ends_the_session_for_a_copied_cookie_too(app: Flask, browser: Browser, create_user: Any) -> None:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")
    copy = signed_in_copy(app, browser)
    browser.post("/logout")
    assert not is_signed_in(browser) and not is_signed_in(copy)


def test_log_out_everywhere_ends_every_session_of_the_account(app: Flask, browser: Browser, create_user: Any) -> None:
    create_user(email="ana@example.com")
    create_user(email="rui@example.com")
    phone, laptop, someone_else = Browser(app.test_client()), browser, Browser(app.test_client())
    phone.log_in("ana@example.com")
    laptop.log_in("ana@example.com")
    someone_else.log_in("rui@example.com")
    assert "logged in on 2 devices" in laptop.get("/account").get_data(as_text=True)
    response = laptop.post("/logout/everywhere", follow_redirects=True)
    assert "2 sessions ended" in response.get_data(as_text=True)
    assert not is_signed_in(phone) and not is_signed_in(laptop) and is_signed_in(someone_else)


def test_a_session_older_than_its_maximum_age_is_over(browser: Browser, create_user: Any, frozen_clock: Any) -> None:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")
    frozen_clock.advance(days=29)
    assert is_signed_in(browser)
    frozen_clock.advance(days=2)
    assert not is_signed_in(browser)


def test_a_session_cookie_without_a_server_session_signs_nobody_in(app: Flask, browser: Browser, create_user: Any) -> None:
    user = create_user(email="ana@example.com")
    with browser.client.session_transaction() as forged:
        forged["_user_id"] = str(user.id)
        forged["sid"] = "made-up"
    assert not is_signed_in(browser)
