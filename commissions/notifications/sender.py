"""Send the outbox: claim one e-mail (committed), hand it to the transport, record the outcome (committed).

This module commits by design, like the payout runs: a claim must be durable before the
transport is called, so that two senders never send the same e-mail. The claim is a
conditional UPDATE (… WHERE status = 'pending'), which only one sender can win on SQLite and
PostgreSQL alike; on PostgreSQL the candidate is also read with FOR UPDATE SKIP LOCKED so
concurrent senders pass each other instead of queueing.

At most once: an e-mail whose sender died between the claim and the outcome stays `sending`.
It is not retried automatically, because the transport may have delivered it already and a
second copy is worse than a missing one; `flask notifications stuck` lists such e-mails
(claimed longer than the lease ago) and `flask notifications requeue ID` sends one again after
someone has checked.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from commissions.notifications.models import OutboxEmail, OutboxStatus
from commissions.notifications.transports import MailTransport, MailTransportError, build_message
from storefront import clock
from storefront.extensions import db
from storefront.states import StateMachine

log = logging.getLogger(__name__)
Outbox = OutboxStatus

#: After this many failed attempts an e-mail is failed for good.
MAX_ATTEMPTS = 5
#: A claim older than this, still `sending`, means its sender died: listed as stuck.
LEASE = timedelta(minutes=15)

OUTBOX_STATES: StateMachine[OutboxStatus] = StateMachine(
    "outbox e-mail",
    {
        Outbox.PENDING: frozenset({Outbox.SENDING}),
        # Sent; or failed and back to pending for another attempt (or failed for good); or requeued by hand when stuck.
        Outbox.SENDING: frozenset({Outbox.SENT, Outbox.PENDING, Outbox.FAILED}),
        Outbox.SENT: frozenset(),
        # Requeued by hand.
        Outbox.FAILED: frozenset({Outbox.PENDING}),
    },
)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the n-th failed attempt: 1, 4, 16, 64 minutes."""
    return timedelta(minutes=4 ** (attempts - 1))


def _move(outbox_id: int, current: OutboxStatus, target: OutboxStatus, **values: Any) -> bool:
    """The one place an outbox status changes: a conditional UPDATE that only one caller can win. False when lost."""
    OUTBOX_STATES.check(current, target)
    result = db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == outbox_id, OutboxEmail.status == current)
        .values(status=target, **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    db.session.get(OutboxEmail, outbox_id, populate_existing=True)  # a copy already loaded shows the move
    return True


def claim(outbox_id: int) -> bool:
    """pending → sending, for this sender only; flushes (the caller commits before sending)."""
    return _move(outbox_id, Outbox.PENDING, Outbox.SENDING, claimed_at=clock.now())


def claim_next() -> OutboxEmail | None:
    """The oldest due pending e-mail, claimed and committed; None when there is none."""
    while True:
        candidate = db.session.scalar(
            select(OutboxEmail.id).where(OutboxEmail.status == Outbox.PENDING, OutboxEmail.next_attempt_at <= clock.now())
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id).limit(1).with_for_update(skip_locked=True)
        )
        if candidate is None:
            db.session.commit()
            return None
        if claim(candidate):
            db.session.commit()
            return db.session.get(OutboxEmail, candidate)
        db.session.rollback()  # another sender won it: look again


def deliver(email: OutboxEmail, transport: MailTransport, *, sender: str) -> OutboxStatus:
    """Send one claimed e-mail and record the outcome (committed); returns its status now.

    A transport failure puts it back to pending with the error and a back-off, or fails it for
    good after MAX_ATTEMPTS; any other error propagates and leaves it `sending` (stuck).
    """
    attempts = email.attempts + 1
    message = build_message(sender=sender, recipient=email.recipient, subject=email.subject, text_body=email.text_body,
                            dedupe_key=email.dedupe_key)
    try:
        transport.send(message)
    except MailTransportError as error:
        now = clock.now()
        if attempts >= MAX_ATTEMPTS:
            _move(email.id, Outbox.SENDING, Outbox.FAILED, attempts=attempts, last_error=str(error)[:500])
            log.error("e-mail %s failed for good after %s attempts: %s", email.id, attempts, error)
            outcome = Outbox.FAILED
        else:
            _move(email.id, Outbox.SENDING, Outbox.PENDING, attempts=attempts, last_error=str(error)[:500], claimed_at=None,
                  next_attempt_at=now + retry_delay(attempts))
            log.warning("e-mail %s not sent (attempt %s), will retry: %s", email.id, attempts, error)
            outcome = Outbox.PENDING
        db.session.commit()
        return outcome
    _move(email.id, Outbox.SENDING, Outbox.SENT, attempts=attempts, sent_at=clock.now(), last_error="")
    db.session.commit()
    log.info("e-mail %s sent to user %s", email.id, email.user_id)
    return Outbox.SENT


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    #: Back to pending for a later attempt.
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def send_due(transport: MailTransport, *, sender: str, limit: int = 100) -> SendReport:
    """Claim and send due e-mails one at a time, up to `limit` (each is tried at most once per call)."""
    report = SendReport()
    for _ in range(limit):
        email = claim_next()
        if email is None:
            break
        outcome = deliver(email, transport, sender=sender)
        {Outbox.SENT: report.sent, Outbox.PENDING: report.retrying, Outbox.FAILED: report.failed}[outcome].append(email.id)
    return report


def stuck_emails(*, claimed_before: datetime | None = None) -> list[OutboxEmail]:
    """E-mails claimed longer than the lease ago and still `sending`: their sender died; maybe sent, maybe not."""
    cutoff = claimed_before or clock.now() - LEASE
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.status == Outbox.SENDING, OutboxEmail.claimed_at < cutoff).order_by(OutboxEmail.id)
    ))


class RequeueError(Exception):
    """An e-mail that cannot be sent again; the message is safe to show."""


def requeue(outbox_id: int) -> OutboxEmail:
    """A stuck or failed e-mail goes back to pending, attempts reset (flushes). Only after checking it did not arrive."""
    email = db.session.get(OutboxEmail, outbox_id)
    if email is None:
        raise RequeueError(f"There is no e-mail {outbox_id} in the outbox.")
    stuck = email.status_enum is Outbox.SENDING and email.claimed_at is not None and email.claimed_at < clock.now() - LEASE
    if not (stuck or email.status_enum is Outbox.FAILED):
        raise RequeueError(f"E-mail {outbox_id} is {email.status}; only a failed one, or one stuck sending, can be requeued.")
    if not _move(email.id, email.status_enum, Outbox.PENDING, attempts=0, claimed_at=None, next_attempt_at=clock.now()):
        raise RequeueError(f"E-mail {outbox_id} changed meanwhile; look again.")
    log.info("e-mail %s requeued by hand", outbox_id)
    return email
