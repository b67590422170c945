"""The one webhook pipeline every provider goes through.

Verify the signature on the raw body, translate to a provider-neutral event, store the event
id under a unique constraint (a redelivery is acknowledged and does nothing), then dispatch
through one table of handlers, at once or later from the queue (`storefront/payments/queue.py`).
An event that arrives before the fact it depends on (a refund before its payment) waits and is
applied when that fact arrives, so any arrival order ends in the same state. The caller commits
once.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import Select, Update, bindparam, exists, select, update
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from storefront import clock
from storefront.extensions import db
from storefront.inserts import insert_once_returning_id
from storefront.payments import services
from storefront.payments.models import Payment, PaymentStatus, WebhookEvent
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

#: The kinds whose handlers may raise WaitFor, having perhaps written something first: they run in a savepoint,
#: rolled back when they wait. Any other error fails the whole delivery (the caller rolls back and the provider
#: retries), so the other handlers need no savepoint: two round trips fewer per payment.
MAY_WAIT = frozenset({EventKind.REFUND_SUCCEEDED, EventKind.DISPUTE_OPENED, EventKind.DISPUTE_CLOSED})

#: Outcomes an operator must see. A deferred event is one until the fact it waits for arrives.
ATTENTION_PREFIXES = ("needs refund", "needs review", "deferred")


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool
    outcome: str


def process_webhook(provider_name: str, body: bytes, headers: Mapping[str, str], *, queue: bool = False) -> WebhookResult:
    """Raises UnknownProvider, InvalidSignature or MalformedEvent before anything is written.

    With `queue`, the event is only recorded, for `storefront.payments.queue.apply_queued` to apply later.
    """
    provider = get_provider(provider_name)
    event = provider.parse_event(body, headers)
    if queue:
        if record_event(provider, event) is None:
            return _duplicate(provider, event)
        return WebhookResult(duplicate=False, outcome="queued")
    return process_event(provider, event)


def process_event(provider: PaymentProvider, event: PaymentEvent) -> WebhookResult:
    """Record a trusted event once and apply it (also used by `flask payments sync` for events fetched from the provider)."""
    record_id = record_event(provider, event)
    if record_id is None:
        return _duplicate(provider, event)
    return WebhookResult(duplicate=False, outcome=apply_recorded(provider, record_id, event))


def record_event(provider: PaymentProvider, event: PaymentEvent) -> int | None:
    """The id of the event's new record, not yet applied (None when it was recorded before: a redelivery)."""
    # Core, not the ORM: the new event's row is written here and updated once when applied, never read back as an object.
    return db.session.scalar(
        insert_once_returning_id(WebhookEvent.__table__, "provider", "event_id"),
        {"provider": provider.name, "event_id": event.event_id, "kind": event.provider_type[:64], "payload": event.payload,
         "applied_at": None, "order_number": _order_it_may_pay(event)},
    )


def _order_it_may_pay(event: PaymentEvent) -> str | None:
    if event.kind is not EventKind.PAYMENT_SUCCEEDED or not event.order_number:
        return None
    return event.order_number[:20]


def _duplicate(provider: PaymentProvider, event: PaymentEvent) -> WebhookResult:
    log.info("%s event %s seen before; ignored", provider.name, event.event_id)
    return WebhookResult(duplicate=True, outcome="duplicate")


def apply_recorded(provider: PaymentProvider, record_id: int, event: PaymentEvent) -> str:
    """Apply the recorded event's handler, keep what came of it on its record and return that; then apply the events
    that waited for it."""
    outcome, waiting_for = _apply(event)
    db.session.flush()  # as for an event applied later (`_dispatch`): the handler's changes reach the database now
    params = {
        "record_id": record_id, "outcome": outcome, "waiting_for": waiting_for,
        "needs_attention": outcome.startswith(ATTENTION_PREFIXES), "applied_at": clock.now(), "retry_at": None,
    }
    # A payment that succeeded now may be what earlier events wait for: the same statement asks (a round trip fewer).
    keys = [key for key in (event.payment_reference, event.provider_payment_id) if key]
    if waiting_for or event.kind is not EventKind.PAYMENT_SUCCEEDED or not keys:
        db.session.execute(_update_outcome(), params)
        keys = []
    elif not db.session.scalar(_update_outcome_asking_waiting(), {**params, "waiting_provider": provider.name, "waiting_keys": keys}):
        keys = []  # none waits (almost always)
    log.info("%s event %s (%s): %s", event.provider, event.event_id, event.provider_type, outcome)
    _apply_waiting(provider, keys)
    return outcome


@functools.cache
def _update_outcome() -> Update:
    """What came of the event with id `record_id`: its `outcome`, `waiting_for` and `needs_attention` (built once)."""
    events = WebhookEvent.__table__
    return update(events).where(events.c.id == bindparam("record_id"))


