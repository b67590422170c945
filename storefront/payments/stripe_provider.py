"""Stripe: Checkout Sessions to take the money, signed webhooks for every fact, refunds, Connect for curators.

Only this module talks to Stripe. Amounts come from the order's snapshotted lines, never from
the shopper; the order becomes paid only through the webhook pipeline.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe

from storefront import clock
from storefront.orders.models import Order
from storefront.payments.providers import (
    AccountFact, DisputeFact, EventKind, MalformedEvent, PaymentEvent, PaymentStart, ProviderError, ProviderRecords,
    ProviderRefused, RefundFact, RefundRequest,
    decode_refund_lines, encode_refund_lines,
)
from storefront.payments.signatures import InvalidSignature, verify
from flask_babel import gettext as _

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "Stripe-Signature"
SESSION_MIN_SECONDS = 31 * 60
SESSION_MAX_SECONDS = 23 * 3600
#: The event types we handle, asked for by name when listing events for `flask payments sync`.
HANDLED_TYPES = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.async_payment_failed",
    "checkout.session.expired", "payment_intent.payment_failed", "charge.refunded", "refund.created", "refund.updated",
    "charge.dispute.created", "charge.dispute.closed", "account.updated", "transfer.reversed",
)


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str
    webhook_secret: str
    base_url: str
    api_base: str = ""
    payment_methods: tuple[str, ...] = ("card",)
    #: Connect events (account.updated for curators' accounts) come to a second endpoint with its own secret.
    connect_webhook_secret: str = ""

    def __repr__(self) -> str:  # never print the keys
        return f"StripeSettings(api_base={self.api_base!r}, payment_methods={self.payment_methods!r})"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeSettings:
        secret_key, webhook_secret = config.get("STRIPE_SECRET_KEY", ""), config.get("STRIPE_WEBHOOK_SECRET", "")
        if not secret_key or not webhook_secret:
            raise RuntimeError("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
        api_base = config.get("STRIPE_API_BASE", "")
        if api_base and not secret_key.startswith(("sk_test_", "rk_test_")):
            raise RuntimeError("STRIPE_API_BASE points at a test server: refusing to send a live Stripe key there")
        methods = tuple(m.strip() for m in config.get("STRIPE_PAYMENT_METHODS", "card").split(",") if m.strip())
        return cls(
            secret_key, webhook_secret, config["BASE_URL"], api_base, methods or ("card",),
            config.get("STRIPE_CONNECT_WEBHOOK_SECRET", ""),
        )


def _get(obj: Any, *path: str) -> Any:
    """A nested field of a webhook object (plain dicts) or API object (StripeObject), or None."""
    for key in path:
        if obj is None:
            return None
        try:
            obj = obj[key]
        except (KeyError, TypeError, IndexError):
            return None
    return obj


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class StripeProvider:
    name = "stripe"

    def __init__(self, settings: StripeSettings, http_client: Any = None) -> None:
        self.settings = settings
        addresses: Any = {"api": settings.api_base} if settings.api_base else None
        self.client = stripe.StripeClient(
            settings.secret_key, base_addresses=addresses, max_network_retries=2, http_client=http_client,
        )

    # Taking the money -------------------------------------------------------------------------

    def start_payment(self, order: Order, attempt: int) -> PaymentStart:
        line_items = [
            {"price_data": {"currency": order.currency.lower(), "unit_amount": line.unit_price_minor,
                            "product_data": {"name": line.title[:250]}}, "quantity": line.quantity}
            for line in order.lines
        ]
        if order.shipping_minor:
            line_items.append({"price_data": {"currency": order.currency.lower(), "unit_amount": order.shipping_minor,
                                              "product_data": {"name": "Shipping"}}, "quantity": 1})
        metadata = {"order_id": str(order.id), "order_number": order.number}
        # Stripe compares with its own clock: the session lives as long as the order may still be paid
        # (Stripe's bounds are 30 minutes to 24 hours).
        remaining = (order.expires_at - clock.now()).total_seconds()
        expires_at = int(time.time() + min(max(remaining, SESSION_MIN_SECONDS), SESSION_MAX_SECONDS))
        params = {
            "mode": "payment", "line_items": line_items, "metadata": metadata, "client_reference_id": order.number,
            "customer_email": order.email, "payment_method_types": list(self.settings.payment_methods),
            "payment_intent_data": {"metadata": metadata}, "expires_at": expires_at,
            # Stripe puts the session's id in place of {CHECKOUT_SESSION_ID}: the page waits for that attempt.
            "success_url": f"{self.settings.base_url}/orders/{order.number}/confirming?attempt={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{self.settings.base_url}/orders/{order.number}?checkout=canceled",
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"vitrine-checkout-{order.number}-{attempt}"},
            )
        except stripe.StripeError as error:
            log.error("Stripe refused a checkout session for order %s: %s", order.number, error.user_message or type(error).__name__)
            raise ProviderError(_("The payment service is not answering just now; please try again in a moment.")) from None
        return PaymentStart(reference=session.id, redirect_url=session.url)

    def refund(self, request: RefundRequest) -> str:
        payment_intent = request.payment.provider_payment_id
        if not payment_intent:
            raise ProviderError(_("This payment has no Stripe PaymentIntent to refund yet."))
        metadata = {**request.metadata, "order_id": str(request.payment.order_id)}
        if request.lines:
            metadata["refund_lines"] = encode_refund_lines(request.lines)
        key = request.idempotency_key or f"vitrine-refund-{request.payment.id}-{request.amount_minor}"
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_intent, "amount": request.amount_minor, "metadata": metadata},
                options={"idempotency_key": key},
            )
        except stripe.StripeError as error:
            log.error("Stripe refused a refund of payment %s: %s", request.payment.id, error.user_message or type(error).__name__)
            raise ProviderError(_("Stripe refused the refund: %(reason)s", reason=error.user_message or _("try again later"))) from None
        return refund.id

    # Facts coming back ------------------------------------------------------------------------

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> PaymentEvent:
        secrets_ = [s for s in (self.settings.webhook_secret, self.settings.connect_webhook_secret) if s]
        for index, secret in enumerate(secrets_):
            try:
                verify(secret, body, headers.get(SIGNATURE_HEADER))
                break
            except InvalidSignature:
                if index == len(secrets_) - 1:
                    raise
        try:
            payload = json.loads(body)
        except ValueError:
            raise MalformedEvent("not a JSON Stripe event") from None
        return self.translate(payload)

    def translate(self, payload: dict[str, Any]) -> PaymentEvent:
        event_id, event_type, obj = _str(_get(payload, "id")), _str(_get(payload, "type")), _get(payload, "data", "object")
        if event_id is None or event_type is None or not isinstance(obj, dict) or len(event_id) > 255 or len(event_type) > 64:
            raise MalformedEvent("a Stripe event needs an id, a type and data.object")
        base = {"provider": self.name, "event_id": event_id, "provider_type": event_type, "payload": payload}
        translate = _TRANSLATIONS.get(event_type)
        if translate is None:
            return PaymentEvent(kind=None, **base)
        return translate(self, obj, base)

    def list_events(self, since: datetime) -> Iterator[dict[str, Any]]:
        """Every event since a date, oldest first (for `flask payments sync`)."""
        try:
            page = self.client.v1.events.list(
                params={"created": {"gte": int(since.timestamp())}, "types": list(HANDLED_TYPES), "limit": 100},
            )
            events = [event.to_dict(for_json=True) for event in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe did not list its events: {error.user_message or type(error).__name__}") from None
        return iter(sorted(events, key=lambda event: (event.get("created", 0), event.get("id", ""))))

    def records(self, start: datetime, end: datetime) -> ProviderRecords:
        """Stripe's own charges, refunds and transfers created in the period (for reconciliation)."""
        window = {"created": {"gte": int(start.timestamp()), "lt": int(end.timestamp())}, "limit": 100}
        found = ProviderRecords()
        try:
            for item in self.client.v1.charges.list(params=window).auto_paging_iter():
                charge = item.to_dict()
                if charge.get("status") == "succeeded" and charge.get("payment_intent"):
                    amount = charge.get("amount_captured") or charge["amount"]
                    found.payments[charge["payment_intent"]] = (amount, charge["currency"].upper())
            for item in self.client.v1.refunds.list(params=window).auto_paging_iter():
                refund = item.to_dict()
                if refund.get("status") == "succeeded":
                    found.refunds[refund["id"]] = refund["amount"]
            for item in self.client.v1.transfers.list(params=window).auto_paging_iter():
                transfer = item.to_dict()
                found.transfers[transfer["id"]] = (transfer["amount"], transfer.get("transfer_group") or "")
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe did not list its records: {error.user_message or type(error).__name__}") from None
        return found

    # Connect ----------------------------------------------------------------------------------

    def create_transfer(self, *, destination: str, amount_minor: int, currency: str, idempotency_key: str, group: str) -> str:
        """A payout to a curator's connected account; the payout's own key makes a retried run pay once."""
        try:
            transfer = self.client.v1.transfers.create(
                params={"amount": amount_minor, "currency": currency.lower(), "destination": destination,
                        "transfer_group": group, "metadata": {"payout": group}},
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.InvalidRequestError, stripe.PermissionError, stripe.AuthenticationError) as error:
            # A definite "no". A timeout, an outage or a request still in progress (409) is not: the
            # transfer may exist, so the payout stays reserved for the recovery step to look up.
            raise ProviderRefused(f"Stripe refused the transfer: {error.user_message or type(error).__name__}") from None
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe did not confirm the transfer: {error.user_message or type(error).__name__}") from None
        return transfer.id

    def find_transfer(self, group: str) -> str | None:
        """The transfer already made for this payout, if any (the recovery step looks before it retries)."""
        try:
            found = self.client.v1.transfers.list(params={"transfer_group": group, "limit": 1})
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe did not answer about transfers: {error.user_message or type(error).__name__}") from None
        return found.data[0].id if found.data else None

    def create_connected_account(self, *, email: str, user_id: int) -> str:
        try:
            account = self.client.v1.accounts.create(
                params={"type": "express", "email": email, "metadata": {"user_id": str(user_id)},
                        "capabilities": {"transfers": {"requested": True}}},
                options={"idempotency_key": f"vitrine-connect-{user_id}"},
            )
        except stripe.StripeError as error:
            raise ProviderError(_("Stripe could not open the payout account: %(reason)s", reason=error.user_message or _("try again later"))) from None
        return account.id

    def onboarding_link(self, account_reference: str, *, return_url: str, refresh_url: str) -> str:
        try:
            link = self.client.v1.account_links.create(params={
                "account": account_reference, "type": "account_onboarding", "return_url": return_url, "refresh_url": refresh_url,
            })
        except stripe.StripeError as error:
            raise ProviderError(_("Stripe could not start the payout set-up: %(reason)s", reason=error.user_message or _("try again later"))) from None
        return link.url


