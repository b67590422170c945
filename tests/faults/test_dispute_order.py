"""A dispute's events in either order end the same (the webhook storm found the late opening holding for good)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from commissions.models import Commission, CommissionStatus
from storefront.payments.providers import EventKind
from storefront.payments.services import start_payment

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def paid_sale(create_shop: Any, create_product: Any, database: Any) -> Any:
    """A curator's sale of 100.00, paid through the test provider; returns the payment."""
    from flask import current_app

    from storefront.checkout.services import StoreSettings
    from storefront.orders.services import CustomerDetails, RequestedLine, place_order
    from storefront.payments.providers import get_provider
    from tests.conftest import CUSTOMER_FORM

    provider = get_provider("test")
    product = create_product(price_minor=5000)
    shop = create_shop(product)
    settings = StoreSettings.from_config(current_app.config)
    order = place_order([RequestedLine(product.id, 2, shop.id)], CustomerDetails(**CUSTOMER_FORM), user_id=None, currency="USD",
                        shipping=settings.shipping, payment_timeout=settings.payment_timeout)
    payment, _url = start_payment(order, provider)
    result = provider.deliver(EventKind.PAYMENT_SUCCEEDED, {  # type: ignore[attr-defined]
        "order_number": order.number, "payment_reference": payment.reference, "amount_minor": order.total_minor, "currency": "USD",
    })
    assert result.outcome == "applied"
    return payment


def dispute(payment: Any, kind: EventKind, **data: object) -> str:
    from storefront.payments.providers import get_provider

    return get_provider("test").deliver(kind, {  # type: ignore[attr-defined]
        "payment_reference": payment.reference, "dispute_reference": "dp_late", "amount_minor": 10000, **data,
    }).outcome


def test_a_dispute_won_before_its_opening_arrives_leaves_the_commissions_payable(paid_sale: Any, database: Any) -> None:
    # given the provider's "closed, won" delivered (or applied, after waiting) before its "opened"
    assert dispute(paid_sale, EventKind.DISPUTE_CLOSED, dispute_won=True) == "applied: dispute won (dp_late)"

    # when the opening arrives
    assert dispute(paid_sale, EventKind.DISPUTE_OPENED) == "ignored: dispute dp_late was already closed"

    # then the commission is pending, as when the two arrive in order
    commission = database.session.scalar(select(Commission))
    assert commission.status == CommissionStatus.PENDING


def test_a_dispute_opened_then_won_leaves_the_commissions_payable(paid_sale: Any, database: Any) -> None:
    dispute(paid_sale, EventKind.DISPUTE_OPENED)
    dispute(paid_sale, EventKind.DISPUTE_CLOSED, dispute_won=True)
    assert database.session.scalar(select(Commission.status)) == CommissionStatus.PENDING
