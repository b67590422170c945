"""Sign up, log in, log out, CSRF, and the operator command."""
from __future__ import annotations

from typing import Any

import pytest

from storefront.accounts.models import Role, User
from storefront.accounts.services import find_user_by_email
from storefront.extensions import db


def test_signup_creates_an_account_and_logs_in(browser: Any) -> None:
    response = browser.sign_up(email="Ana@Example.com")
    assert response.status_code == 302
    user = find_user_by_email("ana@example.com")
    assert user is not None and user.email == "ana@example.com" and user.role == Role.CUSTOMER
    assert user.password_hash.startswith("scrypt:")
    assert "My orders" in browser.get("/").get_data(as_text=True)


def test_signup_refuses_an_email_that_exists_ignoring_case(browser: Any, create_user: Any) -> None:
    create_user(email="ana@example.com")
    response = browser.sign_up(email="ANA@example.com")
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 1


def test_signup_refuses_a_short_password(browser: Any) -> None:
    response = browser.sign_up(password="short")
    assert response.status_code == 400
    assert find_user_by_email("ana@example.com") is None


def test_login_with_the_right_password_starts_a_session(browser: Any, create_user: Any) -> None:
    create_user(email="bia@example.com")
    response = browser.log_in("bia@example.com")
    assert response.status_code == 302
    assert browser.get("/account/orders").status_code == 200


def test_login_with_a_wrong_password_says_nothing_about_the_account(browser: Any, create_user: Any) -> None:
    create_user(email="bia@example.com")
    wrong_password = browser.log_in("bia@example.com", "not the password").get_data(as_text=True)
    unknown_email = browser.log_in("nobody@example.com").get_data(as_text=True)
    assert "do not match an account" in wrong_password and "do not match an account" in unknown_email


def test_login_ignores_an_offsite_next(browser: Any, create_user: Any) -> None:
    create_user(email="bia@example.com")
    response = browser.post("/login?next=https://evil.example/", {"email": "bia@example.com", "password": "correct horse battery"})
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(browser: Any, create_user: Any) -> None:
    create_user(email="bia@example.com")
    browser.log_in("bia@example.com")
    assert browser.post("/logout").status_code == 302
    assert browser.get("/account/orders").status_code == 302


def test_form_without_csrf_token_is_refused(browser: Any, create_user: Any) -> None:
    create_user(email="bia@example.com")
    response = browser.post("/login", {"email": "bia@example.com", "password": "correct horse battery"}, csrf=False)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert browser.get("/account/orders").status_code == 302


def test_order_history_needs_a_login(browser: Any) -> None:
    response = browser.get("/account/orders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_operator_reads_the_password_from_stdin(runner: Any) -> None:
    result = runner.invoke(args=["users", "create-operator", "ops@example.com", "--password-stdin"], input="a long operator pass\n")
    assert result.exit_code == 0, result.output
    user = find_user_by_email("ops@example.com")
    assert user is not None and user.is_operator


def test_create_operator_refuses_a_weak_password(runner: Any) -> None:
    result = runner.invoke(args=["users", "create-operator", "ops@example.com", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert find_user_by_email("ops@example.com") is None


def test_create_operator_promotes_an_existing_customer(runner: Any, create_user: Any) -> None:
    create_user(email="bia@example.com")
    result = runner.invoke(args=["users", "create-operator", "bia@example.com"])
    assert result.exit_code == 0
    assert find_user_by_email("bia@example.com").is_operator  # type: ignore[union-attr]


@pytest.mark.parametrize("password", ["password1234", "Qwertyuiop", "correct horse battery staple", "1234567890"])
def test_signup_refuses_a_common_password(browser: Any, password: str) -> None:
    response = browser.sign_up(password=password)
    assert response.status_code == 400
    assert "most common" in response.get_data(as_text=True) or "too easy" in response.get_data(as_text=True)


def test_log_in_is_throttled_per_account_with_the_same_answer_for_unknown_accounts(app: Any, create_user: Any, monkeypatch: Any) -> None:
    from tests.conftest import Browser

    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_RATE_LIMIT", "3 per minute")
    create_user(email="ana@example.com")
    pages = {}
    for email in ("ana@example.com", "nobody@example.com"):
        browser = Browser(app.test_client())
        codes = [browser.post("/login", {"email": email, "password": "wrong password!"}).status_code for _ in range(4)]
        assert codes == [400, 400, 400, 429], email
        pages[email] = browser.post("/login", {"email": email, "password": "wrong password!"}).get_data(as_text=True)
    assert "Too many attempts" in pages["ana@example.com"] and "Too many attempts" in pages["nobody@example.com"]


def test_log_in_is_throttled_per_network(app: Any, create_user: Any, monkeypatch: Any) -> None:
    from tests.conftest import Browser

    monkeypatch.setitem(app.config, "LOGIN_IP_RATE_LIMIT", "2 per minute")
    browser = Browser(app.test_client())
    codes = [browser.post("/login", {"email": f"user{n}@example.com", "password": "wrong password!"}).status_code for n in range(3)]
    assert codes == [400, 400, 429]


def test_sign_up_is_throttled_per_network(app: Any, monkeypatch: Any) -> None:
    from tests.conftest import Browser

    monkeypatch.setitem(app.config, "SIGNUP_RATE_LIMIT", "1 per hour")
    browser = Browser(app.test_client())
    assert browser.sign_up(email="one@example.com").status_code == 302
    browser.post("/logout")
    browser._token = None
    assert browser.sign_up(email="two@example.com").status_code == 429
