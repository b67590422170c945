"""Facts in any order, and the facts beyond payment: expiry, disputes, connected accounts, operator attention."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from commissions.models import Commission, CommissionStatus
from storefront.orders.models import OrderStatus
from storefront.payments.models import ConnectedAccount, Refund, WebhookEvent
from storefront.payments.providers import EventKind
from storefront.payments.services import start_payment

pytestmark = pytest.mark.usefixtures("request_context")


def paid(provider: Any, order: Any, payment: Any) -> Any:
    return provider.deliver(EventKind.PAYMENT_SUCCEEDED, {
        "order_number": order.number, "payment_reference": payment.reference, "amount_minor": order.total_minor, "currency": "USD",
    })


def refunded(provider: Any, payment: Any, amount: int, reference: str = "re_1") -> Any:
    return provider.deliver(EventKind.REFUND_SUCCEEDED, {
        "payment_reference": payment.reference, "refund_reference": reference, "amount_minor": amount, "currency": "USD",
    })


def test_a_refund_before_its_payment_waits_then_applies(provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    assert refunded(provider, payment, 1000).outcome.startswith("deferred: waiting for payment")
    assert paid(provider, order, payment).outcome == "applied"
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 1000)
    events = database.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    assert [e.outcome for e in events] == ["applied", "applied"] and events[0].waiting_for is None


def test_either_order_ends_in_the_same_state(provider: Any, place_order: Any, database: Any) -> None:
    states = []
    for refund_first in (True, False):
        order = place_order()
        payment, _url = start_payment(order, provider)
        if refund_first:
            refunded(provider, payment, order.total_minor, f"re_{payment.id}")
        paid(provider, order, payment)
        if not refund_first:
            refunded(provider, payment, order.total_minor, f"re_{payment.id}")
        states.append((order.status, order.refunded_minor, database.session.query(Refund).filter_by(payment_id=payment.id).count()))
    assert states[0] == states[1] and states[0][0] == OrderStatus.REFUNDED and states[0][2] == 1


def test_an_expired_checkout_cancels_the_order_and_releases_its_stock(provider: Any, started: Any, database: Any) -> None:
    from storefront.catalog.models import Product

    order, payment = started
    product = database.session.get(Product, order.lines[0].product_id)
    reserved = product.stock
    result = provider.deliver(EventKind.PAYMENT_EXPIRED, {"order_number": order.number, "payment_reference": payment.reference})
    assert result.outcome == "applied: order canceled, stock released"
    assert order.status == OrderStatus.CANCELED and payment.status == "failed"
    database.session.refresh(product)
    assert product.stock == reserved + order.lines[0].quantity


def test_a_dispute_holds_the_commissions_and_a_lost_one_reverses_them(provider: Any, create_shop: Any, create_product: Any, database: Any) -> None:
    from storefront.checkout.services import StoreSettings
    from storefront.orders.services import CustomerDetails, RequestedLine, place_order
    from tests.conftest import CUSTOMER_FORM

    product = create_product(price_minor=5000)
    shop = create_shop(product)
    from flask import current_app

    settings = StoreSettings.from_config(current_app.config)
    order = place_order([RequestedLine(product.id, 2, shop.id)], CustomerDetails(**CUSTOMER_FORM), user_id=None, currency="USD",
                        shipping=settings.shipping, payment_timeout=settings.payment_timeout)
    payment, _url = start_payment(order, provider)
    paid(provider, order, payment)
    opened = provider.deliver(EventKind.DISPUTE_OPENED, {"payment_reference": payment.reference, "dispute_reference": "dp_1", "amount_minor": 10000})
    assert opened.outcome == "needs review: dispute opened"
    commission = database.session.scalar(select(Commission))
    assert commission.status == CommissionStatus.HELD
    provider.deliver(EventKind.DISPUTE_CLOSED, {"payment_reference": payment.reference, "dispute_reference": "dp_1", "dispute_won": False})
    assert (commission.status, commission.net_minor) == (CommissionStatus.REVERSED, 0)
    flagged = database.session.scalars(select(WebhookEvent.kind).where(WebhookEvent.needs_attention.is_(True))).all()
    assert flagged == [EventKind.DISPUTE_OPENED.value]


def test_a_connected_account_update_records_whether_payouts_are_enabled(provider: Any, create_user: Any, database: Any) -> None:
    user = create_user()
    account = ConnectedAccount(user_id=user.id, provider="test", reference="acct_1")
    database.session.add(account)
    database.session.commit()
    result = provider.deliver(EventKind.ACCOUNT_UPDATED, {"account_reference": "acct_1", "payouts_enabled": True, "details_submitted": True})
    assert result.outcome == "applied" and (account.payouts_enabled, account.details_submitted) == (True, True)
    other = provider.deliver(EventKind.ACCOUNT_UPDATED, {"account_reference": "acct_unknown", "payouts_enabled": True})
    assert other.outcome == "ignored: not one of our curators' accounts"


def test_sync_applies_a_test_provider_event_whose_webhook_was_lost(app: Any, provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    provider.build_event(EventKind.PAYMENT_SUCCEEDED, {  # sent, never delivered
        "order_number": order.number, "payment_reference": payment.reference, "amount_minor": order.total_minor, "currency": "USD",
    })
    database.session.commit()
    first = app.test_cli_runner().invoke(args=["payments", "sync", "--since", "2026-11-01"])
    assert first.exit_code == 0 and "payment.succeeded: applied" in first.output
    assert database.session.get(type(order), order.id).status == OrderStatus.PAID
    again = app.test_cli_runner().invoke(args=["payments", "sync", "--since", "2026-11-01"])
    assert ": 0 were missing" in again.output


def test_sync_refuses_a_bad_date(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["payments", "sync", "--since", "yesterday"])
    assert result.exit_code == 2 and "--since must be a date" in result.output


def test_a_payment_service_outage_at_checkout_keeps_nothing_and_says_so(browser: Any, create_product: Any, provider: Any, monkeypatch: Any, database: Any) -> None:
    from storefront.catalog.models import Product
    from storefront.orders.models import Order
    from storefront.payments.providers import ProviderError

    def down(*_args: Any, **_kwargs: Any) -> None:
        raise ProviderError("The payment service is not answering just now; please try again in a moment.")

    product = create_product(stock=3)
    monkeypatch.setattr(type(provider), "start_payment", down)
    browser.add_to_cart(product.id)
    response = browser.check_out()
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    assert "not answering" in browser.get("/cart").get_data(as_text=True)
    assert database.session.query(Order).count() == 0
    assert database.session.get(Product, product.id).stock == 3
