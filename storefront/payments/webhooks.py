"""The one webhook pipeline every provider goes through.

Verify the signature on the raw body, translate to a provider-neutral event, store the event
id under a unique constraint (a redelivery is acknowledged and does nothing), then dispatch
through one table of handlers. The caller commits once.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from storefront.extensions import db
from storefront.payments import services
from storefront.payments.models import WebhookEvent
from storefront.payments.providers import EventKind, PaymentEvent, get_provider

log = logging.getLogger(__name__)

HANDLERS: dict[EventKind, Callable[[PaymentEvent], str]] = {
    EventKind.PAYMENT_SUCCEEDED: services.apply_payment_succeeded,
    EventKind.PAYMENT_FAILED: services.apply_payment_failed,
    EventKind.REFUND_SUCCEEDED: services.apply_refund_succeeded,
}


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool
    outcome: str


def process_webhook(provider_name: str, body: bytes, headers: Mapping[str, str]) -> WebhookResult:
    """Raises UnknownProvider, InvalidSignature or MalformedEvent before anything is written."""
    provider = get_provider(provider_name)
    event = provider.parse_event(body, headers)
    record = WebhookEvent(provider=provider.name, event_id=event.event_id, kind=event.provider_type, payload=event.payload)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        log.info("%s event %s seen before; ignored", provider.name, event.event_id)
        return WebhookResult(duplicate=True, outcome="duplicate")
    handler = HANDLERS.get(event.kind) if event.kind else None
    record.outcome = handler(event) if handler else f"ignored: {event.provider_type} is not handled"
    db.session.flush()
    log.info("%s event %s (%s): %s", provider.name, event.event_id, event.provider_type, record.outcome)
    return WebhookResult(duplicate=False, outcome=record.outcome)
