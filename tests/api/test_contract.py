"""schemathesis fuzzes every operation of the live app from its own document: no 5xx, no answer the document does not allow.

Business rules may refuse a request the schema allows (a common password, an e-mail on a
reserved domain, a product out of stock), so "schema-valid data is accepted" is not checked;
everything else is (status codes, content types, response bodies and headers, no 5xx, and
schema-invalid data refused). Requests carry an operator's bearer token, so the private and operator endpoints are reached
too; the data set is small but real (a product, a published shop). Seeded and bounded, so CI
sees the same examples every run.
"""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import checks
from hypothesis import HealthCheck, given, settings

from storefront.accounts.models import Role
from storefront.accounts.tokens import issue_token
from storefront.extensions import db

EXAMPLES = 20


@pytest.fixture
def operator_token(database: Any, create_user: Any, create_product: Any, create_shop: Any) -> str:
    operator = create_user(email="fuzz-operator@example.com", role=Role.OPERATOR)
    create_shop(create_product(), handle="fuzzed")
    token = issue_token(operator)
    db.session.commit()
    return token


def operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_within_its_contract(app: Any, operator_token: str) -> None:
    headers = {"Authorization": f"Bearer {operator_token}"}
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def answers_within_contract(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=[checks.positive_data_acceptance])

        answers_within_contract()
