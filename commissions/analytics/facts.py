"""Keep each paid order's attributed sales current: recomputed from the order, its refunds and its commissions.

`refresh_order` runs in the same transaction as whatever changed the order (payment, refund,
dispute, rejection), so the facts never disagree with the ledger's sources; recomputing is
idempotent, and `rebuild` is the same computation over every order.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm.util import identity_key

from commissions.analytics.models import AttributedSale
from commissions.models import Commission, CommissionStatus
from share import visits
from share.models import Click, OrderAttribution
from share.services import PaidOrderAttribution, identity_hash
from storefront.extensions import db
from storefront.inserts import insert_or_update
from storefront.orders.models import PAID_STATUSES, Order
from storefront.payments.models import RefundLine

REBUILD_BATCH = 500


def buyer_key(email: str) -> str:
    return identity_hash(visits.identity_salt(), email)[:32]


def _refunded_by_line(line_ids: list[int]) -> dict[int, int]:
    return {line_id: int(amount) for line_id, amount in db.session.execute(
        select(RefundLine.order_line_id, func.sum(RefundLine.amount_minor))
        .where(RefundLine.order_line_id.in_(line_ids))
        .group_by(RefundLine.order_line_id)
    )}


def _kept_by_line(order_id: int) -> dict[int, int]:
    """What each line's commission leaves the curator: earned minus reversed; a rejected one leaves nothing."""
    return {line_id: earned - reversed_ for line_id, earned, reversed_ in db.session.execute(
        select(Commission.order_line_id, Commission.earned_minor, Commission.reversed_minor)
        .where(Commission.order_id == order_id, Commission.status != CommissionStatus.REJECTED)
    )}


def _winning_link(order_id: int) -> tuple[int | None, int | None]:
    """(shop, link) of the click that won the order, when a click did."""
    row = db.session.execute(
        select(OrderAttribution.shop_id, Click.link_id)
        .join(Click, Click.id == OrderAttribution.click_id)
        .where(OrderAttribution.order_id == order_id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def winner_of(attribution: PaidOrderAttribution | None) -> tuple[int | None, int | None]:
    """`_winning_link` from an attribution already read."""
    if attribution is None or attribution.link_id is None:
        return None, None
    return attribution.shop_id, attribution.link_id


def kept_by_line_of(commissions: Iterable[Commission]) -> dict[int, int]:
    """`_kept_by_line` from the order's commissions already loaded: the caller vouches they are all of them."""
    return {c.order_line_id: c.earned_minor - c.reversed_minor for c in commissions if c.status != CommissionStatus.REJECTED}


def facts_for(
    order: Order, *, winner: tuple[int | None, int | None] | None = None, kept: dict[int, int] | None = None,
) -> dict[int, AttributedSale]:
    """The order's attributed sales by shop, as they should be now (none unless it was paid).

    `winner` (`winner_of`) and `kept` (`kept_by_line_of`) when the caller holds them already, else they are read.
    """
    if order.status_enum not in PAID_STATUSES or order.paid_at is None:
        return {}
    credited = [line for line in order.lines if line.shop_id is not None]
    if not credited:
        return {}
    # Refund lines are written only with the refund they belong to, which adds to the order's refunded amount:
    # an order with nothing refunded (every order as it is paid) has none to read.
    refunded = _refunded_by_line([line.id for line in credited]) if order.refunded_minor else {}
    if kept is None:
        kept = _kept_by_line(order.id)
    winner_shop, winner_link = _winning_link(order.id) if winner is None else winner
    key = buyer_key(order.email)
    facts: dict[int, AttributedSale] = {}
    for line in credited:
        fact = facts.get(line.shop_id)
        if fact is None:
            fact = facts[line.shop_id] = AttributedSale(
                order_id=order.id, shop_id=line.shop_id, link_id=winner_link if line.shop_id == winner_shop else None,
                paid_at=order.paid_at, currency=order.currency, sales_minor=0, refunded_minor=0, commission_minor=0,
                buyer_key=key,
            )
        fact.sales_minor += line.line_total_minor
        fact.refunded_minor += min(line.line_total_minor, refunded.get(line.id, 0))
        fact.commission_minor += kept.get(line.id, 0)
    return facts


FACT_COLUMNS = ("link_id", "paid_at", "currency", "sales_minor", "refunded_minor", "commission_minor", "buyer_key")


def refresh_order(
    order: Order, *, winner: tuple[int | None, int | None] | None = None, kept: dict[int, int] | None = None,
) -> None:
    """Bring the order's stored facts in line with `facts_for` (flush, never commit), in one statement.

    A paid order's facts cover every shop credited on its lines, and lines never change shop,
    so no stored fact is ever left out of them: they are written over (INSERT … ON CONFLICT DO
    UPDATE), and only an order that is no longer paid has its facts deleted.
    """
    wanted = facts_for(order, winner=winner, kept=kept)
    if not wanted:
        db.session.execute(delete(AttributedSale).where(AttributedSale.order_id == order.id))
        return
    rows = [{column: getattr(fact, column) for column in ("order_id", "shop_id", *FACT_COLUMNS)} for fact in wanted.values()]
    # One shop (the usual order) as a plain execute: an executemany of one costs a pipeline round on psycopg.
    db.session.execute(
        insert_or_update(AttributedSale.__table__, ["order_id", "shop_id"], list(FACT_COLUMNS)), rows if len(rows) > 1 else rows[0],
    )
    for shop_id in wanted:  # copies loaded earlier in this session read the new values on next use
        loaded = db.session.identity_map.get(identity_key(AttributedSale, (order.id, shop_id)))
        if loaded is not None:
            db.session.expire(loaded)


def refresh_orders(order_ids: Iterable[int]) -> None:
    for order_id in sorted(set(order_ids)):
        order = db.session.get(Order, order_id)
        if order is not None:
            refresh_order(order)


def rebuild() -> int:
    """Recompute every order's facts from scratch (flush, never commit); returns the rows written."""
    db.session.execute(delete(AttributedSale))
    written = 0
    paid = select(Order.id).where(Order.status.in_(list(PAID_STATUSES))).order_by(Order.id)
    order_ids = list(db.session.scalars(paid))
    for start in range(0, len(order_ids), REBUILD_BATCH):
        batch = db.session.scalars(select(Order).where(Order.id.in_(order_ids[start:start + REBUILD_BATCH]))).all()
        for order in batch:
            facts = facts_for(order)
            db.session.add_all(facts.values())
            written += len(facts)
        db.session.flush()
        db.session.expunge_all()
    return written


def stored_facts() -> dict[tuple[int, int], tuple[object, ...]]:
    """Every stored fact as comparable values, for the rebuild check."""
    return {
        (fact.order_id, fact.shop_id): tuple(getattr(fact, column) for column in FACT_COLUMNS)
        for fact in db.session.scalars(select(AttributedSale))
    }
