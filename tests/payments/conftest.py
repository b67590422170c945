"""The test payment provider, and an order waiting for its payment with the attempt its events name."""
from __future__ import annotations

from typing import Any

import pytest

from storefront.payments.providers import get_provider
from storefront.payments.services import start_payment
from storefront.payments.test_provider import TestPaymentProvider


@pytest.fixture
def provider(request_context: None) -> TestPaymentProvider:
    found = get_provider("test")
    assert isinstance(found, TestPaymentProvider)
    return found


@pytest.fixture
def started(provider: TestPaymentProvider, place_order: Any, database: Any) -> tuple[Any, Any]:
    """A placed order and its started payment, committed."""
    order = place_order()
    payment, _url = start_payment(order, provider)
    database.session.commit()
    return order, payment
