"""Our real Stripe code against a Stripe-compatible server on loopback: checkout, payment, refunds, sync, Connect.

Events are read from the server's /v1/events and delivered signed by the test (no sleeping on webhooks).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from sqlalchemy import select

from commissions.models import Commission, CommissionStatus
from storefront.orders.models import OrderStatus
from storefront.payments.models import ConnectedAccount, Payment, Refund
from storefront.payments.signatures import sign
from storefront.payments.stripe_provider import StripeProvider, StripeSettings

WEBHOOK_SECRET = "whsec_flow_test"


@pytest.fixture
def stripe_provider(app: Any, stripe_server: Any) -> Iterator[StripeProvider]:
    http_client = stripe.new_default_http_client()
    provider = StripeProvider(
        StripeSettings("sk_test_vitrine", WEBHOOK_SECRET, "http://127.0.0.1:8000", api_base=stripe_server.base_url),
        http_client=http_client,
    )
    providers = app.extensions["payment_providers"]
    saved = dict(providers)
    providers["stripe"] = provider
    app.config["PAYMENT_PROVIDER"] = "stripe"
    yield provider
    app.config["PAYMENT_PROVIDER"] = "test"
    providers.clear()
    providers.update(saved)
    http_client.close()


@pytest.fixture
def curator_order(request_context: None, stripe_provider: Any, create_shop: Any, create_product: Any, database: Any) -> Any:
    from flask import current_app

    from storefront.checkout.services import StoreSettings
    from storefront.orders.services import CustomerDetails, RequestedLine, place_order
    from tests.conftest import CUSTOMER_FORM

    product = create_product(price_minor=4000, title="Linen shirt")
    shop = create_shop(product)
    settings = StoreSettings.from_config(current_app.config)
    order = place_order([RequestedLine(product.id, 2, shop.id)], CustomerDetails(**CUSTOMER_FORM), user_id=None, currency="USD",
                        shipping=settings.shipping, payment_timeout=settings.payment_timeout)
    database.session.commit()
    return order


def deliver_new_events(browser: Any, stripe_server: Any, seen: set[str], *types: str) -> list[dict[str, Any]]:
    """Sign and post the server's events we have not delivered yet (as its webhooks would), oldest first."""
    delivered = []
    for event in stripe_server.events():
        if event["id"] in seen or (types and event["type"] not in types):
            continue
        seen.add(event["id"])
        body = json.dumps(event).encode()
        response = browser.client.post("/webhooks/stripe", data=body, headers={"Stripe-Signature": sign(WEBHOOK_SECRET, body)})
        assert response.status_code == 200, response.get_data(as_text=True)
        delivered.append(event)
    return delivered


def paid_through_stripe(browser: Any, stripe_server: Any, provider: Any, order: Any) -> tuple[Any, set[str]]:
    """Open the order's Checkout Session, have the customer pay, deliver the signed event; returns the payment and the events seen."""
    from storefront.extensions import db
    from storefront.payments.services import start_payment

    seen = {event["id"] for event in stripe_server.events()}
    payment, _url = start_payment(order, provider)
    db.session.commit()
    stripe_server.pay(payment.reference)
    deliver_new_events(browser, stripe_server, seen, "checkout.session.completed")
    return payment, seen


