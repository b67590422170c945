"""Refunds through the provider: recorded from its event, once, and reflected in the order status."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storefront.money import Money
from storefront.orders.models import Order, OrderStatus
from storefront.orders.services import OrderError
from storefront.payments.models import Refund
from storefront.payments.providers import active_provider
from storefront.payments.services import refund_order, start_payment


@pytest.fixture
def paid_order(request_context: None, place_order: Any, database: Any) -> Order:
    order = place_order()
    provider = active_provider()
    payment, _url = start_payment(order, provider)
    provider.pay(order=order, reference=payment.reference, card_number="4242424242424242")  # type: ignore[attr-defined]
    database.session.commit()
    assert order.status == OrderStatus.PAID
    return order


def test_partial_refund_makes_the_order_partially_refunded(paid_order: Order, database: Any) -> None:
    refund_order(paid_order, Money(1000, "USD"), active_provider())
    database.session.commit()
    assert paid_order.status == OrderStatus.PARTIALLY_REFUNDED and paid_order.refunded_minor == 1000


def test_refunding_the_rest_makes_the_order_refunded(paid_order: Order, database: Any) -> None:
    refund_order(paid_order, Money(1000, "USD"), active_provider())
    refund_order(paid_order, Money(paid_order.total_minor - 1000, "USD"), active_provider())
    assert paid_order.status == OrderStatus.REFUNDED
    assert database.session.scalar(select(func.count()).select_from(Refund)) == 2


def test_refund_above_what_is_left_is_refused(paid_order: Order, database: Any) -> None:
    with pytest.raises(OrderError):
        refund_order(paid_order, Money(paid_order.total_minor + 1, "USD"), active_provider())
    assert paid_order.status == OrderStatus.PAID


def test_refund_of_an_unpaid_order_is_refused(request_context: None, place_order: Any) -> None:
    from storefront.payments.providers import ProviderError

    with pytest.raises(ProviderError):
        refund_order(place_order(), Money(100, "USD"), active_provider())
