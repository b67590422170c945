"""Cart and checkout pages."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from storefront.checkout import cart as carts
from storefront.checkout.forms import AddToCartForm, CartLineForm, CheckoutForm
from storefront.checkout.services import Referral, StoreSettings, check_out, referral_from_visit, release_expired_reservations
from storefront.extensions import db
from storefront.navigation import safe_next_path
from storefront.orders.access import remember_placed_order
from storefront.orders.services import MAX_LINE_QUANTITY, CustomerDetails, OrderError
from storefront.payments.providers import ProviderError, active_provider
from share import visits
from share.services import preview_referrer, record_cart_touch, touch_still_counts
from storefront.shops.services import find_attributing_shop_id

blueprint = Blueprint("checkout", __name__)


def _settings() -> StoreSettings:
    return StoreSettings.from_config(current_app.config)


def _release_expired() -> None:
    if release_expired_reservations():
        db.session.commit()


def _summary() -> carts.CartSummary:
    _release_expired()
    settings = _settings()
    return carts.summarize_cart(_cart(), settings.currency, settings.shipping)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _referral() -> Referral:
    return referral_from_visit(request, _user_id())


def _cart() -> carts.Cart:
    return carts.read_cart(session.get("cart"))


def _save_cart(cart: carts.Cart) -> None:
    session["cart"] = carts.to_session(cart)


def _product_id(raw: str | None) -> int | None:
    # Nine digits at most: a larger number is no id of ours, and would overflow the column.
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


@blueprint.route("/cart")
def cart() -> str:
    summary = _summary()
    return render_template("checkout/cart.html", summary=summary, line_form=CartLineForm())


@blueprint.route("/cart/add", methods=["POST"])
def add() -> Response:
    form = AddToCartForm()
    back = safe_next_path(request.form.get("next"), url_for("checkout.cart"))
    product_id = _product_id(form.product_id.data)
    if not form.validate_on_submit() or product_id is None:
        flash(_("Choose a quantity from 1 to %(max)d.", max=MAX_LINE_QUANTITY), "error")
        return redirect(back)
    _release_expired()
    shop_id = find_attributing_shop_id(form.shop.data, product_id) if form.shop.data else None
    try:
        new_cart, product = carts.add_to_cart(_cart(), product_id, form.quantity.data, shop_id)
    except carts.CartError as error:
        flash(str(error), "error")
        return redirect(back)
    _save_cart(new_cart)
    flash(_("Added “%(product)s” to your cart.", product=product.title), "success")
    response = redirect(back)
    if shop_id is not None:
        # Adding to the cart from a curator's shop page is a touch for that curator.
        visitor = visits.current_visitor_id(request)
        touch = record_cart_touch(shop_id, visitor, _user_id())
        db.session.commit()
        window = visits.attribution_window()
        visits.remember_touch(response, request, touch.id, visitor, lambda touch_id: touch_still_counts(touch_id, window))
    return response


@blueprint.route("/cart/update", methods=["POST"])
def update() -> Response:
    form = CartLineForm()
    product_id = _product_id(form.product_id.data)
    if not form.validate_on_submit() or product_id is None:
        flash(_("Choose a quantity from 0 to %(max)d.", max=MAX_LINE_QUANTITY), "error")
        return redirect(url_for("checkout.cart"))
    try:
        _save_cart(carts.set_cart_quantity(_cart(), product_id, form.quantity.data))
    except carts.CartError as error:
        flash(str(error), "error")
    return redirect(url_for("checkout.cart"))


@blueprint.route("/cart/remove", methods=["POST"])
def remove() -> Response:
    product_id = _product_id(request.form.get("product_id"))
    if product_id is not None:
        _save_cart(carts.remove_from_cart(_cart(), product_id))
        flash(_("Removed from your cart."), "info")
    return redirect(url_for("checkout.cart"))


@blueprint.route("/checkout", methods=["GET", "POST"])
def checkout() -> Response | tuple[str, int]:
    settings = _settings()
    summary = _summary()
    if summary.is_empty:
        flash(_("Your cart is empty: add something first."), "info")
        return redirect(url_for("checkout.cart"))
    if summary.has_problems:
        flash(_("Some products in your cart changed. Please review it."), "error")
        return redirect(url_for("checkout.cart"))
    form = CheckoutForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = form.email.data or current_user.email
        form.name.data = form.name.data or current_user.display_name
    if form.validate_on_submit():
        customer = CustomerDetails(
            email=form.email.data, name=form.name.data, address_line1=form.address_line1.data,
            address_line2=form.address_line2.data or "", city=form.city.data, region=form.region.data or "",
            postal_code=form.postal_code.data, country=form.country.data,
        )
        try:
            order, payment_url = check_out(
                summary.requested_lines(), customer, user_id=_user_id(), settings=settings, provider=active_provider(),
                referral=_referral(),
            )
        except (OrderError, ProviderError) as error:
            # Nothing is kept: no order, no reserved stock, the cart is still there to try again.
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("checkout.cart"))
        db.session.commit()
        remember_placed_order(order)
        session.pop("cart", None)
        return redirect(payment_url)
    status = 400 if request.method == "POST" else 200
    referral = _referral()
    referrer = preview_referrer(referral.shopper, referral.settings)
    return render_template("checkout/checkout.html", form=form, summary=summary, referrer=referrer), status
