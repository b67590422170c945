"""The shopping cart: product ids, quantities and the curator's shop in the session; prices always from the catalog."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.money import Money
from storefront.orders.services import MAX_LINE_QUANTITY, RequestedLine, ShippingRule

MAX_CART_LINES = 50


class CartError(Exception):
    """A cart change that cannot be made; the message is safe to show."""


@dataclass(frozen=True)
class CartEntry:
    quantity: int
    #: The curator's shop the product was added from; carried to the order line for attribution.
    shop_id: int | None = None


Cart = dict[int, CartEntry]


def _valid_quantity(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_LINE_QUANTITY


def read_cart(raw: object) -> Cart:
    """The session's cart, dropping anything malformed (a session cookie is user input)."""
    if not isinstance(raw, Mapping):
        return {}
    cart: Cart = {}
    for key, value in raw.items():
        if not (str(key).isdigit() and len(str(key)) <= 9):
            continue
        if _valid_quantity(value):  # the format before shops existed: a bare quantity
            cart[int(key)] = CartEntry(value)  # type: ignore[arg-type]
        elif isinstance(value, Mapping) and _valid_quantity(value.get("q")):
            shop_id = value.get("s")
            cart[int(key)] = CartEntry(value["q"], shop_id if isinstance(shop_id, int) and shop_id > 0 else None)
    return cart


def to_session(cart: Cart) -> dict[str, dict[str, int | None]]:
    return {str(product_id): {"q": entry.quantity, "s": entry.shop_id} for product_id, entry in cart.items()}


def cart_quantity(cart: Cart) -> int:
    return sum(entry.quantity for entry in cart.values())


def _sellable_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise CartError(_("This product is not sold any more."))
    return product


def _check_quantity(product: Product, quantity: int) -> None:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CartError(_("Choose a quantity from 1 to %(max)d.", max=MAX_LINE_QUANTITY))
    if product.stock == 0:
        raise CartError(_("“%(product)s” is sold out.", product=product.title))
    if quantity > product.stock:
        raise CartError(_("Only %(num)d of “%(product)s” left in stock.", num=product.stock, product=product.title))


def add_to_cart(cart: Cart, product_id: int, quantity: int, shop_id: int | None = None) -> tuple[Cart, Product]:
    """The cart with `quantity` more of the product; raises CartError when it cannot be sold.

    A line added from a curator's shop keeps that shop; adding the same product again from the
    official store does not take it away.
    """
    product = _sellable_product(product_id)
    if product_id not in cart and len(cart) >= MAX_CART_LINES:
        raise CartError(_("A cart holds at most %(max)d different products.", max=MAX_CART_LINES))
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CartError(_("Choose a quantity from 1 to %(max)d.", max=MAX_LINE_QUANTITY))
    current = cart.get(product_id, CartEntry(0))
    _check_quantity(product, current.quantity + quantity)
    return {**cart, product_id: CartEntry(current.quantity + quantity, shop_id or current.shop_id)}, product


def set_cart_quantity(cart: Cart, product_id: int, quantity: int) -> Cart:
    """The cart with the product's quantity set; 0 removes it."""
    if product_id not in cart:
        raise CartError(_("That product is not in your cart."))
    if quantity == 0:
        return remove_from_cart(cart, product_id)
    _check_quantity(_sellable_product(product_id), quantity)
    return {**cart, product_id: CartEntry(quantity, cart[product_id].shop_id)}


def remove_from_cart(cart: Cart, product_id: int) -> Cart:
    return {pid: entry for pid, entry in cart.items() if pid != product_id}


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
    shop_id: int | None
    line_total: Money
    #: Why this line cannot be bought as it is, or "" when it can.
    problem: str


@dataclass(frozen=True)
class CartSummary:
    lines: list[CartLine]
    subtotal: Money
    shipping: Money
    total: Money

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)

    def requested_lines(self) -> list[RequestedLine]:
        return [RequestedLine(line.product.id, line.quantity, line.shop_id) for line in self.lines]


def _line_problem(product: Product, quantity: int, currency: str) -> str:
    if not product.active or product.currency != currency:
        return _("No longer sold: please remove it.")
    if product.stock == 0:
        return _("Sold out: please remove it.")
    if quantity > product.stock:
        return _("Only %(num)d left: lower the quantity.", num=product.stock)
    return ""


def summarize_cart(cart: Cart, currency: str, shipping: ShippingRule) -> CartSummary:
    """Lines with today's catalog prices; products that vanished are left out."""
    products = db.session.scalars(select(Product).where(Product.id.in_(cart)).order_by(Product.title)) if cart else []
    lines = [
        CartLine(
            p, cart[p.id].quantity, cart[p.id].shop_id, p.price.times(cart[p.id].quantity),
            _line_problem(p, cart[p.id].quantity, currency),
        )
        for p in products
    ]
    subtotal = Money.zero(currency)
    for line in lines:
        if line.line_total.currency == currency:
            subtotal += line.line_total
    shipping_cost = shipping.cost_for(subtotal) if lines else Money.zero(currency)
    return CartSummary(lines=lines, subtotal=subtotal, shipping=shipping_cost, total=subtotal + shipping_cost)
