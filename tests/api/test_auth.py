"""Accounts and tokens through the API; errors are problem+json."""
from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import PASSWORD, Api


def test_signing_up_gives_the_user_and_a_token_that_works(api: Api) -> None:
    response = api.post("/auth/signup", {"email": "Ana@Example.com", "password": PASSWORD, "display_name": "Ana"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "ana@example.com" and body["token"].startswith("vt_")
    api.token = body["token"]
    assert api.get("/me").get_json()["email"] == "ana@example.com"


def test_a_taken_email_is_a_409(api: Api, new_api: Callable[[], Api]) -> None:
    new_api().sign_up("ana@example.com")
    response = api.post("/auth/signup", {"email": "ana@example.com", "password": PASSWORD, "display_name": "Ana"})
    assert response.status_code == 409 and response.mimetype == "application/problem+json"


def test_a_bad_signup_names_each_wrong_field(api: Api) -> None:
    response = api.post("/auth/signup", {"email": "not-an-email", "password": "short", "display_name": ""})
    assert response.status_code == 422
    assert {error["field"] for error in response.get_json()["errors"]} == {"email", "password", "display_name"}


def test_a_common_password_is_refused_with_its_reason(api: Api) -> None:
    response = api.post("/auth/signup", {"email": "ana@example.com", "password": "1234567890", "display_name": "Ana"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "password"


def test_logging_in_gives_a_new_token_and_a_wrong_password_a_401(api: Api, new_api: Callable[[], Api]) -> None:
    new_api().sign_up("ana@example.com")
    assert api.post("/auth/tokens", {"email": "ana@example.com", "password": PASSWORD}).status_code == 201
    wrong = api.post("/auth/tokens", {"email": "ana@example.com", "password": "nope nope nope"})
    assert wrong.status_code == 401 and "do not match" in wrong.get_json()["detail"]


def test_a_revoked_token_stops_working(curator_api: Api) -> None:
    assert curator_api.delete("/auth/tokens/current").status_code == 204
    response = curator_api.get("/me")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_a_token_a_private_endpoint_is_a_401(api: Api) -> None:
    assert api.get("/me").status_code == 401


def test_malformed_json_and_wrong_content_types_are_clear_4xx(api: Api) -> None:
    broken = api.client.post("/api/v1/auth/tokens", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["detail"]
    as_form = api.client.post("/api/v1/auth/tokens", data={"email": "a@b.c"})
    assert as_form.status_code == 415


def test_unknown_fields_are_refused(api: Api) -> None:
    response = api.post("/auth/tokens", {"email": "a@example.com", "password": "x", "is_operator": True})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "is_operator"


def test_an_unknown_path_is_a_problem_not_an_html_page(api: Api) -> None:
    response = api.get("/nowhere")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_signed_in_by_cookie_an_unsafe_request_needs_the_csrf_header(app: object, browser: object, create_user: object) -> None:
    create_user(email="ana@example.com")  # type: ignore[operator]
    browser.log_in("ana@example.com")  # type: ignore[attr-defined]
    client = browser.client  # type: ignore[attr-defined]
    assert client.get("/api/v1/me").status_code == 200
    refused = client.delete("/api/v1/auth/tokens/current")
    assert refused.status_code == 403 and "X-CSRFToken" in refused.get_json()["detail"]
    allowed = client.delete("/api/v1/auth/tokens/current", headers={"X-CSRFToken": browser.csrf_token()})  # type: ignore[attr-defined]
    assert allowed.status_code == 400  # past the CSRF check: no bearer token to revoke


def test_the_api_is_rate_limited_per_client_with_retry_after(app: object, api: Api) -> None:
    app.config["API_RATE_LIMIT"] = "3 per minute"  # type: ignore[attr-defined]
    try:
        statuses = [api.get("/me").status_code for _ in range(4)]
    finally:
        app.config["API_RATE_LIMIT"] = "300 per minute"  # type: ignore[attr-defined]
    assert statuses == [401, 401, 401, 429]


def test_cors_is_off_unless_the_origin_is_configured(app: object, api: Api) -> None:
    assert "Access-Control-Allow-Origin" not in api.get("/openapi.json", headers={"Origin": "https://app.example"}).headers
    app.config["API_CORS_ORIGINS"] = "https://app.example"  # type: ignore[attr-defined]
    try:
        response = api.client.options("/api/v1/me", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    finally:
        app.config["API_CORS_ORIGINS"] = ""  # type: ignore[attr-defined]
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
