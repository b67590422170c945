"""The shopping cart: product ids and quantities in the session, prices always from the catalog."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.extensions import db
from storefront.money import Money
from storefront.orders.services import MAX_LINE_QUANTITY, RequestedLine, ShippingRule

MAX_CART_LINES = 50


class CartError(Exception):
    """A cart change that cannot be made; the message is safe to show."""


def read_cart(raw: object) -> dict[int, int]:
    """The session's cart as {product id: quantity}, dropping anything malformed."""
    if not isinstance(raw, Mapping):
        return {}
    cart: dict[int, int] = {}
    for key, value in raw.items():
        if str(key).isdigit() and isinstance(value, int) and 1 <= value <= MAX_LINE_QUANTITY:
            cart[int(key)] = value
    return cart


def to_session(cart: dict[int, int]) -> dict[str, int]:
    return {str(product_id): quantity for product_id, quantity in cart.items()}


def _sellable_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not product.active:
        raise CartError("This product is not sold any more.")
    return product


def _check_quantity(product: Product, quantity: int) -> None:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CartError(f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}.")
    if product.stock == 0:
        raise CartError(f"“{product.title}” is sold out.")
    if quantity > product.stock:
        raise CartError(f"Only {product.stock} of “{product.title}” left in stock.")


def add_to_cart(cart: dict[int, int], product_id: int, quantity: int) -> tuple[dict[int, int], Product]:
    """The cart with `quantity` more of the product; raises CartError when it cannot be sold."""
    product = _sellable_product(product_id)
    if product_id not in cart and len(cart) >= MAX_CART_LINES:
        raise CartError(f"A cart holds at most {MAX_CART_LINES} different products.")
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CartError(f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}.")
    _check_quantity(product, cart.get(product_id, 0) + quantity)
    return {**cart, product_id: cart.get(product_id, 0) + quantity}, product


def set_cart_quantity(cart: dict[int, int], product_id: int, quantity: int) -> dict[int, int]:
    """The cart with the product's quantity set; 0 removes it."""
    if product_id not in cart:
        raise CartError("That product is not in your cart.")
    if quantity == 0:
        return remove_from_cart(cart, product_id)
    _check_quantity(_sellable_product(product_id), quantity)
    return {**cart, product_id: quantity}


def remove_from_cart(cart: dict[int, int], product_id: int) -> dict[int, int]:
    return {pid: qty for pid, qty in cart.items() if pid != product_id}


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int
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
        return [RequestedLine(line.product.id, line.quantity) for line in self.lines]


def _line_problem(product: Product, quantity: int, currency: str) -> str:
    if not product.active or product.currency != currency:
        return "No longer sold: please remove it."
    if product.stock == 0:
        return "Sold out: please remove it."
    if quantity > product.stock:
        return f"Only {product.stock} left: lower the quantity."
    return ""


def summarize_cart(cart: dict[int, int], currency: str, shipping: ShippingRule) -> CartSummary:
    """Lines with today's catalog prices; products that vanished are left out."""
    products = db.session.scalars(select(Product).where(Product.id.in_(cart)).order_by(Product.title)) if cart else []
    lines = [
        CartLine(p, cart[p.id], p.price.times(cart[p.id]), _line_problem(p, cart[p.id], currency)) for p in products
    ]
    subtotal = Money.zero(currency)
    for line in lines:
        if line.line_total.currency == currency:
            subtotal += line.line_total
    shipping_cost = shipping.cost_for(subtotal) if lines else Money.zero(currency)
    return CartSummary(lines=lines, subtotal=subtotal, shipping=shipping_cost, total=subtotal + shipping_cost)
