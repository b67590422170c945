"""Order confirmation, order history, and paying or canceling a pending order."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from storefront.extensions import db
from storefront.orders import services
from storefront.orders.access import ensure_can_view_order
from storefront.orders.models import Order, OrderStatus

blueprint = Blueprint("orders", __name__)


def find_visible_order(number: str, *, lock: bool = False) -> Order:
    order = services.find_order_by_number(number, lock=lock) if len(number) <= 20 else None
    if order is None:
        abort(404, description=_("We could not find that order."))
    ensure_can_view_order(order)
    return order


@blueprint.route("/orders/<number>")
def detail(number: str) -> str:
    order = find_visible_order(number)
    return render_template(
        "orders/detail.html", order=order, payable=services.is_payable(order), statuses=OrderStatus, form=FlaskForm()
    )


@blueprint.route("/orders/<number>/cancel", methods=["POST"])
def cancel(number: str) -> Response:
    order = find_visible_order(number, lock=True)
    if order.status_enum is not OrderStatus.PENDING:
        flash(_("Only an order waiting for payment can be canceled here."), "error")
        return redirect(f"/orders/{order.number}")
    services.cancel_order(order, actor="customer", reason="canceled by the customer before paying")
    db.session.commit()
    flash(_("Your order is canceled. Nothing was charged."), "info")
    return redirect(f"/orders/{order.number}")


@blueprint.route("/account/orders")
@login_required
def history() -> str:
    return render_template("orders/history.html", orders=services.list_orders_for_user(current_user.id))
