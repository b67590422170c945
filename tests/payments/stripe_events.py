"""Signed Stripe webhook payloads built from Stripe's own object samples (tests/fixtures/stripe)."""
from __future__ import annotations

import copy
import json
import secrets
from functools import cache
from pathlib import Path
from typing import Any

from storefront import clock
from storefront.payments.signatures import sign

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "objects.json"
WEBHOOK_SECRET = "whsec_vitrine_test"


@cache
def _resources() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]


def stripe_object(kind: str, **fields: Any) -> dict[str, Any]:
    """Stripe's sample of `kind` with the fields a scenario needs set (every other field kept, as Stripe sends them)."""
    obj = copy.deepcopy(_resources()[kind])
    obj.update(fields)
    return obj


def stripe_event(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(_resources()["event"])
    event.update(id="evt_" + secrets.token_hex(12), type=event_type, created=int(clock.now().timestamp()), data={"object": obj})
    return event


def signed(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, {"Stripe-Signature": sign(secret, body, timestamp), "Content-Type": "application/json"}


def checkout_session(order: Any, *, session_id: str, payment_intent: str | None, payment_status: str = "paid", **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": session_id, "payment_intent": payment_intent, "payment_status": payment_status, "amount_total": order.total_minor,
        "currency": order.currency.lower(), "client_reference_id": order.number, "status": "complete",
        "metadata": {"order_id": str(order.id), "order_number": order.number},
    }
    return stripe_object("checkout.session", **{**values, **fields})


def charge_refunded(payment_intent: str, refunds: list[tuple[str, int]], currency: str = "usd") -> dict[str, Any]:
    listed = [stripe_object("refund", id=ref, amount=amount, status="succeeded", payment_intent=payment_intent, currency=currency, metadata={})
              for ref, amount in refunds]
    return stripe_object(
        "charge", id="ch_" + secrets.token_hex(8), payment_intent=payment_intent, currency=currency, refunded=True,
        amount_refunded=sum(amount for _ref, amount in refunds),
        refunds={"object": "list", "data": listed, "has_more": False, "url": "/v1/charges/x/refunds"},
    )
