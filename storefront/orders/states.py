"""The order state machine: the only place where an order's status is assigned."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Insert, insert
from sqlalchemy.orm import object_session

from storefront.orders.models import Order, OrderStatus, OrderStatusChange
from storefront.states import StateMachine
from storefront.updates import update_loaded

S = OrderStatus

ORDER_TRANSITIONS = StateMachine[OrderStatus](
    "order",
    {
        S.PENDING: frozenset({S.PAID, S.CANCELED, S.EXPIRED}),
        S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
        S.PARTIALLY_REFUNDED: frozenset({S.REFUNDED}),
        S.REFUNDED: frozenset(),
        S.CANCELED: frozenset(),
        S.EXPIRED: frozenset(),
    },
)


def transition_order(order: Order, target: OrderStatus, *, actor: str, reason: str = "") -> bool:
    """Move the order to `target` and record the change.

    Returns False (and records nothing) when the order already has that status; raises
    InvalidTransition, changing nothing, when the move is not allowed.
    """
    current = order.status_enum
    if not ORDER_TRANSITIONS.check(current, target):
        return False
    order.status = target
    change = OrderStatusChange(from_status=current.value, to_status=target.value, actor=actor, reason=reason)
    session = object_session(order)
    if session is None or order.id is None or "status_changes" in order.__dict__:
        order.status_changes.append(change)
    else:
        # Appending would first load the whole history (a query per payment event) only to add a row to it.
        change.order_id = order.id
        session.add(change)
    return True


class OrderChangedMeanwhile(Exception):
    """The order no longer had the status its move was checked from: another transaction changed it. Nothing was written."""


def transition_order_now(
    order: Order, target: OrderStatus, *, actor: str, reason: str = "", also: Mapping[str, Any] | None = None,
) -> bool:
    """`transition_order` for an order loaded from the database, written at once in Core with the columns that change
    with it (`also`): two statements and no flush, on paths that run on every payment.

    The same checks and history row as `transition_order`. The UPDATE only applies while the order still has the
    status the move was checked from, so a change committed meanwhile is never overwritten (OrderChangedMeanwhile,
    which cannot happen to an order read under its row lock). The loaded order takes the new values: nothing stale.
    """
    current = order.status_enum
    if not ORDER_TRANSITIONS.check(current, target):
        return False
    if not update_loaded(order, {"status": target, **(also or {})}, status=current):
        raise OrderChangedMeanwhile(f"order {order.number} is no longer {current.value}")
    session = object_session(order)
    assert session is not None
    session.connection().execute(_insert_status_change(), {
        "order_id": order.id, "from_status": current.value, "to_status": target.value, "actor": actor, "reason": reason,
    })
    if "status_changes" in order.__dict__:  # a history loaded before reads the new row on next use
        session.expire(order, ["status_changes"])
    return True


@functools.cache
def _insert_status_change() -> Insert:
    """Built once (it runs on every payment); `created_at` is the column's default."""
    return insert(OrderStatusChange.__table__)


def open_order(order: Order, *, actor: str) -> None:
    """Give a new order its first status, pending, and the first line of its history."""
    order.status = OrderStatus.PENDING
    order.status_changes.append(
        OrderStatusChange(from_status=None, to_status=OrderStatus.PENDING.value, actor=actor, reason="order placed")
    )
