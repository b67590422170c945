"""Payment events queued on arrival (`WEBHOOK_QUEUE`) and applied by workers (`flask payments work`).

The webhook then answers the provider as soon as the signed event is stored, and a burst of events
(a sale, the provider's retries after an outage) waits in the table rather than in the provider's
timeouts. A worker takes the oldest due event — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers share the queue without applying an event twice — and applies it through the same handlers
as an event applied on arrival, in a transaction of its own. An event whose handler fails (not one
that waits for another fact: that is an outcome) is rolled back and tried again later, further
apart each time, and flagged for operators after a few failures; the next event is applied.

An event's life: queued (`applied_at` unset) → failing (`attempts` > 0, due again at `retry_at`)
→ flagged (`needs_attention`, from the `ATTENTION_AFTER_FAILURES`th failure) → applied
(`applied_at` set, `outcome` says what came of it).
"""
from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Update, bindparam, exists, func, or_, select, update
from sqlalchemy.exc import DBAPIError

from storefront import clock
from storefront.audit.services import record_audit
from storefront.extensions import db, reading_only
from storefront.orders.models import Order
from storefront.payments.models import WebhookEvent
from storefront.payments.providers import get_provider
from storefront.payments.webhooks import apply_recorded, ready_waiting_event_ids, retry_waiting_event

log = logging.getLogger(__name__)

#: Seconds before a failed event is tried again, after its first, second… failure (the last one repeats).
RETRY_DELAYS_SECONDS = (5, 30, 120, 600, 3600)
#: Failures after which operators are asked to look at the event (it is still tried again).
ATTENTION_AFTER_FAILURES = 3
#: The longest wait between two tries of a database that fails.
DATABASE_BACKOFF_MAX_SECONDS = 30.0


