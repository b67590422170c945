"""The curator's side of the ledger: balances and a statement of every movement, line by line."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from commissions import ledger
from commissions.models import AccountKind, Commission, CommissionStatus, LedgerAccount, LedgerTransaction, LedgerTransfer
from storefront.extensions import db
from storefront.listing import Page, clamp_page
from storefront.i18n import format_money
from storefront.money import Money
from storefront.orders.models import Order, OrderLine

#: How each kind of posting reads on a statement (in the reader's language).
MOVEMENT_LABELS = {
    "earn": _l("Earned (pending)"), "mature": _l("Now available"), "hold": _l("Put on hold"),
    "release": _l("Released from hold"), "reject": _l("Rejected"), "reversal": _l("Reversed (refund)"),
    "clawback": _l("Clawed back (owed)"),
}


@dataclass(frozen=True)
class Balances:
    currency: str
    pending: Money
    held: Money
    available: Money
    in_payout: Money
    paid: Money
    owed: Money
    lifetime: Money


def balances_for(user_id: int, currency: str) -> Balances:
    raw = ledger.curator_balances(user_id, currency)
    lifetime = db.session.scalar(
        select(func.coalesce(func.sum(Commission.earned_minor - Commission.reversed_minor), 0)).where(
            Commission.curator_user_id == user_id, Commission.currency == currency,
            Commission.status != CommissionStatus.REJECTED,
        )
    )
    m = lambda minor: Money(int(minor), currency)  # noqa: E731
    return Balances(
        currency=currency, pending=m(raw[AccountKind.PENDING]), held=m(raw[AccountKind.HELD]),
        available=m(raw[AccountKind.AVAILABLE]), in_payout=m(raw[AccountKind.IN_PAYOUT]), paid=m(raw[AccountKind.PAID]),
        owed=m(raw[AccountKind.RECEIVABLE]), lifetime=m(lifetime or 0),
    )


@dataclass(frozen=True)
class Movement:
    at: datetime
    order_number: str
    product: str
    kind: str
    #: In the language of the request that read it.
    label: str
    #: Positive when the curator's earnings grew, negative when they shrank; zero for a move between stages.
    amount: Money
    #: "platform → pending": the stages the money left and entered (stable words, for the API and CSV).
    moved: str
    status: str
    reason: str
    #: The ledger transfer's id: a statement read by cursor continues after it.
    id: int
    #: The stages of `moved`, each a key of `commissions.states.STAGE_LABELS`.
    moved_from: str = ""
    moved_to: str = ""


#: The memos the platform writes itself (stored in English, as history); anything else is a person's own words.
_SYSTEM_MEMOS: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (re.compile(r"^order (\S+): (\d+) bps of (\d+)$"), lambda m, currency: _(
        "order %(number)s: %(rate)s of %(base)s", number=m[1], rate=format_percent(Decimal(int(m[2])).scaleb(-4), format="#,##0.##%"),
        base=format_money(Money(int(m[3]), currency)))),
    (re.compile(r"^hold period over$"), lambda m, currency: _("hold period over")),
    (re.compile(r"^released$"), lambda m, currency: _("released")),
    (re.compile(r"^refund (\S+)$"), lambda m, currency: _("refund %(reference)s", reference=m[1])),
    (re.compile(r"^dispute (\S+) lost$"), lambda m, currency: _("dispute %(reference)s lost", reference=m[1])),
    (re.compile(r"^netted (\d+) owed$"), lambda m, currency: _(
        "%(amount)s owed was netted", amount=format_money(Money(int(m[1]), currency)))),
]


def readable_memo(memo: str, currency: str) -> str:
    """A ledger memo for the reader: the platform's own in their language, a person's reason as written."""
    for pattern, render in _SYSTEM_MEMOS:
        if match := pattern.match(memo or ""):
            return render(match, currency)
    return memo


def _movement_query(user_id: int):  # type: ignore[no-untyped-def]
    debit, credit = aliased(LedgerAccount), aliased(LedgerAccount)
    return (
        select(LedgerTransfer, LedgerTransaction, Commission, Order.number, OrderLine.title, debit.kind, credit.kind)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerTransfer.transaction_id)
        .join(Commission, Commission.id == LedgerTransfer.commission_id)
        .join(OrderLine, OrderLine.id == Commission.order_line_id)
        .join(Order, Order.id == Commission.order_id)
        .join(debit, debit.id == LedgerTransfer.debit_account_id)
        .join(credit, credit.id == LedgerTransfer.credit_account_id)
        .where(Commission.curator_user_id == user_id, or_(debit.user_id == user_id, credit.user_id == user_id))
    )


def _movement(row) -> Movement:  # type: ignore[no-untyped-def]
    transfer, transaction, commission, number, title, debit_kind, credit_kind = row
    signed = transfer.amount_minor if debit_kind == AccountKind.COMMISSION_EXPENSE else (
        -transfer.amount_minor if credit_kind == AccountKind.COMMISSION_EXPENSE else 0
    )
    label = str(MOVEMENT_LABELS.get(transaction.kind, transaction.kind))
    moved_from = "platform" if debit_kind == AccountKind.COMMISSION_EXPENSE else str(debit_kind)
    moved_to = "platform" if credit_kind == AccountKind.COMMISSION_EXPENSE else str(credit_kind)
    return Movement(
        at=transaction.created_at, order_number=number, product=title, kind=transaction.kind, label=label,
        amount=Money(signed, transfer.currency), moved=f"{moved_from} → {moved_to}", status=commission.status,
        reason=readable_memo(transaction.memo, transfer.currency), id=transfer.id, moved_from=moved_from, moved_to=moved_to,
    )


def statement(user_id: int, *, page: int = 1, per_page: int = 50) -> Page[Movement]:
    query = _movement_query(user_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    rows = db.session.execute(
        query.order_by(LedgerTransaction.created_at.desc(), LedgerTransfer.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return Page(items=[_movement(row) for row in rows], page=page, per_page=per_page, total=total)


def movements_before(user_id: int, *, before_id: int | None = None, limit: int = 50) -> list[Movement]:
    """Up to `limit` movements, newest first by id, each older than movement `before_id` (None: from the newest).

    The id order is the order of posting, so a page never shifts when new movements arrive.
    """
    query = _movement_query(user_id)
    if before_id is not None:
        query = query.where(LedgerTransfer.id < before_id)
    return [_movement(row) for row in db.session.execute(query.order_by(LedgerTransfer.id.desc()).limit(limit))]


def all_movements(user_id: int, batch: int = 1000):  # type: ignore[no-untyped-def]
    """Every movement, oldest first, streamed in batches (for the CSV download)."""
    query = _movement_query(user_id).order_by(LedgerTransfer.id).execution_options(yield_per=batch)
    for row in db.session.execute(query):
        yield _movement(row)
