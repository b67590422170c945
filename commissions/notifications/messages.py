"""What each money event tells its curators, and under which key: called by the commission and payout services.

Only money that moved is told: callers pass what a posting actually did, so a replay (which
posts nothing) tells nothing. No buyer's personal data appears: an order is its number.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from commissions.models import Commission, CommissionStatus, Payout
from commissions.notifications.models import NotificationKind
from commissions.notifications.services import EARNINGS_PATH, Message, notify, payout_path
from storefront.extensions import db
from storefront.money import Money
from storefront.orders.models import Order

K = NotificationKind


#: A batch names this many orders at most, then "and N more".
ORDERS_NAMED = 5


def _orders(order_ids: Iterable[int]) -> str:
    """ "order A1", "orders A1, B2", "orders A1, …, E5 and 3 more": numbers only, never who bought."""
    ids = sorted(set(order_ids))
    numbers = [order.number for order in (db.session.get(Order, order_id) for order_id in ids[:ORDERS_NAMED]) if order]
    more = f" and {len(ids) - ORDERS_NAMED} more" if len(ids) > ORDERS_NAMED else ""
    return ("order " if len(ids) == 1 else "orders ") + ", ".join(numbers) + more


def notify_sale_paid(order: Order, made: list[Commission]) -> None:
    """One notice per curator the paid order earns for, with their total (held ones say so)."""
    by_curator: dict[int, list[Commission]] = defaultdict(list)
    for commission in made:
        by_curator[commission.curator_user_id].append(commission)
    for user_id, commissions in sorted(by_curator.items()):
        earned = Money(sum(c.earned_minor for c in commissions), order.currency)
        held = any(c.status_enum is CommissionStatus.HELD for c in commissions)
        state = "on hold while we review the sale" if held else "pending until the return window closes"
        notify(user_id, Message(
            K.SALE_PAID, title=f"You made a sale: {earned} earned",
            body=f"Order {order.number}, bought through your shop, is paid. You earn {earned}, {state}.",
            link_path=EARNINGS_PATH, details={"amount": earned, "order_number": order.number, "held": held},
        ), dedupe_key=f"sale_paid:order:{order.id}:user:{user_id}")


def notify_commissions_available(user_id: int, currency: str, commissions: list[Commission]) -> None:
    """One notice for a batch of the curator's commissions that just became available.

    The key is a digest of the commission ids: each commission becomes available for the first
    time once, so a batch is told once, and a retried batch (same ids) is not told again.
    """
    total = Money(sum(c.net_minor for c in commissions), currency)
    if total.minor <= 0:
        return
    ids = ",".join(str(c.id) for c in sorted(commissions, key=lambda c: c.id))
    digest = hashlib.sha256(ids.encode()).hexdigest()[:32]
    orders = _orders(c.order_id for c in commissions)
    notify(user_id, Message(
        K.COMMISSION_AVAILABLE, title=f"{total} is now available",
        body=f"The return window is over: {total} from {orders} is now available for your next payout.",
        link_path=EARNINGS_PATH, details={"amount": total, "orders": orders, "count": len(commissions)},
    ), dedupe_key=f"commission_available:user:{user_id}:{currency}:{digest}")


#: Why commissions were taken back, by cause, in the curator's words.
REVERSAL_REASONS = {
    "refund": "the order was refunded",
    "dispute": "the buyer's bank took the payment back (a lost dispute)",
    "reject": "it was rejected after review",
}


def notify_commissions_reversed(reversals: list[tuple[Commission, int]], *, cause: str, reason: str) -> None:
    """One notice per curator for what one cause (`refund:<id>`, `dispute:<ref>`, `reject:commission:<id>`) took back.

    `reversals` pairs each commission with the amount actually reversed; zero amounts tell nothing.
    """
    by_curator: dict[tuple[int, str], list[tuple[Commission, int]]] = defaultdict(list)
    for commission, amount in reversals:
        if amount > 0:
            by_curator[(commission.curator_user_id, commission.currency)].append((commission, amount))
    for (user_id, currency), taken in sorted(by_curator.items()):
        total = Money(sum(amount for _c, amount in taken), currency)
        orders = _orders(c.order_id for c, _amount in taken)
        why = REVERSAL_REASONS[reason]
        notify(user_id, Message(
            K.COMMISSION_REVERSED, title=f"{total} of your commission was reversed",
            body=f"{total} of your commission on {orders} was taken back: {why}.",
            link_path=EARNINGS_PATH, details={"amount": total, "orders": orders, "why": why},
        ), dedupe_key=f"commission_reversed:{cause}:user:{user_id}")


def notify_payout_sent(payout: Payout) -> None:
    """The payout settled: the curator's money is on its way."""
    amount = Money(payout.amount_minor, payout.currency)
    netted = Money(payout.netted_minor, payout.currency)
    owed = f" {netted} you owed from refunds was taken first." if netted.minor else ""
    notify(payout.curator_user_id, Message(
        K.PAYOUT_SENT, title=f"Payout sent: {amount}",
        body=f"We sent you {amount} (reference {payout.reference}).{owed}",
        link_path=payout_path(payout.id), details={"amount": amount, "netted": netted, "reference": payout.reference},
    ), dedupe_key=f"payout_sent:payout:{payout.id}")
