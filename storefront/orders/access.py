"""Who may see an order: its owner, an operator, the browser that placed it as a guest, or whoever holds its order token."""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import abort, current_app, session
from flask_babel import gettext as _
from flask_login import current_user

from storefront.orders.models import Order

_REMEMBERED_ORDERS = 20
#: Makes a leaked order token recognisable in logs and by secret scanners.
ORDER_TOKEN_PREFIX = "vo_"


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
        abort(404, description=_("We could not find that order. If you placed it while logged in, log in to see it."))


def order_access_token(order: Order) -> str:
    """The secret that lets whoever placed `order` (a guest, through the API) read and pay it.

    Derived, not stored: a keyed hash of the order's id and number under SECRET_KEY, so the
    database never holds it and a copy of the database cannot open orders. Only the API's
    order creation hands it out; rotating SECRET_KEY voids every one (as it does sessions).
    """
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"vitrine order access token", hashlib.sha256).digest()
    digest = hmac.new(key, f"{order.id}:{order.number}".encode(), hashlib.sha256).digest()
    return ORDER_TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_order_access_token(order: Order, token: str) -> bool:
    return len(token) <= 100 and hmac.compare_digest(order_access_token(order).encode(), token.encode())
