"""Who may see an order: its owner, an operator, or the browser that placed it as a guest."""
from __future__ import annotations

from flask import abort, session
from flask_login import current_user

from storefront.orders.models import Order

_REMEMBERED_ORDERS = 20


def remember_placed_order(order: Order) -> None:
    numbers = [n for n in session.get("placed_orders", []) if isinstance(n, str) and n != order.number]
    session["placed_orders"] = (numbers + [order.number])[-_REMEMBERED_ORDERS:]


def can_view_order(order: Order) -> bool:
    if current_user.is_authenticated and (current_user.is_operator or order.user_id == current_user.id):
        return True
    return order.number in session.get("placed_orders", [])


def ensure_can_view_order(order: Order) -> None:
    """404 rather than 403, so order numbers cannot be probed."""
    if not can_view_order(order):
        abort(404, description="We could not find that order. If you placed it while logged in, log in to see it.")
