"""The local Stripe answers the real stripe-python client the way Stripe does, for what our adapter uses."""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from tests.stripe_server.fixtures import StripeServer, StripeServerError

PICKLE = "/tmp/localstripe.pickle"
WEBHOOK_SECRET = "whsec_vitrine_test"


class WebhookReceiver:
    """Collects what is POSTed to `url`. localstripe picks the webhooks to post to when it sends (about 1 s after the
    event), so events from just before registering can arrive too."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, str]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.end_headers()
                with receiver.arrived:
                    receiver.deliveries.append((body, self.headers["Stripe-Signature"]))
                    receiver.arrived.notify_all()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return None

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/webhooks/stripe"

    def delivery_about(self, object_id: str, timeout: float = 5.0) -> tuple[bytes, str] | None:
        def found() -> tuple[bytes, str] | None:
            return next((d for d in self.deliveries if json.loads(d[0])["data"]["object"]["id"] == object_id), None)

        with self.arrived:
            self.arrived.wait_for(found, timeout=timeout)
            return found()


@pytest.fixture
def webhook_receiver(stripe_server: StripeServer) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    thread = threading.Thread(target=receiver.http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    stripe_server.register_webhook(receiver.url, WEBHOOK_SECRET, events=["checkout.session.completed"])
    try:
        yield receiver
    finally:
        stripe_server.unregister_webhook()
        receiver.http.shutdown()
        receiver.http.server_close()
        thread.join()


def session_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "EUR", "unit_amount": 2500, "product_data": {"name": "Linen shirt"}}, "quantity": 2},
            {"price_data": {"currency": "eur", "unit_amount": 1200, "product_data": {"name": "Canvas tote"}}, "quantity": 1},
        ],
        "success_url": "https://vitrine.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://vitrine.test/checkout/cancel",
        "customer_email": "friend@example.com",
        "client_reference_id": "order-1001",
        "metadata": {"order_number": "1001"},
        "payment_method_types": ["card"],
    }
    params.update(overrides)
    return params


def new_session(client: stripe.StripeClient, **overrides: Any) -> Any:
    return client.v1.checkout.sessions.create(params=session_params(**overrides))


def about(server: StripeServer, since: int, object_id: str) -> list[dict[str, Any]]:
    """The events since `since` whose object is `object_id`, oldest first."""
    return [event for event in server.events(since=since) if event["data"]["object"]["id"] == object_id]


def onboarded_account(client: stripe.StripeClient, server: StripeServer) -> Any:
    account = client.v1.accounts.create(params={
        "type": "express", "email": "curator@example.com", "country": "FR", "metadata": {"shop": "curator-1"},
        "capabilities": {"transfers": {"requested": True}},
    })
    server.complete_onboarding(account.id)
    return account


def test_a_session_with_two_line_items_is_created_and_read_back(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    created = stripe_client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "k1"})
    read = stripe_client.v1.checkout.sessions.retrieve(created.id)

    assert read.id == created.id and read.id.startswith("cs_test_")
    assert read.object == "checkout.session"
    assert (read.amount_subtotal, read.amount_total, read.currency) == (6200, 6200, "eur")
    assert (read.status, read.payment_status, read.payment_intent) == ("open", "unpaid", None)
    assert read.url == f"{stripe_server.base_url}/_test/checkout/{read.id}"
    assert read.metadata.to_dict() == {"order_number": "1001"}
    assert read.client_reference_id == "order-1001"
    assert read.customer_email == read.customer_details.email == "friend@example.com"
    assert read.payment_method_types == ["card"]
    assert read.success_url.endswith("{CHECKOUT_SESSION_ID}") and read.cancel_url == "https://vitrine.test/checkout/cancel"
    assert read.expires_at == read.created + 24 * 3600 and read.livemode is False
    items = stripe_client.v1.checkout.sessions.line_items.list(read.id)
    assert [(item.description, item.quantity, item.amount_total) for item in items.data] == [("Linen shirt", 2, 5000), ("Canvas tote", 1, 1200)]


def test_sessions_are_listed_newest_first(stripe_client: stripe.StripeClient) -> None:
    older, newer = new_session(stripe_client), new_session(stripe_client)

    listed = stripe_client.v1.checkout.sessions.list(params={"limit": 2})

    assert [s.id for s in listed.data] == [newer.id, older.id] and listed.object == "list"


@pytest.mark.parametrize(("change", "param"), [
    ({"line_items": []}, "line_items"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": 0, "product_data": {"name": "Free"}}, "quantity": 1}]},
     "line_items[0][price_data][unit_amount]"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": "12.5", "product_data": {"name": "Half"}}, "quantity": 1}]},
     "line_items[0][price_data][unit_amount]"),
    ({"line_items": [
        {"price_data": {"currency": "eur", "unit_amount": 100, "product_data": {"name": "A"}}, "quantity": 1},
        {"price_data": {"currency": "usd", "unit_amount": 100, "product_data": {"name": "B"}}, "quantity": 1},
    ]}, "line_items"),
    ({"shipping_options": [{"shipping_rate": "shr_1"}]}, "shipping_options"),
])
def test_a_session_with_bad_line_items_is_refused(stripe_client: stripe.StripeClient, change: dict[str, Any], param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        new_session(stripe_client, **change)

    assert refused.value.http_status == 400 and refused.value.param == param


def test_paying_emits_checkout_session_completed_with_the_paid_session(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    session = new_session(stripe_client)

    stripe_server.pay(session.id)

    [completed] = about(stripe_server, since, session.id)
    assert completed["type"] == "checkout.session.completed" and completed["id"].startswith("evt_")
    paid = completed["data"]["object"]
    assert (paid["status"], paid["payment_status"], paid["url"]) == ("complete", "paid", None)
    assert paid["payment_intent"].startswith("pi_") and paid["metadata"] == {"order_number": "1001"}
    assert completed["object"] == "event" and completed["livemode"] is False and isinstance(completed["created"], int)
    assert completed["api_version"] and completed["pending_webhooks"] == 0 and completed["request"] == {"id": None, "idempotency_key": None}
    intent = stripe_client.v1.payment_intents.retrieve(paid["payment_intent"])
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 6200, "eur")
    assert isinstance(intent.latest_charge, str) and intent.latest_charge.startswith("ch_")
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent == intent.id


def test_part_of_a_paid_session_is_refunded(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    session = new_session(stripe_client)
    intent_id = stripe_server.pay(session.id)["payment_intent"]
    since = int(time.time())

    refund = stripe_client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 500})

    assert (refund.object, refund.status, refund.amount, refund.currency) == ("refund", "succeeded", 500, "eur")
    assert [r.id for r in stripe_client.v1.refunds.list(params={"payment_intent": intent_id}).data] == [refund.id]
    charge = stripe_client.v1.charges.retrieve(refund.charge)
    assert (charge.payment_intent, charge.amount_refunded, charge.refunded) == (intent_id, 500, False)
    events = [e for e in stripe_server.events(since=since) if e["type"] in ("refund.created", "charge.refunded")]
    mine = [e for e in events if e["data"]["object"]["id"] in (refund.id, refund.charge)]
    assert [e["type"] for e in mine] == ["refund.created", "charge.refunded"]
    assert mine[1]["data"]["object"]["amount_refunded"] == 500
    assert mine[0]["request"]["id"].startswith("req_") and mine[0]["request"]["idempotency_key"]


def test_a_dashboard_refund_shows_in_the_events(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    session = new_session(stripe_client)
    intent_id = stripe_server.pay(session.id)["payment_intent"]
    since = int(time.time())

    refund = stripe_server.refund_directly(intent_id, 6200)

    [refunded] = [e for e in stripe_server.events(since=since, type="charge.refunded") if e["data"]["object"]["id"] == refund["charge"]]
    assert refunded["data"]["object"]["refunded"] is True and refunded["data"]["object"]["payment_intent"] == intent_id


def test_confirming_the_payment_intent_emits_payment_intent_succeeded(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    intent_id = stripe_server.pay(new_session(stripe_client).id)["payment_intent"]

    types = [e["type"] for e in stripe_server.events(since=since) if e["data"]["object"]["id"] == intent_id]

    assert types == ["payment_intent.succeeded"]


def test_the_same_idempotency_key_replays_the_same_session(stripe_client: stripe.StripeClient) -> None:
    first = stripe_client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "replay-1"})
    again = stripe_client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "replay-1"})

    assert again.id == first.id and again.to_dict() == first.to_dict()
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"


def test_the_same_idempotency_key_with_other_parameters_is_refused(stripe_client: stripe.StripeClient) -> None:
    stripe_client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "replay-2"})

    with pytest.raises(stripe.IdempotencyError) as refused:
        stripe_client.v1.checkout.sessions.create(params=session_params(client_reference_id="order-2"), options={"idempotency_key": "replay-2"})

    assert refused.value.http_status == 400 and "same parameters" in refused.value.user_message


def test_a_refund_is_replayed_not_repeated(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    intent_id = stripe_server.pay(new_session(stripe_client).id)["payment_intent"]
    params = {"payment_intent": intent_id, "amount": 700}

    first = stripe_client.v1.refunds.create(params=params, options={"idempotency_key": "refund-1"})
    again = stripe_client.v1.refunds.create(params=params, options={"idempotency_key": "refund-1"})

    assert again.id == first.id
    assert [r.id for r in stripe_client.v1.refunds.list(params={"payment_intent": intent_id}).data] == [first.id]


def test_a_refused_request_is_not_remembered(stripe_client: stripe.StripeClient) -> None:
    bad = session_params(line_items=[])
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.create(params=bad, options={"idempotency_key": "replay-3"})

    retried = stripe_client.v1.checkout.sessions.create(params=bad | {"line_items": session_params()["line_items"]},
                                                        options={"idempotency_key": "replay-3"})

    assert retried.status == "open"


def test_a_delayed_payment_that_succeeds(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    session = new_session(stripe_client)

    completed = stripe_server.pay(session.id, async_=True)
    settled = stripe_server.async_result(session.id, succeeded=True)

    assert (completed["status"], completed["payment_status"], completed["payment_intent"]) == ("complete", "unpaid", None)
    events = about(stripe_server, since, session.id)
    assert [e["type"] for e in events] == ["checkout.session.completed", "checkout.session.async_payment_succeeded"]
    assert events[0]["data"]["object"]["payment_status"] == "unpaid"
    assert events[1]["data"]["object"]["payment_status"] == "paid" == settled["payment_status"]
    assert stripe_client.v1.payment_intents.retrieve(settled["payment_intent"]).status == "succeeded"


def test_a_delayed_payment_that_fails(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    session = new_session(stripe_client)

    stripe_server.pay(session.id, async_=True)
    failed = stripe_server.async_result(session.id, succeeded=False)

    assert (failed["status"], failed["payment_status"], failed["payment_intent"]) == ("complete", "unpaid", None)
    assert [e["type"] for e in about(stripe_server, since, session.id)] == [
        "checkout.session.completed", "checkout.session.async_payment_failed"]


def test_an_expired_session(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    session = new_session(stripe_client)

    stripe_server.expire(session.id)

    [expired] = about(stripe_server, since, session.id)
    assert expired["type"] == "checkout.session.expired" and expired["data"]["object"]["status"] == "expired"
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    with pytest.raises(StripeServerError) as refused:
        stripe_server.pay(session.id)
    assert refused.value.status == 400


def test_onboarding_a_connected_account(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    account = stripe_client.v1.accounts.create(params={
        "type": "express", "email": "curator@example.com", "country": "FR", "metadata": {"shop": "curator-1"},
        "capabilities": {"transfers": {"requested": True}},
    })
    link = stripe_client.v1.account_links.create(params={
        "account": account.id, "refresh_url": "https://vitrine.test/payouts/refresh",
        "return_url": "https://vitrine.test/payouts/return", "type": "account_onboarding",
    })

    stripe_server.complete_onboarding(account.id)

    assert account.id.startswith("acct_") and (account.payouts_enabled, account.details_submitted) == (False, False)
    assert account.requirements.currently_due and account.default_currency == "eur"
    assert link.object == "account_link" and link.url == f"{stripe_server.base_url}/_test/onboarding/{account.id}"
    [updated] = about(stripe_server, since, account.id)
    assert updated["type"] == "account.updated"
    assert updated["data"]["object"]["payouts_enabled"] is True and updated["data"]["object"]["requirements"]["currently_due"] == []
    assert updated["data"]["previous_attributes"]["payouts_enabled"] is False
    read = stripe_client.v1.accounts.retrieve(account.id)
    assert (read.charges_enabled, read.payouts_enabled, read.details_submitted) == (True, True, True)
    assert read.capabilities.transfers == "active" and read.metadata.to_dict() == {"shop": "curator-1"}


def test_an_account_link_for_an_unknown_account_is_refused(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.account_links.create(params={
            "account": "acct_unknown", "refresh_url": "https://vitrine.test/r", "return_url": "https://vitrine.test/r",
            "type": "account_onboarding",
        })

    assert refused.value.http_status == 400 and refused.value.code == "resource_missing"


def test_a_transfer_to_an_onboarded_account_is_reversed(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    account = onboarded_account(stripe_client, stripe_server)
    since = int(time.time())
    transfer = stripe_client.v1.transfers.create(params={
        "amount": 1100, "currency": "eur", "destination": account.id, "metadata": {"commission": "7"}, "transfer_group": "order-1001",
    })

    stripe_server.reverse_transfer(transfer.id)

    assert transfer.id.startswith("tr_") and (transfer.amount, transfer.reversed, transfer.transfer_group) == (1100, False, "order-1001")
    events = about(stripe_server, since, transfer.id)
    assert [e["type"] for e in events] == ["transfer.created", "transfer.reversed"]
    assert events[1]["data"]["object"]["reversed"] is True and events[1]["data"]["object"]["amount_reversed"] == 1100
    read = stripe_client.v1.transfers.retrieve(transfer.id)
    assert (read.reversed, read.amount_reversed, read.reversals.data[0].amount) == (True, 1100, 1100)


def test_a_partial_reversal_through_the_api(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    account = onboarded_account(stripe_client, stripe_server)
    transfer = stripe_client.v1.transfers.create(params={"amount": 1000, "currency": "eur", "destination": account.id})

    reversal = stripe_client.v1.transfers.reversals.create(transfer.id, params={"amount": 400})

    assert (reversal.object, reversal.amount, reversal.transfer) == ("transfer_reversal", 400, transfer.id)
    assert stripe_client.v1.transfers.retrieve(transfer.id).amount_reversed == 400


def test_a_transfer_needs_a_known_onboarded_destination(stripe_client: stripe.StripeClient) -> None:
    pending = stripe_client.v1.accounts.create(params={"type": "express", "country": "FR"})

    for destination in ("acct_unknown", pending.id):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe_client.v1.transfers.create(params={"amount": 100, "currency": "eur", "destination": destination})
        assert refused.value.http_status == 400 and refused.value.param == "destination"


def test_events_are_filtered_by_created(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    since = int(time.time())
    session = new_session(stripe_client)
    stripe_server.expire(session.id)
    [event] = about(stripe_server, since, session.id)

    at_or_after = stripe_client.v1.events.list(params={"created": {"gte": event["created"]}, "limit": 100})
    after = stripe_client.v1.events.list(params={"created": {"gt": event["created"]}, "limit": 100})

    assert event["id"] in [e.id for e in at_or_after.auto_paging_iter()]
    assert event["id"] not in [e.id for e in after.auto_paging_iter()]
    assert all(e.created >= event["created"] for e in at_or_after.auto_paging_iter())
    assert stripe_server.events(since=event["created"] + 3600) == []
    assert stripe_client.v1.events.retrieve(event["id"]).type == "checkout.session.expired"


def test_state_stays_in_memory(stripe_client: stripe.StripeClient, stripe_server: StripeServer) -> None:
    before = os.stat(PICKLE).st_mtime_ns if os.path.exists(PICKLE) else None

    stripe_server.pay(new_session(stripe_client).id)

    assert (os.stat(PICKLE).st_mtime_ns if os.path.exists(PICKLE) else None) == before


def test_events_are_delivered_to_a_webhook_signed(
    stripe_client: stripe.StripeClient, stripe_server: StripeServer, webhook_receiver: WebhookReceiver,
) -> None:
    session = new_session(stripe_client)

    stripe_server.pay(session.id)

    delivery = webhook_receiver.delivery_about(session.id)
    assert delivery is not None, "no webhook within 5 s (localstripe sends about 1 s after the event)"
    payload, signature = delivery
    event = stripe.Webhook.construct_event(payload, signature, WEBHOOK_SECRET)
    assert (event.type, event.data.object.id, event.pending_webhooks) == ("checkout.session.completed", session.id, 1)