def test_checkout_payment_refunds_and_a_dashboard_refund_round_trip(
    browser: Any, stripe_server: Any, stripe_provider: Any, curator_order: Any, database: Any,
) -> None:
    from storefront.money import Money
    from storefront.payments.services import refund_order, start_payment

    seen = {event["id"] for event in stripe_server.events()}
    order = curator_order
    payment, url = start_payment(order, stripe_provider)
    database.session.commit()
    session = stripe_provider.client.v1.checkout.sessions.retrieve(payment.reference)
    assert url == session.url and session.amount_total == order.total_minor and session.metadata["order_number"] == order.number
    assert session.client_reference_id == order.number and session.customer_email == order.email
    assert session.success_url.endswith(f"/orders/{order.number}/confirming?attempt={{CHECKOUT_SESSION_ID}}")

    stripe_server.pay(payment.reference)
    deliver_new_events(browser, stripe_server, seen, "checkout.session.completed")
    paid = database.session.get(type(order), order.id)
    assert paid.status == OrderStatus.PAID
    commission = database.session.scalar(select(Commission))
    assert (commission.status, commission.earned_minor) == (CommissionStatus.PENDING, 400)

    # The operator's partial refund goes to Stripe and is recorded only from Stripe's event.
    refund_reference = refund_order(paid, Money(2000, "USD"), stripe_provider, reason="one shirt back")
    assert database.session.scalar(select(Refund)) is None
    deliver_new_events(browser, stripe_server, seen, "charge.refunded", "refund.created")
    assert [r.reference for r in database.session.scalars(select(Refund))] == [refund_reference]

    # A refund made in the Stripe dashboard reaches us too.
    intent = database.session.scalar(select(Payment.provider_payment_id).where(Payment.id == payment.id))
    stripe_server.refund_directly(intent, 1000)
    deliver_new_events(browser, stripe_server, seen, "charge.refunded", "refund.created")
    refunded = database.session.get(type(order), order.id)
    assert (refunded.status, refunded.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 3000)
    # Each refund is spread over what is left on the shirts (80.00) and shipping (5.00).
    from storefront.payments.services import refunded_by_line

    on_shirts = refunded_by_line(refunded)[commission.order_line_id]
    assert 1882 + 941 == on_shirts
    assert database.session.get(Commission, commission.id).net_minor == (8000 - on_shirts) * 500 // 10_000


def test_a_second_attempt_opens_a_new_session_and_a_retried_attempt_does_not(stripe_provider: Any, curator_order: Any) -> None:
    first = stripe_provider.start_payment(curator_order, 1)
    assert stripe_provider.start_payment(curator_order, 1).reference == first.reference
    assert stripe_provider.start_payment(curator_order, 2).reference != first.reference


def test_sync_finds_a_dropped_payment_event_and_running_it_twice_changes_nothing(
    app: Any, stripe_server: Any, stripe_provider: Any, curator_order: Any, database: Any, frozen_clock: Any,
) -> None:
    from storefront.payments.services import start_payment

    payment, _url = start_payment(curator_order, stripe_provider)
    database.session.commit()
    stripe_server.pay(payment.reference)  # its webhook is lost: nothing is delivered
    since = frozen_clock.now().strftime("%Y-%m-%d")
    first = app.test_cli_runner().invoke(args=["payments", "sync", "--since", since])
    assert first.exit_code == 0, first.output
    assert "checkout.session.completed: applied" in first.output
    assert database.session.get(type(curator_order), curator_order.id).status == OrderStatus.PAID
    again = app.test_cli_runner().invoke(args=["payments", "sync", "--since", since])
    assert again.exit_code == 0 and ": 0 were missing" in again.output


def test_a_curator_connects_a_payout_account_and_stripe_confirms_it(
    app: Any, browser: Any, stripe_server: Any, stripe_provider: Any, create_user: Any, database: Any,
) -> None:
    from tests.conftest import Browser

    seen = {event["id"] for event in stripe_server.events()}
    create_user(email="ana@example.com")
    ana = Browser(app.test_client())
    ana.log_in("ana@example.com")
    started = ana.post("/me/payouts/connect")
    assert started.status_code == 302 and "/_test/onboarding/acct_" in started.headers["Location"]
    account = database.session.scalar(select(ConnectedAccount))
    assert account.provider == "stripe" and not account.payouts_enabled
    stripe_server.complete_onboarding(account.reference)
    deliver_new_events(browser, stripe_server, seen, "account.updated")
    assert database.session.get(ConnectedAccount, account.id).payouts_enabled


