"""The order state machine: the only place where an order's status is assigned."""
from __future__ import annotations

from sqlalchemy.orm import object_session

from storefront.orders.models import Order, OrderStatus, OrderStatusChange
from storefront.states import StateMachine

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


def open_order(order: Order, *, actor: str) -> None:
    """Give a new order its first status, pending, and the first line of its history."""
    order.status = OrderStatus.PENDING
    order.status_changes.append(
        OrderStatusChange(from_status=None, to_status=OrderStatus.PENDING.value, actor=actor, reason="order placed")
    )
