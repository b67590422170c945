"""A page speaks the user's setting, else the ?lang= switch (remembered), else Accept-Language, else DEFAULT_LOCALE."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from storefront import create_app
from storefront.accounts.models import User
from storefront.extensions import db
from storefront.i18n import LOCALE_COOKIE, normalize


def page_language(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no <html lang>"
    return match.group(1)


def test_a_browser_asking_for_portuguese_gets_portuguese(browser: Any) -> None:
    assert page_language(browser.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"})) == "pt-BR"


def test_the_first_language_we_speak_in_accept_language_wins(browser: Any) -> None:
    assert page_language(browser.get("/", headers={"Accept-Language": "fr-FR, zh-CN;q=0.8, en;q=0.5"})) == "zh-Hans-CN"


def test_a_browser_asking_for_nothing_we_speak_gets_the_default(browser: Any) -> None:
    assert page_language(browser.get("/", headers={"Accept-Language": "fr-FR, de;q=0.5"})) == "en"


def test_the_lang_switch_beats_accept_language_and_is_remembered(browser: Any) -> None:
    first = browser.get("/?lang=zh_Hans_CN", headers={"Accept-Language": "pt-BR"})
    assert page_language(first) == "zh-Hans-CN"
    assert f"{LOCALE_COOKIE}=zh_Hans_CN" in first.headers["Set-Cookie"]
    assert page_language(browser.get("/", headers={"Accept-Language": "pt-BR"})) == "zh-Hans-CN"


def test_an_unknown_lang_is_ignored(browser: Any) -> None:
    response = browser.get("/?lang=xx-YY", headers={"Accept-Language": "pt-BR"})
    assert page_language(response) == "pt-BR"
    assert LOCALE_COOKIE not in response.headers.get("Set-Cookie", "")


def test_the_language_buttons_remember_the_choice_and_return_to_the_page(browser: Any) -> None:
    response = browser.post("/language", {"lang": "pt_BR", "next": "/search?q=shoes"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/search?q=shoes")
    assert page_language(browser.get("/", headers={"Accept-Language": "en"})) == "pt-BR"


def test_the_language_buttons_never_send_you_to_another_site(browser: Any) -> None:
    response = browser.post("/language", {"lang": "en", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/")
    assert "evil.example" not in response.headers["Location"]


def test_the_language_buttons_refuse_a_language_we_do_not_speak(browser: Any) -> None:
    response = browser.post("/language", {"lang": "klingon"})
    assert response.status_code == 400
    assert "Pick one of the languages offered" in response.get_data(as_text=True)


def test_a_signed_in_users_setting_beats_the_switch_and_the_browser(browser: Any, create_user: Any) -> None:
    user = create_user(email="lia@example.com")
    user.locale = "zh_Hans_CN"
    db.session.commit()
    browser.log_in("lia@example.com")
    assert page_language(browser.get("/?lang=pt_BR", headers={"Accept-Language": "pt-BR"})) == "zh-Hans-CN"


def test_signed_in_users_who_press_a_language_button_keep_it_on_their_account(browser: Any, create_user: Any) -> None:
    user = create_user(email="rui@example.com")
    browser.log_in("rui@example.com")
    browser.post("/language", {"lang": "pt_BR", "next": "/"})
    assert db.session.get(User, user.id).locale == "pt_BR"


def test_the_default_locale_is_configurable(app: Flask, browser: Any) -> None:
    app.config["DEFAULT_LOCALE"] = "pt_BR"
    try:
        assert page_language(browser.get("/")) == "pt-BR"
    finally:
        app.config["DEFAULT_LOCALE"] = "en"


def test_language_tags_map_to_our_catalogs() -> None:
    assert [normalize(tag) for tag in ("pt-BR", "pt-PT", "pt", "zh-CN", "zh-Hans", "zh_Hans_CN", "zh-TW", "en-GB", "fr", "", None)] == [
        "pt_BR", "pt_BR", "pt_BR", "zh_Hans_CN", "zh_Hans_CN", "zh_Hans_CN", "zh_Hans_CN", "en", None, None, None]


def test_an_unknown_store_currency_stops_the_start_with_a_clear_message(tmp_path: Any) -> None:
    with pytest.raises(RuntimeError, match="CURRENCY must be an ISO 4217 code"):
        create_app({"CURRENCY": "XYZ1", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})


def test_an_unknown_default_locale_stops_the_start_with_a_clear_message(tmp_path: Any) -> None:
    with pytest.raises(RuntimeError, match="DEFAULT_LOCALE must be one of en, pt_BR, zh_Hans_CN"):
        create_app({"DEFAULT_LOCALE": "fr", "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})


def test_signing_in_remembers_the_browsers_language_for_e_mails(browser: Any, create_user: Any) -> None:
    user = create_user(email="lia@example.com")
    browser.post("/login", {"email": "lia@example.com", "password": "correct horse battery"}, headers={"Accept-Language": "pt-BR"})
    assert db.session.get(User, user.id).browser_locale == "pt_BR"
    assert db.session.get(User, user.id).locale is None, "the browser's language is not a setting"
