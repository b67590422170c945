"""GET/PATCH /api/v1/me/settings: the language and time zone of the signed-in account, as on the web."""
from __future__ import annotations

from typing import Any

from storefront.i18n import LANGUAGES
from tests.api.conftest import Api


def test_settings_read_the_defaults_and_the_languages_offered(curator_api: Api) -> None:
    response = curator_api.get("/me/settings")

    assert response.status_code == 200
    assert response.get_json() == {
        "locale": None, "time_zone": "UTC",
        "languages": [{"code": code, "name": name} for code, name in LANGUAGES.items()],
    }


def test_settings_set_the_locale(curator_api: Api) -> None:
    response = curator_api.patch("/me/settings", {"locale": "pt_BR"})

    assert response.status_code == 200 and response.get_json()["locale"] == "pt_BR"
    assert curator_api.get("/me/settings").get_json()["locale"] == "pt_BR"


def test_settings_null_locale_follows_the_client_again(curator_api: Api) -> None:
    curator_api.patch("/me/settings", {"locale": "zh_Hans_CN"})

    response = curator_api.patch("/me/settings", {"locale": None})

    assert response.status_code == 200 and response.get_json()["locale"] is None
    assert curator_api.get("/me/settings").get_json()["locale"] is None


def test_settings_set_the_time_zone_and_keep_the_locale(curator_api: Api) -> None:
    curator_api.patch("/me/settings", {"locale": "pt_BR"})

    response = curator_api.patch("/me/settings", {"time_zone": "America/Sao_Paulo"})

    assert response.status_code == 200
    assert response.get_json()["time_zone"] == "America/Sao_Paulo" and response.get_json()["locale"] == "pt_BR"
    assert curator_api.get("/me").get_json()["time_zone"] == "America/Sao_Paulo"


def test_settings_refuse_an_unknown_locale_naming_the_field(curator_api: Api) -> None:
    response = curator_api.patch("/me/settings", {"locale": "fr_FR", "time_zone": "Asia/Shanghai"})

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert [error["field"] for error in response.get_json()["errors"]] == ["locale"]
    # Nothing is kept when a field is wrong, not even the right one.
    assert curator_api.get("/me/settings").get_json()["time_zone"] == "UTC"


def test_settings_refuse_a_time_zone_that_is_not_a_place(curator_api: Api) -> None:
    for name in ("Mars/Olympus", "Factory"):
        response = curator_api.patch("/me/settings", {"time_zone": name})

        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        assert [error["field"] for error in response.get_json()["errors"]] == ["time_zone"]
        assert name in response.get_json()["errors"][0]["detail"]
    assert curator_api.get("/me/settings").get_json()["time_zone"] == "UTC"


def test_settings_need_a_signed_in_caller(api: Api) -> None:
    assert api.get("/me/settings").status_code == 401
    assert api.patch("/me/settings", {"locale": "pt_BR"}).status_code == 401


def test_settings_are_changed_by_a_cookie_session_with_its_csrf_token(browser: Any, create_user: Any) -> None:
    create_user(email="ana@example.com")
    browser.log_in("ana@example.com")

    response = browser.client.patch("/api/v1/me/settings", json={"time_zone": "Asia/Shanghai"},
                                    headers={"X-CSRFToken": browser.csrf_token()})

    assert response.status_code == 200 and response.get_json()["time_zone"] == "Asia/Shanghai"
    assert browser.client.get("/api/v1/me/settings").get_json()["time_zone"] == "Asia/Shanghai"


def test_settings_locale_beats_accept_language_in_other_endpoints_problems(curator_api: Api) -> None:
    curator_api.patch("/me/settings", {"locale": "pt_BR"})

    response = curator_api.get("/products/999999", headers={"Accept-Language": "en"})

    assert response.status_code == 404 and response.get_json()["title"] == "Não encontrado"

