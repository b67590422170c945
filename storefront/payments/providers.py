"""The payment provider interface, and the provider-neutral events every provider is turned into."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from flask import Flask, current_app

from storefront.orders.models import Order
from storefront.payments.models import Payment


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment.succeeded"
    PAYMENT_FAILED = "payment.failed"
    #: The checkout was abandoned at the provider: the pending order is canceled and its stock released.
    PAYMENT_EXPIRED = "payment.expired"
    REFUND_SUCCEEDED = "refund.succeeded"
    DISPUTE_OPENED = "dispute.opened"
    DISPUTE_CLOSED = "dispute.closed"
    ACCOUNT_UPDATED = "account.updated"
    TRANSFER_REVERSED = "transfer.reversed"


class MalformedEvent(Exception):
    """A signed payload that is not an event we can read."""


class UnknownProvider(LookupError):
    pass


class ProviderError(Exception):
    """The provider refused or failed a call; the message is safe to show to an operator.

    Raised as is, the outcome is unknown (a timeout, an outage): the provider may have acted.
    """


class ProviderRefused(ProviderError):
    """The provider definitely did not act (an invalid or forbidden request): safe to undo our side."""


@dataclass(frozen=True)
class RefundFact:
    """One refund the provider reports as done."""

    reference: str
    amount_minor: int
    #: Order line id → amount, when the refund was of chosen lines.
    lines: dict[int, int] | None = None


@dataclass(frozen=True)
class DisputeFact:
    reference: str
    amount_minor: int
    #: For a closed dispute: True when the merchant won it.
    won: bool | None = None


@dataclass(frozen=True)
class AccountFact:
    """A connected payout account's state, for curators' payouts."""

    reference: str
    payouts_enabled: bool
    details_submitted: bool


@dataclass(frozen=True)
class PaymentEvent:
    """What happened at the provider, in our own words. `kind` is None for events we do not handle."""

    provider: str
    event_id: str
    kind: EventKind | None
    provider_type: str
    payload: dict[str, object]
    order_number: str | None = None
    payment_reference: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    #: The provider's own id of the money movement (a Stripe PaymentIntent), when it differs from the attempt's reference.
    provider_payment_id: str | None = None
    refunds: tuple[RefundFact, ...] = ()
    dispute: DisputeFact | None = None
    account: AccountFact | None = None
    failure_reason: str = ""


@dataclass(frozen=True)
class PaymentStart:
    reference: str
    redirect_url: str


@dataclass(frozen=True)
class RefundRequest:
    payment: Payment
    amount_minor: int
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    #: Order line id → amount, when the refund is of chosen lines (it then sums to amount_minor).
    lines: dict[int, int] = field(default_factory=dict)
    #: Derived from our own refund request, so a retried request refunds once at the provider.
    idempotency_key: str = ""


class PaymentProvider(Protocol):
    name: str

    def start_payment(self, order: Order, attempt: int) -> PaymentStart:
        """Open the order's `attempt`-th payment attempt (one idempotency key each) and say where to send the shopper."""

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        """Verify the signature on the raw body, then translate; raises InvalidSignature or MalformedEvent."""

    def translate(self, payload: dict[str, object]) -> PaymentEvent:
        """Turn an already trusted event (verified before, or fetched from the provider's API) into ours."""

    def refund(self, request: RefundRequest) -> str:
        """Ask the provider to refund; returns its refund reference. The refund is recorded from its event."""


@dataclass
class ProviderRecords:
    """What the provider itself holds for a period, for reconciliation: payments, refunds and transfers by its ids."""

    #: The provider's payment id (a Stripe PaymentIntent, a test-provider reference) → (amount, currency).
    payments: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Refund id → amount.
    refunds: dict[str, int] = field(default_factory=dict)
    #: Transfer id → (amount, transfer group: our payout reference).
    transfers: dict[str, tuple[int, str]] = field(default_factory=dict)


def encode_refund_lines(lines: Mapping[int, int]) -> str:
    """Refund lines as provider metadata (string values only, as Stripe's metadata): "12:500,13:250"."""
    return ",".join(f"{line_id}:{amount}" for line_id, amount in sorted(lines.items()))


def decode_refund_lines(text: object) -> dict[int, int] | None:
    """The inverse of encode_refund_lines; None when absent or not in that shape."""
    if not isinstance(text, str) or not text or len(text) > 2000:
        return None
    lines = {}
    for part in text.split(","):
        line_id, _, amount = part.partition(":")
        if not (line_id.isascii() and line_id.isdigit() and amount.isascii() and amount.isdigit()) or len(line_id) > 12 or len(amount) > 15:
            return None
        lines[int(line_id)] = int(amount)
    return lines


def register_provider(app: Flask, provider: PaymentProvider) -> None:
    app.extensions.setdefault("payment_providers", {})[provider.name] = provider


def get_provider(name: str) -> PaymentProvider:
    providers: dict[str, PaymentProvider] = current_app.extensions.get("payment_providers", {})
    if name not in providers:
        raise UnknownProvider(name)
    return providers[name]


def active_provider() -> PaymentProvider:
    return get_provider(current_app.config["PAYMENT_PROVIDER"])
