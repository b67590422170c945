"""The built-in `test` provider: no keys, no network, and the same webhook path as Stripe.

Its payment page takes the well-known test cards; the outcome is delivered as a signed event
to `process_webhook`, exactly as a provider's server would post it, so the order is marked
paid by the event and never by the browser's redirect.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask import url_for
from sqlalchemy import select
from werkzeug.datastructures import Headers

from storefront import clock
from storefront.extensions import db
from storefront.orders import services as orders
from storefront.orders.models import Order, OrderStatus
from storefront.payments.models import Payment, PaymentStatus, TestProviderEvent
from storefront.payments.providers import (
    AccountFact, DisputeFact, EventKind, MalformedEvent, PaymentEvent, PaymentStart, ProviderRecords, ProviderRefused, RefundFact,
    RefundRequest,
    decode_refund_lines, encode_refund_lines,
)
from storefront.payments.signatures import sign, verify
from storefront.payments.webhooks import WebhookResult, process_webhook
from flask_babel import gettext as _

SIGNATURE_HEADER = "Vitrine-Signature"


class CardOutcome(StrEnum):
    SUCCEEDS = "succeeds"
    DECLINED = "declined"


TEST_CARDS = {
    "4242424242424242": CardOutcome.SUCCEEDS,
    "4000000000000002": CardOutcome.DECLINED,
}


class UnknownTestCard(ValueError):
    pass


class TestPaymentOutcome(StrEnum):
    PAID = "paid"
    DECLINED = "declined"
    #: Paid already, canceled, or expired (now or before): nothing to charge.
    ORDER_CLOSED = "order_closed"


def webhook_secret_for(secret_key: str, configured: str = "") -> str:
    """The configured secret, else one derived from SECRET_KEY (stable across workers and restarts)."""
    if configured:
        return configured
    return hmac.new(secret_key.encode(), b"vitrine test payment webhooks", hashlib.sha256).hexdigest()


def normalize_card_number(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


@dataclass
class TestPaymentProvider:
    webhook_secret: str
    name: str = "test"
    __test__ = False  # not a pytest test class

    def start_payment(self, order: Order, attempt: int = 1) -> PaymentStart:
        reference = "tp_" + secrets.token_urlsafe(18)
        return PaymentStart(reference=reference, redirect_url=url_for("payments.test_checkout", reference=reference))

    def pay(self, *, order: Order, reference: str, card_number: str) -> WebhookResult:
        """Charge a test card and deliver the outcome as a signed webhook event."""
        outcome = TEST_CARDS.get(normalize_card_number(card_number))
        if outcome is None:
            raise UnknownTestCard(_("Use the test card 4242 4242 4242 4242 (succeeds) or 4000 0000 0000 0002 (declined)."))
        kind = EventKind.PAYMENT_SUCCEEDED if outcome is CardOutcome.SUCCEEDS else EventKind.PAYMENT_FAILED
        data = {
            "order_number": order.number, "payment_reference": reference,
            "amount_minor": order.total_minor, "currency": order.currency,
            "failure_reason": "" if outcome is CardOutcome.SUCCEEDS else "card_declined",
        }
        return self.deliver(kind, data)

    def refund(self, request: RefundRequest) -> str:
        reference = "tr_" + secrets.token_urlsafe(18)
        data = {
            "order_number": None, "payment_reference": request.payment.reference, "refund_reference": reference,
            "amount_minor": request.amount_minor, "currency": request.payment.currency,
            "refund_lines": encode_refund_lines(request.lines) if request.lines else None,
        }
        self.deliver(EventKind.REFUND_SUCCEEDED, data)
        return reference

    def create_connected_account(self, *, email: str, user_id: int) -> str:
        return "tacct_" + secrets.token_urlsafe(12)

    def onboarding_link(self, account_reference: str, *, return_url: str, refresh_url: str) -> str:
        return url_for("payments.test_onboarding", reference=account_reference, next=return_url)

    def complete_onboarding(self, account_reference: str) -> WebhookResult:
        return self.deliver(EventKind.ACCOUNT_UPDATED, {
            "account_reference": account_reference, "payouts_enabled": True, "details_submitted": True,
        })

    def create_transfer(self, *, destination: str, amount_minor: int, currency: str, idempotency_key: str, group: str) -> str:
        """A simulated transfer to a test payout account (nothing leaves anywhere)."""
        if not destination.startswith("tacct_"):
            raise ProviderRefused("The test provider pays only its own test payout accounts.")
        existing = self.find_transfer(group)
        if existing is not None:
            return existing
        transfer_id = "ttr_" + secrets.token_urlsafe(12)
        db.session.add(TestProviderEvent(event_id="log_" + transfer_id, kind="transfer.created", payload={
            "id": transfer_id, "amount_minor": amount_minor, "currency": currency, "group": group, "destination": destination,
        }))
        db.session.flush()
        return transfer_id

    def find_transfer(self, group: str) -> str | None:
        for row in db.session.scalars(select(TestProviderEvent).where(TestProviderEvent.kind == "transfer.created")):
            if row.payload.get("group") == group:
                return str(row.payload["id"])
        return None

    def records(self, start: datetime, end: datetime) -> ProviderRecords:
        """Its own log for the period: payments that succeeded, refunds, transfers."""
        found = ProviderRecords()
        # Tuples, not ORM objects: a month can hold a hundred thousand events.
        rows = db.session.execute(
            select(TestProviderEvent.kind, TestProviderEvent.payload)
            .where(TestProviderEvent.created_at >= start, TestProviderEvent.created_at < end)
            .order_by(TestProviderEvent.id)
        )
        for kind, payload in rows:
            data = payload.get("data") if kind != "transfer.created" else payload
            if not isinstance(data, dict):
                continue
            if kind == EventKind.PAYMENT_SUCCEEDED.value:
                found.payments[str(data.get("payment_reference"))] = (int(data.get("amount_minor") or 0), str(data.get("currency")))
            elif kind == EventKind.REFUND_SUCCEEDED.value:
                found.refunds[str(data.get("refund_reference"))] = int(data.get("amount_minor") or 0)
            elif kind == "transfer.created":
                found.transfers[str(data["id"])] = (int(data.get("amount_minor") or 0), str(data.get("group")))
        return found

    def build_event(self, kind: EventKind, data: dict[str, object]) -> tuple[bytes, Headers]:
        """A signed event body and its headers, as the provider's server would send them."""
        event = {"id": "evt_" + secrets.token_urlsafe(18), "type": kind.value, "created": int(clock.now().timestamp()), "data": data}
        db.session.add(TestProviderEvent(event_id=event["id"], kind=kind.value, payload=event))
        db.session.flush()
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, Headers({SIGNATURE_HEADER: sign(self.webhook_secret, body), "Content-Type": "application/json"})

    def list_events(self, since: datetime) -> Iterator[dict[str, object]]:
        """Every event this provider sent since a date, oldest first (its own log)."""
        rows = db.session.scalars(
            select(TestProviderEvent).where(TestProviderEvent.created_at >= since).order_by(TestProviderEvent.id)
        ).all()
        return iter([row.payload for row in rows])

    def deliver(self, kind: EventKind, data: dict[str, object]) -> WebhookResult:
        body, headers = self.build_event(kind, data)
        return process_webhook(self.name, body, headers)

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        verify(self.webhook_secret, body, headers.get(SIGNATURE_HEADER))
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise MalformedEvent(f"not a test-provider event: {error}") from None
        return self.translate(payload)

    def translate(self, payload: dict[str, object]) -> PaymentEvent:
        try:
            data = payload["data"]
            event_id, provider_type = str(payload["id"]), str(payload["type"])
        except (KeyError, TypeError) as error:
            raise MalformedEvent(f"not a test-provider event: {error}") from None
        if not isinstance(data, dict) or not event_id:
            raise MalformedEvent("event data must be an object")
        kinds = {kind.value: kind for kind in EventKind}
        amount = data.get("amount_minor")
        return PaymentEvent(
            provider=self.name, event_id=event_id, kind=kinds.get(provider_type), provider_type=provider_type,
            payload=payload, order_number=_text(data.get("order_number")),
            payment_reference=_text(data.get("payment_reference")),
            amount_minor=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
            currency=_text(data.get("currency")), refunds=_refunds(data, amount),
            dispute=_dispute(data, amount), account=_account(data),
            failure_reason=_text(data.get("failure_reason")) or "",
        )


