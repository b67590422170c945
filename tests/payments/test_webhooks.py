"""The webhook pipeline: signature first, each event once, provider-neutral handling."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from storefront.orders.models import Order, OrderStatus, OrderStatusChange
from storefront.payments.models import WebhookEvent
from storefront.payments.providers import EventKind
from storefront.payments.signatures import sign
from storefront.payments.test_provider import SIGNATURE_HEADER, TestPaymentProvider


def succeeded_event(provider: TestPaymentProvider, order: Order, **changes: Any) -> tuple[bytes, dict[str, str]]:
    data = {"order_number": order.number, "payment_reference": "tp_ref", "amount_minor": order.total_minor, "currency": order.currency}
    body, headers = provider.build_event(EventKind.PAYMENT_SUCCEEDED, {**data, **changes})
    return body, dict(headers)


def post_event(browser: Any, body: bytes, headers: dict[str, str]) -> Any:
    return browser.client.post("/webhooks/test", data=body, headers=headers)


def count(database: Any, model: Any) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


def status_of(database: Any, order: Order) -> str:
    return database.session.scalar(select(Order.status).where(Order.id == order.id))


def test_webhook_with_a_valid_signature_marks_the_order_paid(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    response = post_event(browser, *succeeded_event(provider, order))
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False, "queued": False}
    assert status_of(database, order) == OrderStatus.PAID


def test_webhook_replayed_changes_nothing(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    body, headers = succeeded_event(provider, order)
    post_event(browser, body, headers)
    changes_after_first = count(database, OrderStatusChange)

    replay = post_event(browser, body, headers)

    assert replay.status_code == 200 and replay.json["duplicate"] is True
    assert count(database, WebhookEvent) == 1
    assert count(database, OrderStatusChange) == changes_after_first


def test_webhook_second_event_for_a_paid_order_is_ignored(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    post_event(browser, *succeeded_event(provider, order))
    post_event(browser, *succeeded_event(provider, order))  # new event id, same payment
    outcomes = list(database.session.scalars(select(WebhookEvent.outcome).order_by(WebhookEvent.id)))
    assert outcomes == ["applied", "ignored: order already paid"]


def test_webhook_with_a_bad_signature_is_refused_and_writes_nothing(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    body, headers = succeeded_event(provider, order)
    headers[SIGNATURE_HEADER] = sign("not-the-secret", body)
    response = post_event(browser, body, headers)
    assert response.status_code == 400 and response.json == {"error": "invalid signature"}
    assert count(database, WebhookEvent) == 0
    assert status_of(database, order) == OrderStatus.PENDING


def test_webhook_with_a_tampered_body_is_refused(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    body, headers = succeeded_event(provider, order)
    tampered = body.replace(str(order.total_minor).encode(), b"1")
    assert post_event(browser, tampered, headers).status_code == 400
    assert count(database, WebhookEvent) == 0


def test_webhook_without_a_signature_is_refused(browser: Any, provider: Any, place_order: Any) -> None:
    body, _headers = succeeded_event(provider, place_order())
    assert post_event(browser, body, {}).status_code == 400


def test_webhook_signed_too_long_ago_is_refused(browser: Any, provider: Any, place_order: Any, frozen_clock: Any) -> None:
    body, headers = succeeded_event(provider, place_order())
    frozen_clock.advance(seconds=301)
    assert post_event(browser, body, headers).status_code == 400


def test_webhook_for_an_unknown_provider_is_404(browser: Any) -> None:
    assert browser.client.post("/webhooks/nope", data=b"{}").status_code == 404


def test_webhook_signed_but_malformed_is_400(browser: Any, provider: Any) -> None:
    body = b'{"no": "id"}'
    response = post_event(browser, body, {SIGNATURE_HEADER: sign(provider.webhook_secret, body)})
    assert response.status_code == 400


def test_webhook_with_a_wrong_amount_does_not_mark_paid(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    post_event(browser, *succeeded_event(provider, order, amount_minor=1))
    assert status_of(database, order) == OrderStatus.PENDING
    event = database.session.scalar(select(WebhookEvent))
    assert (event.outcome, event.needs_attention) == ("needs review: paid amount does not match the order total", True)


def test_webhook_unhandled_type_is_acknowledged(browser: Any, provider: Any, database: Any) -> None:
    body = json.dumps({"id": "evt_x", "type": "customer.created", "data": {}}).encode()
    response = post_event(browser, body, {SIGNATURE_HEADER: sign(provider.webhook_secret, body)})
    assert response.status_code == 200
    assert database.session.scalar(select(WebhookEvent.outcome)) == "ignored: customer.created is not handled"


def test_webhook_payment_for_an_expired_order_is_kept_for_a_refund(
    browser: Any, provider: Any, place_order: Any, database: Any, frozen_clock: Any
) -> None:
    from storefront.orders.services import expire_due_orders

    order = place_order()
    frozen_clock.advance(minutes=31)
    expire_due_orders()
    database.session.commit()
    post_event(browser, *succeeded_event(provider, order))
    assert status_of(database, order) == OrderStatus.EXPIRED
    assert database.session.scalar(select(WebhookEvent.outcome)) == "needs refund: order was expired"


def refund_event(provider: TestPaymentProvider, reference: str, amount_minor: int) -> tuple[bytes, dict[str, str]]:
    data = {"payment_reference": reference, "refund_reference": f"tr_{amount_minor}", "amount_minor": amount_minor, "currency": "USD"}
    body, headers = provider.build_event(EventKind.REFUND_SUCCEEDED, data)
    return body, dict(headers)


def outcomes(database: Any) -> list[str]:
    return list(database.session.scalars(select(WebhookEvent.outcome).order_by(WebhookEvent.id)))


def test_refund_events_with_a_bad_amount_are_acknowledged_and_ignored(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    post_event(browser, *succeeded_event(provider, order))
    for amount in (0, order.total_minor + 1):
        assert post_event(browser, *refund_event(provider, "tp_ref", amount)).status_code == 200
    assert status_of(database, order) == OrderStatus.PAID
    assert [o.split(":")[0] for o in outcomes(database)[1:]] == ["ignored", "needs review"]


def test_refund_of_a_late_payment_is_recorded_without_touching_the_expired_order(
    browser: Any, provider: Any, place_order: Any, database: Any, frozen_clock: Any
) -> None:
    from storefront.orders.services import expire_due_orders
    from storefront.payments.models import Refund

    order = place_order()
    frozen_clock.advance(minutes=31)
    expire_due_orders()
    database.session.commit()
    post_event(browser, *succeeded_event(provider, order))
    response = post_event(browser, *refund_event(provider, "tp_ref", order.total_minor))
    assert response.status_code == 200
    assert status_of(database, order) == OrderStatus.EXPIRED
    assert database.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_a_second_payment_for_a_paid_order_is_flagged_for_refund(browser: Any, provider: Any, place_order: Any, database: Any) -> None:
    order = place_order()
    post_event(browser, *succeeded_event(provider, order, payment_reference="tp_second"))
    post_event(browser, *succeeded_event(provider, order, payment_reference="tp_first"))
    post_event(browser, *succeeded_event(provider, order, payment_reference="tp_second"))
    assert outcomes(database) == ["applied", "needs refund: paid twice", "ignored: order already paid"]
