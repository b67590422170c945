"""An operator moving money types the password again when they last did more than 15 minutes ago."""
from __future__ import annotations

import secrets
from typing import Any

import pytest

from storefront.orders.models import Order
from tests.conftest import Browser


@pytest.fixture
def paid_sale(create_user: Any, create_shop: Any, create_product: Any, sell: Any) -> Any:
    product = create_product(price_minor=5000, stock=20)
    return sell(create_shop(product, user=create_user(email="ana@example.com"), handle="ana"), (product, 1))


def refund_everything(operator: Browser, order: Any, **kwargs: Any) -> Any:
    form = {"what": "full", "reason": "customer returned it", "request_token": secrets.token_hex(16)}
    return operator.post(f"/operator/orders/{order.number}/refund", form,
                         headers={"Referer": f"http://localhost/operator/orders/{order.number}"}, **kwargs)


def test_within_15_minutes_of_logging_in_a_refund_goes_through(paid_sale: Any, operator: Browser, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=14)
    refund_everything(operator, paid_sale)
    assert database.session.get(Order, paid_sale.id).refunded_minor > 0


def test_later_the_refund_waits_for_the_password_and_nothing_moves(paid_sale: Any, operator: Browser, database: Any,
                                                                   frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=16)
    response = refund_everything(operator, paid_sale)
    assert response.status_code == 303 and "/confirm-password?next=/operator/orders/" in response.headers["Location"]
    assert database.session.get(Order, paid_sale.id).refunded_minor == 0


def test_after_confirming_the_operator_is_back_on_the_order_and_can_refund(paid_sale: Any, operator: Browser, database: Any,
                                                                          frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=16)
    confirm = refund_everything(operator, paid_sale).headers["Location"]
    back = operator.post(confirm, {"password": "correct horse battery"})
    assert back.headers["Location"] == f"/operator/orders/{paid_sale.number}"
    refund_everything(operator, paid_sale)
    assert database.session.get(Order, paid_sale.id).refunded_minor > 0


def test_a_wrong_password_confirms_nothing(paid_sale: Any, operator: Browser, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(minutes=16)
    confirm = refund_everything(operator, paid_sale).headers["Location"]
    response = operator.post(confirm, {"password": "not my password"})
    assert response.status_code == 400 and "That is not your password." in response.get_data(as_text=True)
    assert refund_everything(operator, paid_sale).status_code == 303


@pytest.mark.parametrize("path", ["/operator/payouts/run", "/operator/payouts/1/paid", "/operator/payouts/lines/1/failed"])
def test_payout_actions_want_a_recent_password_too(operator: Browser, frozen_clock: Any, path: str) -> None:
    frozen_clock.advance(minutes=16)
    response = operator.post(path, {"method": "manual"})
    assert response.status_code == 303 and "/confirm-password" in response.headers["Location"]


def test_holding_a_commission_needs_no_confirmation_but_rejecting_does(paid_sale: Any, operator: Browser, database: Any,
                                                                       frozen_clock: Any) -> None:
    from commissions.models import Commission

    commission = database.session.query(Commission).filter_by(order_id=paid_sale.id).one()
    frozen_clock.advance(minutes=16)
    held = operator.post(f"/operator/commissions/{commission.id}/hold", {"reason": "checking"})
    assert "/confirm-password" not in held.headers.get("Location", "")
    rejected = operator.post(f"/operator/commissions/{commission.id}/reject", {"reason": "fraud"})
    assert rejected.status_code == 303 and "/confirm-password" in rejected.headers["Location"]