def _refunds(data: dict[str, object], amount: object) -> tuple[RefundFact, ...]:
    reference = _text(data.get("refund_reference"))
    if reference is None or not isinstance(amount, int) or isinstance(amount, bool):
        return ()
    return (RefundFact(reference, amount, decode_refund_lines(data.get("refund_lines"))),)


def _dispute(data: dict[str, object], amount: object) -> DisputeFact | None:
    reference = _text(data.get("dispute_reference"))
    if reference is None:
        return None
    won = data.get("dispute_won")
    return DisputeFact(reference, amount if isinstance(amount, int) else 0, won if isinstance(won, bool) else None)


def _account(data: dict[str, object]) -> AccountFact | None:
    reference = _text(data.get("account_reference"))
    if reference is None:
        return None
    return AccountFact(reference, data.get("payouts_enabled") is True, data.get("details_submitted") is True)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def pay_with_test_card(provider: TestPaymentProvider, payment: Payment, card_number: str) -> TestPaymentOutcome:
    """Charge a test card for this payment attempt; the order is locked while it is decided.

    An order past its payment time is expired here rather than charged. Raises UnknownTestCard.
    """
    order = db.session.get(Order, payment.order_id, with_for_update=True)
    assert order is not None
    if payment.status == PaymentStatus.SUCCEEDED or order.status_enum is not OrderStatus.PENDING:
        return TestPaymentOutcome.ORDER_CLOSED
    if not orders.is_payable(order):
        orders.expire_order(order)
        return TestPaymentOutcome.ORDER_CLOSED
    provider.pay(order=order, reference=payment.reference, card_number=card_number)
    return TestPaymentOutcome.PAID if order.status_enum is OrderStatus.PAID else TestPaymentOutcome.DECLINED
