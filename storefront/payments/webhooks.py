"""The one webhook pipeline every provider goes through.

Verify the signature on the raw body, translate to a provider-neutral event, store the event
id under a unique constraint (a redelivery is acknowledged and does nothing), then dispatch
through one table of handlers. An event that arrives before the fact it depends on (a refund
before its payment) waits and is applied when that fact arrives, so any arrival order ends in
the same state. The caller commits once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select

from storefront.extensions import db
from storefront.inserts import insert_once
from storefront.payments import services
from storefront.payments.models import WebhookEvent
from storefront.payments.providers import EventKind, PaymentEvent, PaymentProvider, get_provider

log = logging.getLogger(__name__)

HANDLERS: dict[EventKind, Callable[[PaymentEvent], str]] = {
    EventKind.PAYMENT_SUCCEEDED: services.apply_payment_succeeded,
    EventKind.PAYMENT_FAILED: services.apply_payment_failed,
    EventKind.PAYMENT_EXPIRED: services.apply_payment_expired,
    EventKind.REFUND_SUCCEEDED: services.apply_refund_succeeded,
    EventKind.DISPUTE_OPENED: services.apply_dispute,
    EventKind.DISPUTE_CLOSED: services.apply_dispute,
    EventKind.ACCOUNT_UPDATED: services.apply_account_updated,
    EventKind.TRANSFER_REVERSED: services.apply_transfer_reversed,
}

#: Outcomes an operator must see. A deferred event is one until the fact it waits for arrives.
ATTENTION_PREFIXES = ("needs refund", "needs review", "deferred")


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool
    outcome: str


def process_webhook(provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    """Raises UnknownProvider, InvalidSignature or MalformedEvent before anything is written."""
    provider = get_provider(provider_name)
    return process_event(provider, provider.parse_event(body, headers))


def process_event(provider: PaymentProvider, event: PaymentEvent) -> WebhookResult:
    """Record a trusted event once and apply it (also used by `flask payments sync` for events fetched from the provider)."""
    record = db.session.scalar(
        insert_once(WebhookEvent, "provider", "event_id")
        .values(provider=provider.name, event_id=event.event_id, kind=event.provider_type[:64], payload=event.payload)
        .returning(WebhookEvent)
    )
    if record is None:
        log.info("%s event %s seen before; ignored", provider.name, event.event_id)
        return WebhookResult(duplicate=True, outcome="duplicate")
    _dispatch(record, event)
    if not record.waiting_for and event.kind is EventKind.PAYMENT_SUCCEEDED:
        _apply_waiting(provider, [event.payment_reference, event.provider_payment_id])
    return WebhookResult(duplicate=False, outcome=record.outcome)


def _dispatch(record: WebhookEvent, event: PaymentEvent) -> None:
    handler = HANDLERS.get(event.kind) if event.kind else None
    if handler is None:
        outcome = f"ignored: {event.provider_type} is not handled"
    else:
        try:
            with db.session.begin_nested():
                outcome = handler(event)
        except services.WaitFor as waiting:
            record.waiting_for = waiting.key[:255]
            outcome = f"deferred: {waiting}"
        else:
            record.waiting_for = None
    record.outcome = outcome[:255]
    record.needs_attention = outcome.startswith(ATTENTION_PREFIXES)
    db.session.flush()
    log.info("%s event %s (%s): %s", event.provider, event.event_id, event.provider_type, record.outcome)


def _apply_waiting(provider: PaymentProvider, keys: list[str | None]) -> None:
    """Events that waited for this payment, applied now in the order they arrived."""
    wanted = [key for key in keys if key]
    if not wanted:
        return
    waiting = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.provider == provider.name, WebhookEvent.waiting_for.in_(wanted)).order_by(WebhookEvent.id)
    ).all()
    for record in waiting:
        _dispatch(record, provider.translate(record.payload))


def retry_waiting(provider: PaymentProvider) -> int:
    """Apply again every event still waiting (run by `flask payments sync`): one whose payment arrived meanwhile applies."""
    waiting = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.provider == provider.name, WebhookEvent.waiting_for.is_not(None)).order_by(WebhookEvent.id)
    ).all()
    applied = 0
    for record in waiting:
        _dispatch(record, provider.translate(record.payload))
        applied += record.waiting_for is None
    return applied