def _session_event(kind: EventKind) -> Any:
    def translate(provider: StripeProvider, session: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
        effective = kind
        if kind is EventKind.PAYMENT_SUCCEEDED and _get(session, "payment_status") != "paid":
            effective = None  # completed, but an asynchronous method (Pix, boleto) has not paid yet
        currency = _str(_get(session, "currency"))
        return PaymentEvent(
            kind=effective, order_number=_str(_get(session, "metadata", "order_number")) or _str(_get(session, "client_reference_id")),
            payment_reference=_str(_get(session, "id")), provider_payment_id=_str(_get(session, "payment_intent")),
            amount_minor=_int(_get(session, "amount_total")), currency=currency.upper() if currency else None,
            failure_reason="asynchronous payment failed" if kind is EventKind.PAYMENT_FAILED else "", **base,
        )
    return translate


def _payment_intent_failed(provider: StripeProvider, intent: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
    return PaymentEvent(
        kind=EventKind.PAYMENT_FAILED, order_number=_str(_get(intent, "metadata", "order_number")),
        provider_payment_id=_str(_get(intent, "id")),
        failure_reason=_str(_get(intent, "last_payment_error", "code")) or "payment failed", **base,
    )


def _refund_fact(refund: dict[str, Any]) -> RefundFact | None:
    reference, amount = _str(_get(refund, "id")), _int(_get(refund, "amount"))
    if reference is None or amount is None or _get(refund, "status") != "succeeded":
        return None
    return RefundFact(reference, amount, decode_refund_lines(_get(refund, "metadata", "refund_lines")))


def _refund_updated(provider: StripeProvider, refund: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
    fact = _refund_fact(refund)
    currency = _str(_get(refund, "currency"))
    return PaymentEvent(
        kind=EventKind.REFUND_SUCCEEDED if fact else None, provider_payment_id=_str(_get(refund, "payment_intent")),
        currency=currency.upper() if currency else None, refunds=(fact,) if fact else (), **base,
    )


def _charge_refunded(provider: StripeProvider, charge: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
    """A refund made anywhere, the Stripe dashboard included: each of the charge's refunds, by its own id."""
    intent, charge_id = _str(_get(charge, "payment_intent")), _str(_get(charge, "id"))
    if charge_id is None:
        raise MalformedEvent("a charge without an id")
    listed = _get(charge, "refunds", "data")
    failure = ""
    if not isinstance(listed, list):
        # Newer API versions leave the charge's refunds out of the event: ask for them. Each refund
        # also comes as its own refund.created/updated event, so a failure here loses nothing.
        try:
            listed = [r.to_dict(for_json=True) for r in
                      provider.client.v1.refunds.list(params={"charge": charge_id, "limit": 100}).auto_paging_iter()]
        except stripe.StripeError as error:
            listed, failure = [], f"could not list the charge's refunds ({type(error).__name__})"
    facts = tuple(fact for fact in map(_refund_fact, listed) if fact is not None)
    currency = _str(_get(charge, "currency"))
    return PaymentEvent(
        kind=EventKind.REFUND_SUCCEEDED, provider_payment_id=intent, currency=currency.upper() if currency else None,
        refunds=facts, failure_reason=failure, **base,
    )


def _dispute(kind: EventKind) -> Any:
    def translate(provider: StripeProvider, dispute: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
        status = _get(dispute, "status")
        # Only "lost" takes the money; "won" and "warning_closed" (an inquiry that never became a chargeback) do not.
        won = None if kind is EventKind.DISPUTE_OPENED else status != "lost"
        return PaymentEvent(
            kind=kind, provider_payment_id=_str(_get(dispute, "payment_intent")),
            dispute=DisputeFact(_str(_get(dispute, "id")) or "", _int(_get(dispute, "amount")) or 0, won), **base,
        )
    return translate


def _account_updated(provider: StripeProvider, account: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
    return PaymentEvent(
        kind=EventKind.ACCOUNT_UPDATED,
        account=AccountFact(_str(_get(account, "id")) or "", _get(account, "payouts_enabled") is True,
                            _get(account, "details_submitted") is True),
        **base,
    )


def _transfer_reversed(provider: StripeProvider, transfer: dict[str, Any], base: dict[str, Any]) -> PaymentEvent:
    """`amount_minor` is how much of the transfer has been reversed so far (partial reversals add up)."""
    return PaymentEvent(kind=EventKind.TRANSFER_REVERSED, payment_reference=_str(_get(transfer, "id")),
                        amount_minor=_int(_get(transfer, "amount_reversed")), **base)


_TRANSLATIONS = {
    "checkout.session.completed": _session_event(EventKind.PAYMENT_SUCCEEDED),
    "checkout.session.async_payment_succeeded": _session_event(EventKind.PAYMENT_SUCCEEDED),
    "checkout.session.async_payment_failed": _session_event(EventKind.PAYMENT_FAILED),
    "checkout.session.expired": _session_event(EventKind.PAYMENT_EXPIRED),
    "payment_intent.payment_failed": _payment_intent_failed,
    "charge.refunded": _charge_refunded,
    "refund.updated": _refund_updated,
    "refund.created": _refund_updated,
    "charge.dispute.created": _dispute(EventKind.DISPUTE_OPENED),
    "charge.dispute.closed": _dispute(EventKind.DISPUTE_CLOSED),
    "account.updated": _account_updated,
    "transfer.reversed": _transfer_reversed,
}
