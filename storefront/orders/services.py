"""Placing orders, reserving and releasing stock, and the order's life after payment.

Services flush and never commit: the view, CLI command or webhook handler commits once.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, or_, select, update

from storefront import clock
from storefront.catalog.models import Product
from storefront.catalog.services import version_after_stock_move
from storefront.extensions import db
from storefront.i18n import format_money
from storefront.listing import Page, clamp_page
from storefront.money import Money
from storefront.orders.models import Order, OrderLine, OrderStatus
from storefront.orders.states import open_order, transition_order, transition_order_now

log = logging.getLogger(__name__)

ORDER_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAX_LINE_QUANTITY = 99


class OrderError(Exception):
    """An order that cannot be placed or changed; the message is safe to show to a shopper."""


class EmptyCart(OrderError):
    pass


class LineError(OrderError):
    """A problem with one requested line: `product_id` says which, so a caller can point at it."""

    def __init__(self, message: str, product_id: int | None = None) -> None:
        super().__init__(message)
        self.product_id = product_id


class ProductUnavailable(LineError):
    pass


class OutOfStock(LineError):
    pass


class OrderNotFound(LookupError):
    pass


@dataclass(frozen=True)
class RequestedLine:
    product_id: int
    quantity: int
    #: The curator's shop this line came through, already checked by the caller.
    shop_id: int | None = None


@dataclass(frozen=True)
class CustomerDetails:
    email: str
    name: str
    address_line1: str
    address_line2: str
    city: str
    region: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class ShippingRule:
    flat: Money
    free_from: Money

    def cost_for(self, subtotal: Money) -> Money:
        return Money.zero(subtotal.currency) if subtotal.minor >= self.free_from.minor else self.flat


def new_order_number() -> str:
    return "V" + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(9))


def _reserve_stock(product_id: int, quantity: int) -> bool:
    """Take `quantity` units off the shelf atomically; False when fewer are left.

    One conditional UPDATE: the database decides who gets the last unit, so two checkouts can
    never both take it, whatever the isolation level.
    """
    result = db.session.execute(
        update(Product)
        .where(Product.id == product_id, Product.active.is_(True), Product.stock >= quantity)
        .values(stock=Product.stock - quantity, version=version_after_stock_move(-quantity))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _release_stock(order: Order) -> None:
    for line in order.lines:
        db.session.execute(
            update(Product)
            .where(Product.id == line.product_id)
            .values(stock=Product.stock + line.quantity, version=version_after_stock_move(line.quantity))
            .execution_options(synchronize_session=False)
        )


def place_order(
    requested: list[RequestedLine],
    customer: CustomerDetails,
    *,
    user_id: int | None,
    currency: str,
    shipping: ShippingRule,
    payment_timeout: timedelta,
) -> Order:
    """Create a pending order and reserve its stock.

    Titles, SKUs and prices are read from the database, never taken from the request. Raises
    EmptyCart, ProductUnavailable or OutOfStock; on error the caller rolls back, so no unit
    stays reserved by a failed attempt.
    """
    lines = [line for line in requested if line.quantity > 0]
    if not lines:
        raise EmptyCart(_("Your cart is empty."))
    if any(line.quantity > MAX_LINE_QUANTITY for line in lines):
        raise OrderError(_("At most %(max)d of one product per order.", max=MAX_LINE_QUANTITY))
    products = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_([l.product_id for l in lines])))}
    order_lines: list[OrderLine] = []
    subtotal = Money.zero(currency)
    # A fixed order of locks (by product id) keeps two multi-line checkouts from deadlocking.
    for line in sorted(lines, key=lambda l: l.product_id):
        product = products.get(line.product_id)
        if product is None or not product.active or product.currency != currency:
            raise ProductUnavailable(_("A product in your cart is no longer sold. Please review your cart."), line.product_id)
        if not _reserve_stock(product.id, line.quantity):
            db.session.refresh(product)
            left = max(product.stock, 0)
            message = (_("Not enough stock of “%(product)s”: only %(num)d left.", product=product.title, num=left) if left
                       else _("Not enough stock of “%(product)s”: it is sold out.", product=product.title))
            raise OutOfStock(message, product.id)
        line_total = product.price.times(line.quantity)
        subtotal += line_total
        order_lines.append(
            OrderLine(
                product_id=product.id, sku=product.sku, title=product.title,
                unit_price_minor=product.price_minor, quantity=line.quantity, line_total_minor=line_total.minor,
                shop_id=line.shop_id,
            )
        )
    shipping_cost = shipping.cost_for(subtotal)
    now = clock.now()
    number = new_order_number()
    while db.session.scalar(select(Order.id).where(Order.number == number)) is not None:
        number = new_order_number()
    order = Order(
        number=number, user_id=user_id, email=customer.email.strip().lower(), customer_name=customer.name.strip(),
        address_line1=customer.address_line1.strip(), address_line2=customer.address_line2.strip(),
        city=customer.city.strip(), region=customer.region.strip(), postal_code=customer.postal_code.strip(),
        country=customer.country.strip().upper(), currency=currency, subtotal_minor=subtotal.minor,
        shipping_minor=shipping_cost.minor, total_minor=(subtotal + shipping_cost).minor,
        created_at=now, expires_at=now + payment_timeout, lines=order_lines, status_changes=[],
    )
    open_order(order, actor="customer" if user_id is None else f"user:{user_id}")
    db.session.add(order)
    db.session.flush()
    log.info("order %s placed: %s lines, total %s", order.number, len(order_lines), order.total)
    return order


def find_order_by_number(number: str, *, lock: bool = False) -> Order | None:
    query = select(Order).where(Order.number == number)
    if lock:
        # Read again under the lock even when this session loaded the order before: what it decides from must be
        # what the locked row holds now, not what another transaction changed since.
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def get_order_by_number(number: str, *, lock: bool = False) -> Order:
    order = find_order_by_number(number, lock=lock)
    if order is None:
        raise OrderNotFound(number)
    return order


def list_orders_for_user(user_id: int, limit: int = 100) -> list[Order]:
    query = select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def is_payable(order: Order, now: datetime | None = None) -> bool:
    return order.status_enum is OrderStatus.PENDING and order.expires_at > (now or clock.now())


def cancel_order(order: Order, *, actor: str, reason: str) -> None:
    """pending → canceled, giving the reserved stock back."""
    if transition_order(order, OrderStatus.CANCELED, actor=actor, reason=reason):
        _release_stock(order)


def expire_order(order: Order) -> bool:
    """pending → expired with its stock released; True when it moved."""
    moved = transition_order(order, OrderStatus.EXPIRED, actor="system", reason="not paid in time")
    if moved:
        _release_stock(order)
    return moved


#: Why a pending order past its time may not expire yet, as SQL conditions on `orders`. A later domain adds its own when
#: the app starts (payments: a payment event for the order waits in the queue), since orders may import none of them.
_expiry_holds: list[Callable[[], ColumnElement[bool]]] = []


def hold_expiry_while(condition: Callable[[], ColumnElement[bool]]) -> None:
    """Keep due orders for which `condition()` holds from expiring (each app's start adds it again: kept once)."""
    if condition not in _expiry_holds:
        _expiry_holds.append(condition)


def _not_held() -> list[ColumnElement[bool]]:
    return [~hold() for hold in _expiry_holds]


def expire_if_overdue(order: Order) -> bool:
    """Expire one pending order whose payment time is over (locking it first); True when it moved."""
    locked = find_order_by_number(order.number, lock=True)
    if locked is None or locked.status_enum is not OrderStatus.PENDING or locked.expires_at > clock.now():
        return False
    if _expiry_holds and db.session.scalar(select(exists().where(Order.id == locked.id, *_not_held()))) is False:
        return False
    return expire_order(locked)


def expire_due_orders(now: datetime | None = None, limit: int = 500) -> int:
    """Expire pending orders whose payment time is over; returns how many moved.

    Rows are locked and others' locked rows skipped (PostgreSQL), so two workers never expire
    the same order and a payment being recorded for one is not overtaken.
    """
    query = (
        select(Order)
        .where(Order.status == OrderStatus.PENDING, Order.expires_at <= (now or clock.now()), *_not_held())
        .order_by(Order.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return sum(expire_order(order) for order in db.session.scalars(query))


def mark_order_paid(order: Order, *, actor: str) -> bool:
    """pending → paid, written at once (in Core: every payment runs this). An order already paid is left alone
    (False); expired or canceled raises."""
    moved = transition_order_now(order, OrderStatus.PAID, actor=actor, reason="payment confirmed", also={"paid_at": clock.now()})
    if moved:
        log.info("order %s paid", order.number)
    return moved


def record_order_refund(order: Order, amount: Money, *, actor: str) -> None:
    """Add a refunded amount; the order becomes partially_refunded or, once all is back, refunded."""
    if amount.currency != order.currency or amount.minor <= 0:
        raise OrderError(_("A refund must be a positive amount in the order's currency."))
    refunded = order.refunded + amount
    if refunded.minor > order.total_minor:
        raise OrderError(_("Cannot refund %(amount)s: only %(left)s is left to refund.", amount=format_money(amount),
                           left=format_money(order.total - order.refunded)))
    target = OrderStatus.REFUNDED if refunded.minor == order.total_minor else OrderStatus.PARTIALLY_REFUNDED
    transition_order(order, target, actor=actor, reason=f"refund of {amount}")
    order.refunded_minor = refunded.minor


@dataclass(frozen=True)
class OrderFilter:
    """What operators search orders by: a number or an e-mail (text), a status, a shop credited on a line."""

    text: str = ""
    status: OrderStatus | None = None
    shop_id: int | None = None


def _filtered_orders(search: OrderFilter):  # type: ignore[no-untyped-def]
    query = select(Order)
    text = search.text.strip()
    if text:
        query = query.where(or_(Order.number == text.upper(), func.lower(Order.email) == text.lower()))
    if search.status is not None:
        query = query.where(Order.status == search.status)
    if search.shop_id is not None:
        query = query.where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.shop_id == search.shop_id)))
    return query


def search_orders(search: OrderFilter, *, page: int = 1, per_page: int = 50) -> Page[Order]:
    query = _filtered_orders(search)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = clamp_page(page, total, per_page)
    orders = list(db.session.scalars(query.order_by(Order.created_at.desc(), Order.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return Page(items=orders, page=page, per_page=per_page, total=total)


def all_matching_orders(search: OrderFilter) -> Iterator[Order]:
    """Every matching order, streamed (for the CSV export)."""
    yield from db.session.scalars(_filtered_orders(search).order_by(Order.id).execution_options(yield_per=500))
