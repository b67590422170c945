"""Audit entries are append-only: written by record_audit, never changed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront import clock
from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The operator or user who acted; None for the system (cron, webhooks).
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: What was done, as a dotted verb: "shop.suspend", "shop.reinstate".
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
