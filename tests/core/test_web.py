"""Site-wide behaviour: health check, error pages, safe redirects."""
from __future__ import annotations

from typing import Any

import pytest

from storefront.extensions import create_database_engine, db
from storefront.navigation import safe_next_path


def test_healthz_answers_200_when_the_database_answers(browser: Any) -> None:
    response = browser.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(app: Any) -> None:
    unreachable = create_database_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 1})
    db.session_factory.configure(bind=unreachable)
    try:
        response = app.test_client().get("/healthz")
    finally:
        db.session.remove()
        db.session_factory.configure(bind=db.engine)
        unreachable.dispose()
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_unknown_page_gets_the_site_404_page(browser: Any) -> None:
    response = browser.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We could not find that page" in page and 'class="site-header"' in page


def test_bad_request_gets_the_site_400_page(browser: Any) -> None:
    response = browser.get("/search?q=" + "x" * 500)
    assert response.status_code == 400
    assert 'class="site-header"' in response.get_data(as_text=True)


def test_wrong_method_gets_405_not_500(browser: Any) -> None:
    assert browser.get("/webhooks/test").status_code == 405


def test_safe_next_path_accepts_only_same_site_paths() -> None:
    assert safe_next_path("/cart") == "/cart"
    for unsafe in ["//evil.example", "https://evil.example/", "javascript:alert(1)", "/\\evil", "/\r\nSet-Cookie: x=1", None, ""]:
        assert safe_next_path(unsafe) == "/"


def test_an_unknown_attribution_model_stops_the_start_with_a_clear_message(monkeypatch: Any, tmp_path: Any) -> None:
    from storefront.config import load_config

    monkeypatch.setenv("ATTRIBUTION_MODEL", "linear")
    monkeypatch.setenv("SECRET_KEY", "x")
    with pytest.raises(RuntimeError, match="ATTRIBUTION_MODEL must be one of first_click, last_click; got 'linear'"):
        load_config(tmp_path)


def test_https_makes_the_session_cookie_secure(monkeypatch: Any, tmp_path: Any) -> None:
    from storefront.config import load_config

    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    monkeypatch.setenv("SECRET_KEY", "x")
    assert load_config(tmp_path)["SESSION_COOKIE_SECURE"] is True


def test_the_server_access_log_keeps_no_address_or_user_agent() -> None:
    from storefront.config import REPO_ROOT

    settings: dict[str, Any] = {}
    exec((REPO_ROOT / "gunicorn.conf.py").read_text(), settings)
    assert "%(h)s" not in settings["access_log_format"] and "%(a)s" not in settings["access_log_format"]


def test_form_fields_never_carry_attributes_that_say_none(browser: Any) -> None:
    for path in ("/login", "/signup", "/checkout"):
        page = browser.get(path, follow_redirects=True).get_data(as_text=True)
        assert '="None"' not in page, path


@pytest.mark.parametrize("path", ["/", "/cart", "/login", "/no-such-page", "/healthz"])
def test_every_response_carries_the_security_headers(browser: Any, path: str) -> None:
    headers = browser.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers  # plain http here; HSTS only behind https


def test_hsts_is_sent_over_https(browser: Any) -> None:
    headers = browser.client.get("/", base_url="https://localhost").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_an_inline_script() -> None:
    import re

    from storefront.config import REPO_ROOT

    for template in (REPO_ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=\"", text), template
