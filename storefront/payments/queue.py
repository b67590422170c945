"""Payment events queued on arrival (`WEBHOOK_QUEUE`) and applied by workers (`flask payments work`).

The webhook then answers the provider as soon as the signed event is stored, and a burst of events
(a sale, the provider's retries after an outage) waits in the table rather than in the provider's
timeouts. A worker takes the oldest due event — `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
workers share the queue without applying an event twice — and applies it through the same handlers
as an event applied on arrival, in a transaction of its own. An event whose handler fails (not one
that waits for another fact: that is an outcome) is rolled back and tried again later, further
apart each time, and flagged for operators after a few failures; the next event is applied.
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, Update, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError

from storefront import clock
from storefront.extensions import db
from storefront.payments.models import WebhookEvent
from storefront.payments.providers import UnknownProvider, get_provider
from storefront.payments.webhooks import apply_recorded, retry_waiting

log = logging.getLogger(__name__)

#: Seconds before a failed event is tried again, after its first, second… failure (the last one repeats).
RETRY_DELAYS_SECONDS = (5, 30, 120, 600, 3600)
#: Failures after which operators are asked to look at the event (it is still tried again).
ATTENTION_AFTER_FAILURES = 3


@dataclass(frozen=True)
class BatchResult:
    applied: int
    failed: int

    @property
    def taken(self) -> int:
        return self.applied + self.failed


def apply_queued(limit: int) -> BatchResult:
    """Apply up to `limit` queued events that are due, oldest first, each in a transaction of its own, committed here.

    One transaction per event, not per batch: a batch's transaction would hold the locks of every curator and rollup
    row it touched until its end, and workers side by side would deadlock on them.
    """
    applied = failed = 0
    for _ in range(limit):
        row = db.session.execute(_next_due_event(), {"now": clock.now()}).first()
        if row is None:
            db.session.rollback()
            break
        try:
            provider = get_provider(row.provider)
            apply_recorded(provider, row.id, provider.translate(row.payload))
            db.session.commit()
        except Exception as error:  # one event's failure (its handler's, or its provider switched off) stops no other
            db.session.rollback()
            log.exception("%s event %s failed (attempt %d)", row.provider, row.event_id, row.attempts + 1)
            _postpone(row.id, row.attempts + 1, error)
            db.session.commit()
            failed += 1
        else:
            applied += 1
    return BatchResult(applied=applied, failed=failed)


def retry_all_waiting() -> int:
    """Apply again, for each provider, the events waiting for another fact (one that two workers applied side by side
    may have missed its payment); returns how many could be applied now."""
    providers = db.session.scalars(
        select(WebhookEvent.provider).where(WebhookEvent.waiting_for.is_not(None)).distinct()).all()
    applied = 0
    for name in providers:
        try:
            applied += retry_waiting(get_provider(name))
        except UnknownProvider:
            log.warning("events of provider %s wait, but it is not configured", name)
    return applied


def work(batch: int, idle_seconds: float, stop: threading.Event, report: Callable[[BatchResult], None], *,
         until_empty: bool = False, retry_waiting_seconds: float = 60.0) -> int:
    """Apply queued events batch after batch until `stop` is set (or, `until_empty`, until none
    is due); look again every `idle_seconds` while none is due, and retry waiting events every `retry_waiting_seconds`
    then. A database that fails is tried again after `idle_seconds`. Returns how many events were applied."""
    applied = 0
    last_retry = time.monotonic()
    while not stop.is_set():
        try:
            result = apply_queued(batch)
        except DBAPIError as error:
            db.session.rollback()
            if until_empty:
                raise
            log.warning("payment events not applied, trying again in %.1f s: %s", idle_seconds, error)
            stop.wait(idle_seconds)
            continue
        applied += result.applied
        if result.taken:
            report(result)
        if result.taken == batch:
            continue  # more may be due
        if until_empty:
            break
        if time.monotonic() - last_retry >= retry_waiting_seconds:
            last_retry = time.monotonic()
            try:
                retry_all_waiting()
                db.session.commit()
            except DBAPIError as error:
                db.session.rollback()
                log.warning("waiting payment events not retried: %s", error)
        stop.wait(idle_seconds)
    return applied


@dataclass(frozen=True)
class QueueState:
    queued: int
    failing: int
    oldest_received_at: datetime | None


def queue_state() -> QueueState:
    """How many events wait to be applied, how many of them failed before, and since when the oldest waits."""
    events = WebhookEvent.__table__
    count, failing, oldest = db.session.execute(
        select(func.count(), func.count().filter(events.c.attempts > 0), func.min(events.c.received_at))
        .where(events.c.applied_at.is_(None))
    ).one()
    return QueueState(queued=count, failing=failing, oldest_received_at=oldest)


def retry_delay(failures: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS_SECONDS[min(failures, len(RETRY_DELAYS_SECONDS)) - 1])


def _postpone(record_id: int, failures: int, error: BaseException) -> None:
    """Try the event again later (its failed transaction was rolled back; only a worker's next look may take it)."""
    db.session.execute(_postpone_statement(), {
        "record_id": record_id, "attempts": failures, "retry_at": clock.now() + retry_delay(failures),
        "outcome": f"failed (attempt {failures}): {type(error).__name__}: {error}"[:255],
        "needs_attention": failures >= ATTENTION_AFTER_FAILURES,
    })


@functools.cache
def _postpone_statement() -> Update:
    events = WebhookEvent.__table__
    return update(events).where(events.c.id == bindparam("record_id"), events.c.applied_at.is_(None))


@functools.cache
def _next_due_event() -> Select[tuple[int, str, str, int, dict[str, object]]]:
    """The oldest queued event that is due and that no other worker holds, locked until its transaction ends (built once)."""
    events = WebhookEvent.__table__
    return (
        select(events.c.id, events.c.provider, events.c.event_id, events.c.attempts, events.c.payload)
        .where(events.c.applied_at.is_(None), or_(events.c.retry_at.is_(None), events.c.retry_at <= bindparam("now")))
        .order_by(events.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
