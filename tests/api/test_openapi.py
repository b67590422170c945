"""The OpenAPI document is valid 3.1, generated from the endpoints, and readable at /api/docs without a CDN."""
from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.api.conftest import Api


def test_the_document_is_valid_openapi_3_1(api: Api) -> None:
    document = api.get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_endpoint_is_in_the_document(app: object, api: Api) -> None:
    from storefront.api.framework import REGISTRY

    paths = api.get("/openapi.json").get_json()["paths"]
    for item in REGISTRY:
        assert item.method in paths[item.openapi_path.removeprefix("/api/v1")], (item.method, item.openapi_path)


def test_request_schemas_are_the_ones_that_validate(api: Api) -> None:
    signup = api.get("/openapi.json").get_json()["components"]["schemas"]["SignupIn"]
    assert set(signup["required"]) == {"email", "password", "display_name"}
    assert signup["properties"]["password"]["minLength"] == 10 and signup["additionalProperties"] is False


def test_the_docs_page_lists_every_path_and_loads_nothing_from_elsewhere(api: Api) -> None:
    page = api.client.get("/api/docs").get_data(as_text=True)
    assert "POST /auth/signup" in page and "SignupIn" in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page)
