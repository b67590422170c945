"""An API client for tests: JSON in and out, a bearer token once signed in."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from storefront.accounts.models import Role

PASSWORD = "correct horse battery"


class Api:
    def __init__(self, client: FlaskClient, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if body is not None:
            kwargs["json"] = body
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("POST", path, {} if body is None else body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PUT", path, {} if body is None else body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.call("PATCH", path, {} if body is None else body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)

    def sign_up(self, email: str, display_name: str = "Ana", password: str = PASSWORD) -> Api:
        response = self.post("/auth/signup", {"email": email, "password": password, "display_name": display_name})
        assert response.status_code == 201, response.get_json()
        self.token = response.get_json()["token"]
        return self


@pytest.fixture
def api(app: Flask, database: Any) -> Api:
    """An anonymous client (its own cookie jar)."""
    return Api(app.test_client())


@pytest.fixture
def new_api(app: Flask, database: Any) -> Callable[[], Api]:
    return lambda: Api(app.test_client())


@pytest.fixture
def curator_api(new_api: Callable[[], Api]) -> Api:
    """A signed-up curator with a bearer token (no shop yet)."""
    return new_api().sign_up("ana@example.com")


@pytest.fixture
def operator_api(new_api: Callable[[], Api], create_user: Any) -> Api:
    create_user(email="op@example.com", password=PASSWORD, role=Role.OPERATOR)
    client = new_api()
    response = client.post("/auth/tokens", {"email": "op@example.com", "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    client.token = response.get_json()["token"]
    return client
