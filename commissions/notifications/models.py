"""Notification tables: in-app notices, the e-mail outbox, and each curator's per-kind preferences."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront import clock
from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class NotificationKind(StrEnum):
    SALE_PAID = "sale_paid"
    COMMISSION_AVAILABLE = "commission_available"
    COMMISSION_REVERSED = "commission_reversed"
    PAYOUT_SENT = "payout_sent"

    @property
    def label(self) -> str:
        """In the current language (the reader's, or the recipient's inside force_locale)."""
        return str(KIND_LABELS[self])


#: How each kind reads on the settings page.
KIND_LABELS = {
    NotificationKind.SALE_PAID: _l("A sale through my shop is paid"),
    NotificationKind.COMMISSION_AVAILABLE: _l("My commissions become available"),
    NotificationKind.COMMISSION_REVERSED: _l("A commission is reversed (refund, dispute, rejection)"),
    NotificationKind.PAYOUT_SENT: _l("A payout is sent to me"),
}


class Notice(Base):
    """One in-app notification; written in the transaction of the money event it tells about."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    #: A site path ("/me/earnings"), never an absolute URL: the e-mail adds BASE_URL.
    link_path: Mapped[str] = mapped_column(String(255))
    #: Taken from the cause ("sale_paid:order:12:user:3"): a replayed event writes no second notice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    #: Claimed by a sender (committed before the transport is called): no other sender touches it.
    SENDING = "sending"
    SENT = "sent"
    #: Gave up after the last attempt.
    FAILED = "failed"


class OutboxEmail(Base):
    """An e-mail to send, written with its cause and sent later by `flask notifications send`, once."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    #: The address when the e-mail was written (a later change of address does not redirect it).
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    #: Same key as the notice; also the source of the deterministic Message-ID.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The transport's error, without credentials.
    last_error: Mapped[str] = mapped_column(String(500), default="")
    #: A pending row is not tried before this (back-off after a failure).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def status_enum(self) -> OutboxStatus:
        return OutboxStatus(self.status)


class NotificationPreference(Base):
    """A curator's choice for one kind; no row means both channels are on."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    email_enabled: Mapped[bool] = mapped_column(default=True)
    in_app_enabled: Mapped[bool] = mapped_column(default=True)