@functools.cache
def _update_outcome_asking_waiting() -> Update:
    """`_update_outcome`, returning whether any of the `waiting_provider`'s events waits for one of `waiting_keys`
    (built once; parameters named apart from the columns, which an UPDATE without values sets from its parameters)."""
    waiting = WebhookEvent.__table__.alias("waiting")
    return _update_outcome().returning(exists().where(
        waiting.c.provider == bindparam("waiting_provider"), waiting.c.waiting_for.in_(bindparam("waiting_keys", expanding=True)),
    ))


def _apply(event: PaymentEvent) -> tuple[str, str | None]:
    """What the event's handler made of it (at most 255 characters), and the key it waits for (None when it does not wait)."""
    handler = HANDLERS.get(event.kind) if event.kind else None
    if handler is None:
        return f"ignored: {event.provider_type} is not handled"[:255], None
    try:
        if event.kind not in MAY_WAIT:
            return handler(event)[:255], None
        with db.session.begin_nested():
            return handler(event)[:255], None
    except services.WaitFor as waiting:
        return f"deferred: {waiting}"[:255], waiting.key[:255]


def _dispatch(record: WebhookEvent, event: PaymentEvent) -> None:
    """Apply an event recorded earlier (one that waited) and keep what came of it on its record."""
    record.outcome, record.waiting_for = _apply(event)
    record.needs_attention = record.outcome.startswith(ATTENTION_PREFIXES)
    db.session.flush()
    log.info("%s event %s (%s): %s", event.provider, event.event_id, event.provider_type, record.outcome)


def _apply_waiting(provider: PaymentProvider, keys: list[str | None]) -> None:
    """Events that waited for this payment (known by one of `keys`), applied now in the order they arrived."""
    wanted = [key for key in keys if key]
    if not wanted:
        return
    # Almost always none: asked in Core, and only the events found are loaded as objects.
    waiting_ids = db.session.scalars(_waiting_for_keys(), {"provider": provider.name, "keys": wanted}).all()
    if not waiting_ids:
        return
    waiting = db.session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(waiting_ids)).order_by(WebhookEvent.id)).all()
    for record in waiting:
        _dispatch_alone(provider, record)


def _dispatch_alone(provider: PaymentProvider, record: WebhookEvent) -> None:
    """`_dispatch` in a savepoint: an event whose handler fails is rolled back alone and waits on, and what the caller
    applies (the payment it waited for, the other waiting events) is not held back. A database that failed is not one
    event's failure: that is raised."""
    try:
        with db.session.begin_nested():
            _dispatch(record, provider.translate(record.payload))
    except Exception as error:
        lost = isinstance(error, PendingRollbackError) or (isinstance(error, DBAPIError) and error.connection_invalidated)
        if lost or not db.session.is_active:
            raise
        log.exception("%s event %s waited for a payment and failed; it still waits", provider.name, record.event_id)
        # Still waiting, but an operator must look: its payment is here and it did not apply.
        record.outcome = f"needs review: failed once its payment arrived: {type(error).__name__}: {error}"[:255]
        record.needs_attention = True


@functools.cache
def _waiting_for_keys() -> Select[tuple[int]]:
    """The ids of the `provider`'s events waiting for one of `keys` (built once: it runs on every payment)."""
    events = WebhookEvent.__table__
    return select(events.c.id).where(
        events.c.provider == bindparam("provider"), events.c.waiting_for.in_(bindparam("keys", expanding=True)),
    )


def ready_waiting_event_ids() -> list[int]:
    """The events still waiting for a payment that has succeeded since (two deliveries side by side can miss each
    other), oldest first."""
    succeeded = select(Payment.reference, Payment.provider_payment_id).where(Payment.status == PaymentStatus.SUCCEEDED).subquery()
    return list(db.session.scalars(
        select(WebhookEvent.id)
        .where(WebhookEvent.waiting_for.is_not(None),
               WebhookEvent.waiting_for.in_(select(succeeded.c.reference)) | WebhookEvent.waiting_for.in_(
                   select(succeeded.c.provider_payment_id).where(succeeded.c.provider_payment_id.is_not(None))))
        .order_by(WebhookEvent.id)
    ))


def retry_waiting_event(record_id: int) -> bool:
    """Apply again one event that waited (locked, and read again under the lock); True when it could be applied now.

    Raises UnknownProvider when its provider is no longer configured."""
    record = db.session.get(WebhookEvent, record_id, with_for_update=True, populate_existing=True)
    if record is None or record.waiting_for is None:
        return False
    _dispatch(record, get_provider(record.provider).translate(record.payload))
    return record.waiting_for is None


def retry_waiting(provider: PaymentProvider) -> int:
    """Apply again every event still waiting (run by `flask payments sync`): one whose payment arrived meanwhile applies."""
    waiting = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.provider == provider.name, WebhookEvent.waiting_for.is_not(None)).order_by(WebhookEvent.id)
    ).all()
    applied = 0
    for record in waiting:
        _dispatch_alone(provider, record)
        applied += record.waiting_for is None
    return applied