class StopFlag:
    """Set from a signal handler: a plain attribute, since a lock (`threading.Event`) taken by the handler while the
    interrupted code holds it would never be released."""

    def __init__(self) -> None:
        self.stopped = False

    def set(self) -> None:
        self.stopped = True

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less once set."""
        deadline = time.monotonic() + seconds
        while not self.stopped and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))


@dataclass(frozen=True)
class BatchResult:
    applied: int
    failed: int

    @property
    def taken(self) -> int:
        return self.applied + self.failed


def apply_queued(limit: int, stop: StopFlag | None = None) -> BatchResult:
    """Apply up to `limit` queued events that are due, oldest first, each in a transaction of its own, committed here;
    stop early once `stop` is set (after the event in hand).

    One transaction per event, not per batch: a batch's transaction would hold the locks of every curator and rollup
    row it touched until its end, and workers side by side would deadlock on them (two did within seconds).
    Raises DBAPIError when the database itself fails (a lost connection is not the event's fault).
    """
    applied = failed = 0
    for _ in range(limit):
        if stop is not None and stop.stopped:
            break
        # A worker's session lives for hours: what it loaded for the last event may have changed since.
        db.session.expire_all()
        row = db.session.execute(_next_due_event(), {"now": clock.now()}).first()
        if row is None:
            db.session.rollback()
            break
        try:
            provider = get_provider(row.provider)
            apply_recorded(provider, row.id, provider.translate(row.payload))
            db.session.commit()
        except DBAPIError as error:
            db.session.rollback()
            if error.connection_invalidated:
                raise
            _fail(row, error)
            failed += 1
        except Exception as error:  # one event's failure (its handler's, or its provider switched off) stops no other
            db.session.rollback()
            _fail(row, error)
            failed += 1
        else:
            applied += 1
    return BatchResult(applied=applied, failed=failed)


def any_due() -> bool:
    """Whether an event is due, asked without a transaction (on SQLite, without taking the write lock)."""
    with reading_only(), db.engine.connect() as connection:
        return connection.execute(_next_due_event_id(), {"now": clock.now()}).first() is not None


def retry_all_waiting() -> int:
    """Apply again the events still waiting for a payment that has succeeded since (two workers applying them side by
    side can miss each other), each in a transaction of its own; returns how many could be applied now."""
    applied = 0
    for record_id in ready_waiting_event_ids():
        db.session.expire_all()
        try:
            applied += retry_waiting_event(record_id)
            db.session.commit()
        except DBAPIError as error:
            db.session.rollback()
            if error.connection_invalidated:
                raise
            log.exception("waiting payment event %s not retried", record_id)
        except Exception:  # one waiting event's failure stops no other
            db.session.rollback()
            log.exception("waiting payment event %s not retried", record_id)
    db.session.rollback()
    return applied


def work(batch: int, idle_seconds: float, stop: StopFlag, report: Callable[[BatchResult], None], *,
         until_empty: bool = False, retry_waiting_seconds: float = 60.0) -> int:
    """Apply queued events batch after batch until `stop` is set (or, `until_empty`, until none is due); look again
    every `idle_seconds` while none is due (without a transaction), and retry waiting events every
    `retry_waiting_seconds`. A database that fails is tried again, further apart each time up to
    `DATABASE_BACKOFF_MAX_SECONDS`. Returns how many events were applied."""
    applied = 0
    last_retry = time.monotonic()
    backoff = idle_seconds
    idle = False
    while not stop.stopped:
        try:
            result = BatchResult(applied=0, failed=0) if idle and not any_due() else apply_queued(batch, stop)
            if time.monotonic() - last_retry >= retry_waiting_seconds:
                last_retry = time.monotonic()
                retry_all_waiting()
        except DBAPIError as error:
            db.session.rollback()
            if until_empty:
                raise
            log.warning("payment events not applied, trying again in %.1f s: %s", backoff, error)
            stop.wait(backoff)
            backoff = min(backoff * 2, DATABASE_BACKOFF_MAX_SECONDS)
            continue
        backoff = idle_seconds
        applied += result.applied
        if result.taken:
            report(result)
        idle = result.taken < batch
        if not idle:
            continue  # more may be due
        if until_empty:
            break
        stop.wait(idle_seconds)
    return applied


class NotQueued(ValueError):
    """The event to discard is not waiting in the queue (unknown, or applied already)."""


def discard_queued(provider: str, event_id: str, *, reason: str) -> WebhookEvent:
    """Stop trying a queued event that keeps failing, once an operator has dealt by hand with what it says (the order
    refunded or paid in the dashboard, say): it counts as done, with the reason, in the audit log. The caller commits."""
    record = db.session.scalar(
        select(WebhookEvent).where(WebhookEvent.provider == provider, WebhookEvent.event_id == event_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if record is None or record.applied_at is not None:
        raise NotQueued(f"no queued event {event_id} of provider {provider}" if record is None else
                        f"event {event_id} was applied already ({record.outcome})")
    record.applied_at, record.retry_at, record.needs_attention = clock.now(), None, False
    record.outcome = f"discarded: {reason}"[:255]
    record_audit(actor_user_id=None, action="payment_event.discard", subject_type="webhook_event", subject_id=record.id,
                 reason=reason)
    return record


@dataclass(frozen=True)
class QueueState:
    queued: int
    #: Of those, the ones that failed at least once, and the ones flagged for operators (failed again and again).
    failing: int
    flagged: int
    oldest_received_at: datetime | None


def queue_state() -> QueueState:
    """How many events wait to be applied, how many of them failed before, and since when the oldest waits."""
    events = WebhookEvent.__table__
    count, failing, flagged, oldest = db.session.execute(
        select(func.count(), func.count().filter(events.c.attempts > 0), func.count().filter(events.c.needs_attention),
               func.min(events.c.received_at))
        .where(events.c.applied_at.is_(None))
    ).one()
    return QueueState(queued=count, failing=failing, flagged=flagged, oldest_received_at=oldest)


def payment_queued_for_order() -> ColumnElement[bool]:
    """A payment success naming the order waits in the queue: the order must not expire meanwhile (it would be paid
    after its expiry, and refunded). Correlated to `orders` by the query that uses it."""
    events = WebhookEvent.__table__
    return exists().where(events.c.order_number == Order.number, events.c.applied_at.is_(None))


def retry_delay(failures: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS_SECONDS[min(failures, len(RETRY_DELAYS_SECONDS)) - 1])


def _fail(row: Any, error: BaseException) -> None:
    """Count the failure of the event `row` (a row of `_next_due_event`, rolled back already) and try it again later."""
    failures = row.attempts + 1
    log.exception("%s event %s failed (attempt %d)", row.provider, row.event_id, failures, exc_info=error)
    db.session.execute(_postpone_statement(), {
        "record_id": row.id, "seen_attempts": row.attempts,
        "attempts": failures, "retry_at": clock.now() + retry_delay(failures),
        "outcome": f"failed (attempt {failures}): {type(error).__name__}: {error}"[:255],
        "needs_attention": failures >= ATTENTION_AFTER_FAILURES,
    })
    db.session.commit()


@functools.cache
def _postpone_statement() -> Update:
    """The rollback let go of the event's lock: another worker may have applied it, or failed on it and counted that,
    since. Either way this changes nothing."""
    events = WebhookEvent.__table__
    return update(events).where(
        events.c.id == bindparam("record_id"), events.c.applied_at.is_(None), events.c.attempts == bindparam("seen_attempts"),
    )


def _due() -> tuple[object, ...]:
    events = WebhookEvent.__table__
    return (events.c.applied_at.is_(None), or_(events.c.retry_at.is_(None), events.c.retry_at <= bindparam("now")))


@functools.cache
def _next_due_event() -> Select[tuple[int, str, str, int, dict[str, object]]]:
    """The oldest queued event that is due and that no other worker holds, locked until its transaction ends (built once)."""
    events = WebhookEvent.__table__
    return (
        select(events.c.id, events.c.provider, events.c.event_id, events.c.attempts, events.c.payload)
        .where(*_due())
        .order_by(events.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


@functools.cache
def _next_due_event_id() -> Select[tuple[int]]:
    events = WebhookEvent.__table__
    return select(events.c.id).where(*_due()).limit(1)
