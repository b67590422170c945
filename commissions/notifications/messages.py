"""What each money event tells its curators, and under which key: called by the commission and payout services.

Only money that moved is told: callers pass what a posting actually did, so a replay (which
posts nothing) tells nothing. No buyer's personal data appears: an order is its number.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from commissions.models import Commission, CommissionStatus, Payout
from commissions.notifications.models import NotificationKind
from commissions.notifications.services import EARNINGS_PATH, Message, in_language_of, notify, payout_path
from storefront.extensions import db
from storefront.i18n import format_money
from storefront.money import Money
from storefront.orders.models import Order

K = NotificationKind


#: A batch names this many orders at most, then "and N more".
ORDERS_NAMED = 5


def _orders(order_ids: Iterable[int]) -> str:
    """ "order A1", "orders A1, B2", "orders A1, …, E5 and 3 more": numbers only, never who bought (in the current language)."""
    ids = sorted(set(order_ids))
    numbers = ", ".join(
        order.number for order in (db.session.get(Order, order_id) for order_id in ids[:ORDERS_NAMED]) if order
    )
    if len(ids) > ORDERS_NAMED:
        return ngettext("orders %(numbers)s and %(num)d more", "orders %(numbers)s and %(num)d more", len(ids) - ORDERS_NAMED,
                        numbers=numbers)
    return ngettext("order %(numbers)s", "orders %(numbers)s", len(ids), numbers=numbers)


def notify_sale_paid(order: Order, made: list[Commission]) -> None:
    """One notice per curator the paid order earns for, with their total (held ones say so)."""
    by_curator: dict[int, list[Commission]] = defaultdict(list)
    for commission in made:
        by_curator[commission.curator_user_id].append(commission)
    for user_id, commissions in sorted(by_curator.items()):
        earned = Money(sum(c.earned_minor for c in commissions), order.currency)
        held = any(c.status_enum is CommissionStatus.HELD for c in commissions)
        with in_language_of(user_id):
            amount = format_money(earned)
            if held:
                body = _("Order %(number)s, bought through your shop, is paid. You earn %(amount)s, on hold while we review the sale.",
                         number=order.number, amount=amount)
            else:
                body = _("Order %(number)s, bought through your shop, is paid. You earn %(amount)s, pending until the return "
                         "window closes.", number=order.number, amount=amount)
            notify(user_id, Message(
                K.SALE_PAID, title=_("You made a sale: %(amount)s earned", amount=amount), body=body,
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
    with in_language_of(user_id):
        amount, orders = format_money(total), _orders(c.order_id for c in commissions)
        notify(user_id, Message(
            K.COMMISSION_AVAILABLE, title=_("%(amount)s is now available", amount=amount),
            body=_("The return window is over: %(amount)s from %(orders)s is now available for your next payout.",
                   amount=amount, orders=orders),
            link_path=EARNINGS_PATH, details={"amount": total, "orders": orders, "count": len(commissions)},
        ), dedupe_key=f"commission_available:user:{user_id}:{currency}:{digest}")


#: Why commissions were taken back, by cause, in the curator's words.
REVERSAL_REASONS = {
    "refund": _l("the order was refunded"),
    "dispute": _l("the buyer's bank took the payment back (a lost dispute)"),
    "reject": _l("it was rejected after review"),
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
        with in_language_of(user_id):
            amount, orders, why = format_money(total), _orders(c.order_id for c, _amount in taken), str(REVERSAL_REASONS[reason])
            notify(user_id, Message(
                K.COMMISSION_REVERSED, title=_("%(amount)s of your commission was reversed", amount=amount),
                body=_("%(amount)s of your commission on %(orders)s was taken back: %(why)s.", amount=amount, orders=orders,
                       why=why),
                link_path=EARNINGS_PATH, details={"amount": total, "orders": orders, "why": why},
            ), dedupe_key=f"commission_reversed:{cause}:user:{user_id}")


def notify_payout_sent(payout: Payout) -> None:
    """The payout settled: the curator's money is on its way."""
    amount = Money(payout.amount_minor, payout.currency)
    netted = Money(payout.netted_minor, payout.currency)
    with in_language_of(payout.curator_user_id):
        sent, reference = format_money(amount), payout.reference
        if netted.minor:
            body = _("We sent you %(amount)s (reference %(reference)s). %(owed)s you owed from refunds was taken first.",
                     amount=sent, reference=reference, owed=format_money(netted))
        else:
            body = _("We sent you %(amount)s (reference %(reference)s).", amount=sent, reference=reference)
        notify(payout.curator_user_id, Message(
            K.PAYOUT_SENT, title=_("Payout sent: %(amount)s", amount=sent), body=body,
            link_path=payout_path(payout.id), details={"amount": amount, "netted": netted, "reference": reference},
        ), dedupe_key=f"payout_sent:payout:{payout.id}")
