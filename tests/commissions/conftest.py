"""Curator sales for commission tests: orders whose lines credit a shop, paid and refunded through the test provider."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from storefront.extensions import db

TEST_CARD = "4242424242424242"


def _line_shop(shop: Any, line: tuple[Any, ...]) -> int | None:
    """A line is (product, quantity) through the order's shop, or (product, quantity, its own shop)."""
    chosen = line[2] if len(line) > 2 else shop
    return chosen.id if chosen is not None else None


@pytest.fixture
def sell(app: Flask, database: Any) -> Callable[..., Any]:
    """Place an order whose lines were added from `shop`'s page, and pay it (unless told not to).

    Each call has its own request context: a context held for the whole test would share `g`
    (and its cached CSRF token) with the test client's requests.
    """
    from storefront.checkout.services import StoreSettings
    from storefront.orders import services
    from storefront.orders.services import CustomerDetails, RequestedLine
    from storefront.payments.providers import active_provider
    from storefront.payments.services import start_payment
    from tests.conftest import CUSTOMER_FORM

    def place(shop: Any, *lines: tuple[Any, ...], pay: bool = True, user_id: int | None = None) -> Any:
        with app.test_request_context():
            return _place(shop, *lines, pay=pay, user_id=user_id)

    def _place(shop: Any, *lines: tuple[Any, ...], pay: bool, user_id: int | None) -> Any:
        settings = StoreSettings.from_config(app.config)
        order = services.place_order(
            [RequestedLine(line[0].id, line[1], _line_shop(shop, line)) for line in lines],
            CustomerDetails(**dict(CUSTOMER_FORM)), user_id=user_id, currency=settings.currency,
            shipping=settings.shipping, payment_timeout=settings.payment_timeout,
        )
        db.session.commit()
        if pay:
            provider = active_provider()
            payment, _url = start_payment(order, provider)
            result = provider.pay(order=order, reference=payment.reference, card_number=TEST_CARD)  # type: ignore[attr-defined]
            assert result.outcome == "applied", result
            db.session.commit()
        return order

    return place


@pytest.fixture
def refund(app: Flask, database: Any) -> Callable[..., Any]:
    from storefront.money import Money
    from storefront.payments.providers import active_provider
    from storefront.payments.services import refund_order

    def give_back(order: Any, amount_minor: int) -> None:
        with app.test_request_context():
            refund_order(db.session.merge(order), Money(amount_minor, order.currency), active_provider())
            db.session.commit()

    return give_back


@pytest.fixture
def refund_lines(app: Flask, database: Any) -> Callable[..., Any]:
    """Refund chosen lines of an order: {order line id: amount}."""
    from storefront.payments.providers import active_provider
    from storefront.payments.services import refund_order

    def give_back(order: Any, lines: dict[int, int]) -> None:
        with app.test_request_context():
            refund_order(db.session.merge(order), None, active_provider(), lines=lines)
            db.session.commit()

    return give_back


def commissions_of(order: Any) -> list[Any]:
    from sqlalchemy import select

    from commissions.models import Commission

    return list(db.session.scalars(select(Commission).where(Commission.order_id == order.id).order_by(Commission.id)))


def balances(user_id: int) -> dict[str, int]:
    from commissions.ledger import curator_balances

    return {kind.value: amount for kind, amount in curator_balances(user_id, "USD").items()}


def signed_in(app: Flask, email: str) -> Any:
    """A test client signed in as this (existing) user."""
    from tests.conftest import Browser

    browser = Browser(app.test_client())
    browser.log_in(email)
    return browser


@pytest.fixture
def operator(app: Flask, create_user: Any) -> Any:
    from storefront.accounts.models import Role

    create_user(email="op@example.com", role=Role.OPERATOR)
    return signed_in(app, "op@example.com")


@pytest.fixture
def shopper(app: Flask, create_user: Any) -> Any:
    create_user(email="shopper@example.com")
    return signed_in(app, "shopper@example.com")


def paid_under_review(sell: Callable[..., Any], shop: Any, product: Any, database: Any) -> Any:
    """An order from `shop` whose attribution is under self-referral review, then paid with the test card."""
    from share.models import OrderAttribution, SelfReferral
    from storefront.payments.providers import active_provider
    from storefront.payments.services import start_payment

    order = sell(shop, (product, 1), pay=False)
    database.session.add(OrderAttribution(
        order_id=order.id, shop_id=shop.id, rule="last_click", self_referral=SelfReferral.REVIEW,
        review_reasons=[f"@{shop.handle}: the curator's e-mail"], review_shop_ids=[shop.id], explanation="test",
    ))
    database.session.commit()
    payment, _url = start_payment(order, active_provider())
    active_provider().pay(order=order, reference=payment.reference, card_number=TEST_CARD)  # type: ignore[attr-defined]
    return order
