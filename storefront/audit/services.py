"""Recording and listing audit entries."""
from __future__ import annotations

import logging
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.extensions import db
from storefront.listing import Page, clamp_page

log = logging.getLogger(__name__)

#: What each recorded action (a stored dotted verb, never changed) reads as in the audit log.
ACTION_LABELS = {
    "shop.suspend": _l("Shop #%(id)s suspended"),
    "shop.reinstate": _l("Shop #%(id)s reinstated"),
    "order.refund": _l("Order #%(id)s refunded"),
    "commission.hold": _l("Commission #%(id)s held"),
    "commission.release": _l("Commission #%(id)s released"),
    "commission.reject": _l("Commission #%(id)s rejected"),
    "rate.category": _l("Rate of category #%(id)s changed"),
    "rate.product": _l("Rate of product #%(id)s changed"),
    "tier.add": _l("Tier #%(id)s added"),
    "tier.remove": _l("Tier #%(id)s removed"),
    "payouts.run": _l("Payout run #%(id)s started"),
    "payouts.paid": _l("Payout run #%(id)s marked paid"),
    "payouts.failed": _l("Payout #%(id)s marked failed"),
    "payouts.recover": _l("Stuck payouts recovered"),
    "product.create": _l("Product #%(id)s created"),
    "product.update": _l("Product #%(id)s updated"),
    "catalog.import": _l("Catalog imported"),
    "payment_event.discard": _l("Payment event #%(id)s discarded"),
}


def record_audit(
    *, actor_user_id: int | None, action: str, subject_type: str, subject_id: int, reason: str = "",
    details: dict[str, object] | None = None,
) -> AuditEntry:
    """Append one entry (flushed, committed by the caller with the change it describes)."""
    entry = AuditEntry(
        actor_user_id=actor_user_id, action=action, subject_type=subject_type, subject_id=subject_id,
        reason=reason, details=details or {},
    )
    db.session.add(entry)
    db.session.flush()
    log.info("audit: user %s did %s on %s %s (%s)", actor_user_id, action, subject_type, subject_id, reason)
    return entry


def list_audit_entries(*, subject_type: str | None = None, subject_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    if subject_type is not None:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    return list(db.session.scalars(query))


def audit_page(*, page: int = 1, per_page: int = 100) -> Page[AuditEntry]:
    total = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    page = clamp_page(page, total, per_page)
    entries = list(db.session.scalars(
        select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ))
    return Page(items=entries, page=page, per_page=per_page, total=total)


def all_audit_entries() -> Iterator[AuditEntry]:
    yield from db.session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=500))


def action_label(entry: AuditEntry) -> str:
    """What was done to what, for people ("Shop #12 suspended"); an action without a label shows its code."""
    label = ACTION_LABELS.get(entry.action)
    if label is None:
        return f"{entry.action} {entry.subject_type} #{entry.subject_id}"
    return str(label) % {"id": entry.subject_id}


def actor_emails(entries: list[AuditEntry]) -> dict[int, str]:
    """Who did it, by e-mail, for one page of entries (one query)."""
    from storefront.accounts.models import User

    ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
