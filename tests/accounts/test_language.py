"""The account's language setting: saved on the account, it beats ?lang= and the browser; cleared, the browser counts again."""
from __future__ import annotations

from typing import Any

import pytest

from storefront.accounts.services import find_user_by_email
from storefront.extensions import db
from storefront.i18n import LOCALE_COOKIE
from tests.conftest import Browser


@pytest.fixture
def signed_in(browser: Browser, create_user: Any) -> Browser:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")
    return browser


def html_lang(response: Any) -> str:
    html = response.get_data(as_text=True)
    start = html.index("<html lang=\"") + len("<html lang=\"")
    return html[start : html.index("\"", start)]


def saved_locale() -> str | None:
    user = find_user_by_email("ana@example.com")
    assert user is not None
    db.session.refresh(user)
    return user.locale


def test_language_setting_lists_each_language_in_its_own_name(signed_in: Browser) -> None:
    page = signed_in.get("/account").get_data(as_text=True)
    select = page[page.index('<select') : page.index("</select>")]
    assert '<option lang="pt-BR" value="pt_BR">Português (Brasil)</option>' in select
    assert '<option lang="zh-Hans-CN" value="zh_Hans_CN">简体中文</option>' in select
    assert '<option selected value="">Use my browser\'s language</option>' in select


def test_language_setting_saved_in_portuguese_renders_the_next_page_in_portuguese(signed_in: Browser) -> None:
    # when
    response = signed_in.post("/account/language", {"locale": "pt_BR"})
    # then
    assert response.status_code == 302 and saved_locale() == "pt_BR"
    assert html_lang(signed_in.get(response.headers["Location"])) == "pt-BR"


def test_language_setting_sets_the_language_cookie(signed_in: Browser) -> None:
    signed_in.post("/account/language", {"locale": "zh_Hans_CN"})
    cookie = signed_in.client.get_cookie(LOCALE_COOKIE)
    assert cookie is not None and cookie.value == "zh_Hans_CN"


def test_language_setting_beats_the_lang_parameter(signed_in: Browser) -> None:
    # given the account reads Portuguese, and no cookie says so
    signed_in.post("/account/language", {"locale": "pt_BR"})
    signed_in.client.delete_cookie(LOCALE_COOKIE)
    # when a link asks for Chinese
    response = signed_in.get("/account?lang=zh-CN")
    # then
    assert html_lang(response) == "pt-BR"


def test_language_setting_beats_the_browsers_language(signed_in: Browser) -> None:
    # given the account reads Portuguese, and no cookie says so
    signed_in.post("/account/language", {"locale": "pt_BR"})
    signed_in.client.delete_cookie(LOCALE_COOKIE)
    # when the browser prefers Chinese
    response = signed_in.get("/account", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    # then
    assert html_lang(response) == "pt-BR"


def test_language_setting_cleared_falls_back_to_the_browsers_language(signed_in: Browser) -> None:
    # given
    signed_in.post("/account/language", {"locale": "pt_BR"})
    # when
    response = signed_in.post("/account/language", {"locale": ""})
    # then
    assert response.status_code == 302 and saved_locale() is None
    assert html_lang(signed_in.get("/account", headers={"Accept-Language": "zh-CN,zh;q=0.9"})) == "zh-Hans-CN"


@pytest.mark.parametrize("value", ["klingon", "pt-PT", "en_GB"])
def test_language_setting_refuses_a_language_not_offered(signed_in: Browser, value: str) -> None:
    response = signed_in.post("/account/language", {"locale": value})
    assert response.status_code == 400
    assert "Pick one of the languages offered." in response.get_data(as_text=True)
    assert saved_locale() is None and signed_in.client.get_cookie(LOCALE_COOKIE) is None


def test_language_setting_needs_a_login(browser: Browser) -> None:
    response = browser.post("/account/language", {"locale": "pt_BR"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