def test_two_refund_requests_of_the_same_amount_both_refund_and_a_retried_one_does_not(
    browser: Any, stripe_server: Any, stripe_provider: Any, curator_order: Any, database: Any,
) -> None:
    from storefront.money import Money
    from storefront.payments.services import refund_order

    payment, seen = paid_through_stripe(browser, stripe_server, stripe_provider, curator_order)
    order = database.session.get(type(curator_order), curator_order.id)
    first = refund_order(order, Money(1000, "USD"), stripe_provider, request_key="a" * 32)
    retried = refund_order(order, Money(1000, "USD"), stripe_provider, request_key="a" * 32)
    second = refund_order(order, Money(1000, "USD"), stripe_provider, request_key="b" * 32)
    assert first == retried and second != first
    deliver_new_events(browser, stripe_server, seen, "charge.refunded", "refund.created")
    assert database.session.get(type(order), order.id).refunded_minor == 2000


def test_a_connect_payout_is_a_transfer_keyed_by_the_payout_and_a_retried_run_pays_once(
    app: Any, browser: Any, stripe_server: Any, stripe_provider: Any, curator_order: Any, database: Any, frozen_clock: Any,
) -> None:
    from commissions import payout_runs, payouts, services
    from commissions.models import PayoutMethod, PayoutRun, PayoutStatus

    payment, seen = paid_through_stripe(browser, stripe_server, stripe_provider, curator_order)
    curator = database.session.scalar(select(Commission.curator_user_id))
    account_id = stripe_provider.create_connected_account(email="ana@example.com", user_id=curator)
    stripe_server.complete_onboarding(account_id)
    database.session.add(ConnectedAccount(user_id=curator, provider="stripe", reference=account_id, payouts_enabled=True))
    frozen_clock.advance(days=31)
    services.mature_due()
    database.session.commit()

    # A run that dies after the reserve, before the transfer: the payout is left reserved.
    run = PayoutRun(method=PayoutMethod.STRIPE, currency="USD")
    database.session.add(run)
    database.session.flush()
    payout = payouts.reserve(run, curator, minimum_minor=100, destination=account_id).payout
    database.session.commit()
    # The transfer had in fact been made, with the payout's own key, before the crash.
    made = stripe_provider.create_transfer(destination=account_id, amount_minor=payout.amount_minor, currency="USD",
                                           idempotency_key=f"vitrine-payout-{payout.id}", group=payout.reference)
    assert payout_runs.start_run(PayoutMethod.STRIPE, currency="USD", minimum_minor=100, provider=stripe_provider,
                                 started_by_user_id=None).reserved == []
    frozen_clock.advance(minutes=11)
    recovered = payout_runs.recover(stripe_provider)
    assert [p.provider_reference for p in recovered.settled] == [made]
    assert database.session.get(type(payout), payout.id).status == PayoutStatus.SETTLED
    transfers = stripe_provider.client.v1.transfers.list(params={"transfer_group": payout.reference})
    assert [t.id for t in transfers.data] == [made]


def test_reconciliation_reads_stripes_own_charges_and_refunds(
    app: Any, browser: Any, stripe_server: Any, stripe_provider: Any, curator_order: Any, database: Any,
) -> None:
    from datetime import UTC, datetime, timedelta

    from commissions.reconciliation import Kind, reconcile_with

    payment, seen = paid_through_stripe(browser, stripe_server, stripe_provider, curator_order)
    intent = database.session.scalar(select(Payment.provider_payment_id).where(Payment.id == payment.id))
    dashboard_refund = stripe_server.refund_directly(intent, 700)  # its webhook never arrives
    # Stripe's records carry its own (wall-clock) times: look at a window around now.
    now = datetime.now(UTC)
    records = stripe_provider.records(now - timedelta(days=1), now + timedelta(days=1))
    assert records.payments[intent] == (curator_order.total_minor, "USD")
    report = reconcile_with(stripe_provider, now - timedelta(days=30), now + timedelta(days=1), currency="USD", default_bps=500)
    # The server outlives each test's database, so other tests' records show up too: look for this one.
    missing = [d for d in report.discrepancies if d.kind is Kind.REFUND_MISSING_LOCALLY and d.subject == f"refund {dashboard_refund['id']}"]
    assert len(missing) == 1 and "700 refunded at the provider" in missing[0].detail
