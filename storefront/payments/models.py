"""Payment attempts, refunds and the provider events that moved them (append-only, keyed by provider ids)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storefront import clock
from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class PaymentStatus(StrEnum):
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("provider", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    #: The provider's id of this attempt (a Stripe Checkout Session id, a test-provider token).
    reference: Mapped[str] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.STARTED)
    failure_reason: Mapped[str] = mapped_column(String(255), default="")
    #: When the provider confirmed it.
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The provider's own id of the money movement (a Stripe PaymentIntent), learnt when it succeeds.
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    #: True for the one payment that moved its order to paid; any other success is a charge to refund.
    paid_the_order: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("provider", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    #: The provider's refund id: a refund event seen twice is recorded once.
    reference: Mapped[str] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class RefundLine(Base):
    """Which part of a refund gave back which order line (no line: shipping). Written once with the refund."""

    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class WebhookEvent(Base):
    """Every verified provider event, once: the unique key makes a redelivery a no-op.

    Applied as it arrives, or, with `WEBHOOK_QUEUE`, queued (`applied_at` unset) for `flask payments work`.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        # The queue: only the events not yet applied, which the worker reads oldest first.
        Index("ix_webhook_events_queued", "id", postgresql_where=text("applied_at IS NULL"),
              sqlite_where=text("applied_at IS NULL")),
        # The orders a queued payment may pay: they do not expire meanwhile.
        Index("ix_webhook_events_queued_order_number", "order_number", postgresql_where=text("applied_at IS NULL"),
              sqlite_where=text("applied_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64))
    #: What our handler made of it: "applied", "ignored: <why>", "needs review: <why>", "deferred: <why>".
    outcome: Mapped[str] = mapped_column(String(255), default="")
    #: Set while the event waits for another fact (a refund before its payment); applied when that arrives.
    waiting_for: Mapped[str | None] = mapped_column(String(255), index=True)
    #: Operators must look at it (amount mismatch, a second charge, a dispute, a refund we cannot place).
    needs_attention: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    #: When its handler's changes were written; unset while it is queued. The default is for a release's older code,
    #: which applies every event as it stores it: its events must not be queued (applied twice) by the newer workers.
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, server_default=text("CURRENT_TIMESTAMP"))
    #: Queued applications that failed (an error, not a wait); the next one is not tried before `retry_at`.
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The order a payment success names (other events: None), so that the order does not expire while it is queued.
    order_number: Mapped[str | None] = mapped_column(String(20))


class ConnectedAccount(Base):
    """A curator's account at the payment provider, to receive payouts (Stripe Connect Express)."""

    __tablename__ = "connected_accounts"
    __table_args__ = (UniqueConstraint("provider", "reference"), UniqueConstraint("user_id", "provider"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    provider: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(255))
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class TestProviderEvent(Base):
    """The test provider's own record of every event it sent, as a real provider keeps one on its side.

    `flask payments sync` and reconciliation read it, so a webhook that never arrived is found.
    """

    __tablename__ = "test_provider_events"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
