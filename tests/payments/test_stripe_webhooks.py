"""Stripe's signed events through our one pipeline, built from Stripe's own object samples (no network)."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from storefront.orders.models import OrderStatus
from storefront.payments.models import ConnectedAccount, Payment, PaymentStatus, Refund, WebhookEvent
from storefront.payments.stripe_provider import StripeProvider, StripeSettings
from tests.payments.stripe_events import WEBHOOK_SECRET, charge_refunded, checkout_session, signed, stripe_event, stripe_object

SECRET_KEY = "sk_test_never_in_logs_4f3a"


@pytest.fixture
def stripe_on(app: Any) -> Iterator[StripeProvider]:
    """Stripe registered beside the test provider; its API base goes nowhere, so no test here can reach a network."""
    settings = StripeSettings(SECRET_KEY, WEBHOOK_SECRET, "http://127.0.0.1:8000", api_base="http://127.0.0.1:9")
    provider = StripeProvider(settings)
    providers = app.extensions["payment_providers"]
    providers["stripe"] = provider
    yield provider
    providers.pop("stripe", None)


@pytest.fixture
def stripe_order(stripe_on: Any, place_order: Any, database: Any) -> tuple[Any, Payment]:
    order = place_order()
    payment = Payment(order_id=order.id, provider="stripe", reference="cs_test_1", amount_minor=order.total_minor, currency="USD")
    database.session.add(payment)
    database.session.commit()
    return order, payment


def deliver(browser: Any, event: dict[str, Any], **sign_options: Any) -> Any:
    body, headers = signed(event, **sign_options)
    return browser.client.post("/webhooks/stripe", data=body, headers=headers)


def completed(order: Any, **fields: Any) -> dict[str, Any]:
    fields.setdefault("payment_intent", "pi_1")
    return stripe_event("checkout.session.completed", checkout_session(order, session_id="cs_test_1", **fields))


def reload(database: Any, obj: Any) -> Any:
    """The row as the requests left it (each request ends its own session)."""
    return database.session.get(type(obj), obj.id)


def outcomes(database: Any) -> list[str]:
    return list(database.session.scalars(select(WebhookEvent.outcome).order_by(WebhookEvent.id)))


def test_a_paid_checkout_session_pays_the_order(browser: Any, stripe_order: Any, database: Any) -> None:
    order, payment = stripe_order
    assert deliver(browser, completed(order)).status_code == 200
    order = reload(database, order)
    payment = reload(database, payment)
    assert order.status == OrderStatus.PAID and (payment.status, payment.provider_payment_id) == (PaymentStatus.SUCCEEDED, "pi_1")


def test_a_bad_signature_is_400_and_writes_nothing(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    assert deliver(browser, completed(order), secret="whsec_someone_else").status_code == 400
    assert database.session.query(WebhookEvent).count() == 0


def test_a_missing_signature_is_400(browser: Any, stripe_order: Any) -> None:
    assert browser.client.post("/webhooks/stripe", data=b"{}", headers={"Content-Type": "application/json"}).status_code == 400


def test_a_stale_timestamp_is_400(browser: Any, stripe_order: Any, database: Any, frozen_clock: Any) -> None:
    order, _payment = stripe_order
    old = int(frozen_clock.now().timestamp()) - 301
    assert deliver(browser, completed(order), timestamp=old).status_code == 400
    assert database.session.query(WebhookEvent).count() == 0


def test_a_duplicate_delivery_is_acknowledged_and_does_nothing(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    event = completed(order)
    first, again = deliver(browser, event), deliver(browser, event)
    assert (first.json["duplicate"], again.json["duplicate"]) == (False, True)
    assert outcomes(database) == ["applied"]


def test_an_async_method_pays_only_when_its_money_arrives(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    deliver(browser, completed(order, payment_status="unpaid", payment_intent=None))
    order = reload(database, order)
    assert order.status == OrderStatus.PENDING
    succeeded = stripe_event("checkout.session.async_payment_succeeded", checkout_session(order, session_id="cs_test_1", payment_intent="pi_1"))
    deliver(browser, succeeded)
    order = reload(database, order)
    assert order.status == OrderStatus.PAID


def test_an_async_payment_failure_leaves_the_order_pending(browser: Any, stripe_order: Any, database: Any) -> None:
    order, payment = stripe_order
    failed = stripe_event("checkout.session.async_payment_failed", checkout_session(order, session_id="cs_test_1", payment_intent="pi_1", payment_status="unpaid"))
    deliver(browser, failed)
    order = reload(database, order)
    payment = reload(database, payment)
    assert (order.status, payment.status) == (OrderStatus.PENDING, PaymentStatus.FAILED)


def test_an_expired_session_cancels_the_order(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    expired = stripe_event("checkout.session.expired", checkout_session(order, session_id="cs_test_1", payment_intent=None, payment_status="unpaid", status="expired"))
    deliver(browser, expired)
    order = reload(database, order)
    assert order.status == OrderStatus.CANCELED


def test_a_paid_amount_that_differs_is_flagged_for_operators(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    deliver(browser, completed(order, amount_total=order.total_minor - 1))
    order = reload(database, order)
    event = database.session.scalar(select(WebhookEvent))
    assert order.status == OrderStatus.PENDING and event.needs_attention
    assert event.outcome == "needs review: paid amount does not match the order total"


def test_an_unknown_event_type_is_acknowledged_and_logged(browser: Any, stripe_on: Any, database: Any) -> None:
    response = deliver(browser, stripe_event("customer.created", stripe_object("account")))
    assert response.status_code == 200
    assert outcomes(database) == ["ignored: customer.created is not handled"]


def test_a_dashboard_refund_before_the_payment_event_ends_as_in_order(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    deliver(browser, stripe_event("charge.refunded", charge_refunded("pi_1", [("re_1", 1000)])))
    deliver(browser, completed(order))
    order = reload(database, order)
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 1000)
    assert [r.reference for r in database.session.scalars(select(Refund))] == ["re_1"]


def test_refund_updated_after_charge_refunded_records_the_refund_once(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    deliver(browser, completed(order))
    deliver(browser, stripe_event("charge.refunded", charge_refunded("pi_1", [("re_1", 1000)])))
    refund = stripe_object("refund", id="re_1", amount=1000, status="succeeded", payment_intent="pi_1", currency="usd", metadata={})
    deliver(browser, stripe_event("refund.updated", refund))
    order = reload(database, order)
    assert order.refunded_minor == 1000 and database.session.query(Refund).count() == 1


def test_a_dispute_is_flagged_and_a_lost_one_closes(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    deliver(browser, completed(order))
    dispute = stripe_object("dispute", id="dp_1", payment_intent="pi_1", amount=order.total_minor, status="needs_response")
    deliver(browser, stripe_event("charge.dispute.created", dispute))
    deliver(browser, stripe_event("charge.dispute.closed", {**dispute, "status": "lost"}))
    assert outcomes(database)[1:] == ["needs review: dispute opened", "applied: dispute lost (dp_1)"]


def test_account_updated_tracks_a_curators_payouts(browser: Any, stripe_on: Any, create_user: Any, database: Any) -> None:
    account = ConnectedAccount(user_id=create_user().id, provider="stripe", reference="acct_1")
    database.session.add(account)
    database.session.commit()
    deliver(browser, stripe_event("account.updated", stripe_object("account", id="acct_1", payouts_enabled=True, details_submitted=True)))
    account = reload(database, account)
    assert account.payouts_enabled and account.details_submitted


def test_no_secret_appears_in_the_logs(browser: Any, stripe_order: Any, caplog: Any) -> None:
    order, _payment = stripe_order
    caplog.set_level(logging.DEBUG)
    deliver(browser, completed(order))
    deliver(browser, completed(order), secret="whsec_wrong")
    deliver(browser, completed(order, amount_total=1))
    text = caplog.text
    assert SECRET_KEY not in text and WEBHOOK_SECRET not in text and "whsec_wrong" not in text


def test_a_refund_after_a_mismatched_payment_waits_and_is_flagged(browser: Any, stripe_order: Any, database: Any) -> None:
    order, payment = stripe_order
    deliver(browser, completed(order, amount_total=order.total_minor - 1))
    assert reload(database, payment).provider_payment_id == "pi_1"
    deliver(browser, stripe_event("charge.refunded", charge_refunded("pi_1", [("re_1", 500)])))
    refund_event = database.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()[-1]
    assert refund_event.waiting_for == "pi_1" and refund_event.needs_attention


def test_a_closed_inquiry_is_not_a_lost_dispute(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    deliver(browser, completed(order))
    dispute = stripe_object("dispute", id="dp_2", payment_intent="pi_1", amount=order.total_minor, status="warning_closed")
    deliver(browser, stripe_event("charge.dispute.closed", dispute))
    assert outcomes(database)[-1] == "applied: dispute won (dp_2)"


def test_a_signed_charge_without_an_id_is_a_400_not_a_500(browser: Any, stripe_on: Any) -> None:
    charge = {"object": "charge", "payment_intent": "pi_1", "refunded": True}
    assert deliver(browser, stripe_event("charge.refunded", charge)).status_code == 400


def test_an_expired_older_attempt_leaves_the_newer_one_open(browser: Any, stripe_order: Any, database: Any) -> None:
    order, _payment = stripe_order
    database.session.add(Payment(order_id=order.id, provider="stripe", reference="cs_test_2", amount_minor=order.total_minor, currency="USD"))
    database.session.commit()
    expired = stripe_event("checkout.session.expired", checkout_session(order, session_id="cs_test_1", payment_intent=None, payment_status="unpaid"))
    deliver(browser, expired)
    assert reload(database, order).status == OrderStatus.PENDING
    newer = stripe_event("checkout.session.completed", checkout_session(order, session_id="cs_test_2", payment_intent="pi_2"))
    deliver(browser, newer)
    assert reload(database, order).status == OrderStatus.PAID


def test_the_secret_key_stays_out_of_logs_and_errors_when_stripe_fails(stripe_on: Any, stripe_order: Any, request_context: None, caplog: Any) -> None:
    from storefront.money import Money
    from storefront.payments.providers import ProviderError
    from storefront.payments.services import refund_order

    order, payment = stripe_order
    payment.status, payment.paid_the_order, payment.provider_payment_id = PaymentStatus.SUCCEEDED, True, "pi_1"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderError) as refused:
        refund_order(order, Money(100, "USD"), stripe_on)
    assert SECRET_KEY not in str(refused.value) and SECRET_KEY not in caplog.text


def test_operators_see_the_events_that_need_them(app: Any, browser: Any, stripe_order: Any, create_user: Any) -> None:
    from storefront.accounts.models import Role
    from tests.conftest import Browser

    order, _payment = stripe_order
    deliver(browser, completed(order, amount_total=order.total_minor - 1))
    create_user(email="op@example.com", role=Role.OPERATOR)
    operator = Browser(app.test_client())
    operator.log_in("op@example.com")
    page = operator.get("/operator/payments").get_data(as_text=True)
    assert "needs review: paid amount does not match the order total" in page
    assert browser.get("/operator/payments").status_code in (302, 403)
