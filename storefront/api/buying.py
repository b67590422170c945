"""Buying through the API: place an order (attributed from the visitor's cookies, as on the web), pay it, read it.

Choices: the buyer reads and pays an order with the bearer token of the account that placed
it, or with the `order_token` handed out once when it was placed (`?token=` or the
`X-Order-Token` header); anyone else gets a 404, so order ids cannot be probed. An unknown or
unsold product is a 422 and a line short of stock a 409, each naming the line. A declined
test card is a 402 and the order stays payable; an order already paid, expired or canceled
is a 409.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import current_app, request
from flask_babel import gettext as _, lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, EmailStr, Field, field_validator

from share.models import SelfReferral
from share.services import find_order_attribution
from storefront.api import blueprint
from storefront.api.framework import ApiProblem, endpoint, caller
from storefront.api.schemas import Strict, Text
from storefront.catalog.services import MAX_ID
from storefront.checkout.cart import MAX_CART_LINES
from storefront.checkout.forms import COUNTRIES
from storefront.checkout.services import StoreSettings, check_out, referral_from_visit, release_expired_reservations
from storefront.extensions import db
from storefront.orders import services as orders
from storefront.orders.access import is_order_access_token, order_access_token, remember_placed_order
from storefront.orders.models import Order, OrderStatus
from storefront.payments import services as payments
from storefront.payments.providers import ProviderError, UnknownProvider, active_provider, get_provider
from storefront.payments.test_provider import TestPaymentOutcome, TestPaymentProvider, UnknownTestCard, pay_with_test_card
from storefront.web import absolute_url

ORDER_TOKEN_HEADER = "X-Order-Token"
_COUNTRY_CODES = frozenset(choice.value for choice in COUNTRIES)
_NOT_FOUND = _l("We could not find that order. Send the bearer token of the account that placed it, or its order token.")


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError(_("must not be blank"))
    return value


#: Required text: spaces alone are no answer (the web form's DataRequired says the same).
NotBlank = AfterValidator(_not_blank)
#: ... and the schema says so, so generated clients and fuzzers send text with something in it.
_VISIBLE = {"pattern": r"\S"}


class AddressIn(Strict):
    line1: Annotated[Text, Field(min_length=1, max_length=200, json_schema_extra=_VISIBLE), NotBlank]
    line2: Annotated[Text, Field(max_length=200)] = ""
    city: Annotated[Text, Field(min_length=1, max_length=100, json_schema_extra=_VISIBLE), NotBlank]
    region: Annotated[Text, Field(max_length=100)] = ""
    postal_code: Annotated[Text, Field(min_length=1, max_length=20, json_schema_extra=_VISIBLE), NotBlank]
    #: One of the checkout's countries (ISO 3166-1 alpha-2); the schema lists them.
    country: str = Field(max_length=2, description="ISO 3166-1 alpha-2 country code, e.g. BR.",
                         json_schema_extra={"enum": sorted(_COUNTRY_CODES)})

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        if value not in _COUNTRY_CODES:
            raise ValueError(_("not a country we ship to; use an ISO 3166-1 alpha-2 code such as BR or US"))
        return value


class LineIn(Strict):
    product_id: int = Field(ge=1, le=MAX_ID)
    quantity: int = Field(ge=1, le=orders.MAX_LINE_QUANTITY)


class OrderIn(Strict):
    email: EmailStr = Field(max_length=254)
    name: Annotated[Text, Field(min_length=1, max_length=120, json_schema_extra=_VISIBLE), NotBlank]
    shipping_address: AddressIn
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_CART_LINES)

    @field_validator("lines")
    @classmethod
    def _each_product_once(cls, lines: list[LineIn]) -> list[LineIn]:
        if len({line.product_id for line in lines}) != len(lines):
            raise ValueError(_("name each product once, with its whole quantity"))
        return lines


class OrderAccessQuery(Strict):
    token: str | None = Field(default=None, max_length=100, description=(
        "The order token from the order's creation (or send it in the X-Order-Token header); "
        "not needed with the bearer token of the account that placed the order."
    ))


class TestPaymentIn(Strict):
    __test__ = False  # not a pytest test class

    card_number: str = Field(pattern=r"^[\d\s-]{12,23}$", description=(
        "A test card: 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined."
    ))


class OrderLineOut(BaseModel):
    """One line of an order as it was sold: title, SKU and price are a snapshot."""

    id: int
    product_id: int
    sku: str
    title: str
    unit_price_minor: int
    quantity: int
    line_total_minor: int


class AddressOut(BaseModel):
    """Where the order ships."""

    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str


class AttributedShopOut(BaseModel):
    """The curator's shop credited with the order."""

    id: int
    handle: str


class OrderOut(BaseModel):
    """An order as its buyer sees it; amounts are in minor units of `currency`."""

    id: int
    number: str
    status: OrderStatus
    currency: str
    subtotal_minor: int
    shipping_minor: int
    total_minor: int
    refunded_minor: int
    created_at: datetime
    #: A pending order not paid by then expires and its stock is released.
    expires_at: datetime
    paid_at: datetime | None
    #: Pending and not past `expires_at`.
    payable: bool
    email: str
    name: str
    shipping_address: AddressOut
    #: Null for a direct sale (and when the buyer is the curator themself).
    attributed_shop: AttributedShopOut | None
    lines: list[OrderLineOut]


class PaymentOut(BaseModel):
    """Where the buyer pays: the payment provider's page."""

    provider: str
    url: str


class OrderCreatedOut(BaseModel):
    """The new order (its stock reserved until `expires_at`), where to pay it, and its order token (shown only this once)."""

    order: OrderOut
    payment: PaymentOut
    order_token: str


def _attributed_shop(order: Order) -> AttributedShopOut | None:
    record = find_order_attribution(order.id)
    if record is None or record.shop is None or record.self_referral == SelfReferral.SELF:
        return None
    return AttributedShopOut(id=record.shop.id, handle=record.shop.handle)


def order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id, number=order.number, status=order.status_enum, currency=order.currency,
        subtotal_minor=order.subtotal_minor, shipping_minor=order.shipping_minor, total_minor=order.total_minor,
        refunded_minor=order.refunded_minor, created_at=order.created_at, expires_at=order.expires_at, paid_at=order.paid_at,
        payable=orders.is_payable(order), email=order.email, name=order.customer_name,
        shipping_address=AddressOut(
            line1=order.address_line1, line2=order.address_line2, city=order.city, region=order.region,
            postal_code=order.postal_code, country=order.country,
        ),
        attributed_shop=_attributed_shop(order),
        lines=[
            OrderLineOut(id=line.id, product_id=line.product_id, sku=line.sku, title=line.title,
                         unit_price_minor=line.unit_price_minor, quantity=line.quantity, line_total_minor=line.line_total_minor)
            for line in order.lines
        ],
    )


def _line_problem(body: OrderIn, error: orders.LineError) -> ApiProblem:
    index = next((i for i, line in enumerate(body.lines) if line.product_id == error.product_id), None)
    short_of_stock = isinstance(error, orders.OutOfStock)
    if index is None:
        return ApiProblem(409 if short_of_stock else 422, str(error))
    field = "quantity" if short_of_stock else "product_id"
    detail = str(error) if short_of_stock else _("Product %(id)s is not sold (unknown or withdrawn).", id=error.product_id)
    return ApiProblem(409 if short_of_stock else 422, _("Line %(number)s: %(detail)s", number=index + 1, detail=detail), errors=[
        {"field": f"lines.{index}.{field}", "pointer": f"/lines/{index}/{field}", "detail": detail},
    ])


def _buyer_order(order_id: int, token: str | None) -> Order:
    """The order when the caller placed it (same account) or holds its token; otherwise a 404."""
    order = db.session.get(Order, order_id) if order_id <= MAX_ID else None
    if order is None:
        raise ApiProblem(404, str(_NOT_FOUND))
    user = caller()
    token = token or request.headers.get(ORDER_TOKEN_HEADER)
    if user is not None and order.user_id == user.id:
        return order
    if token and is_order_access_token(order, token):
        return order
    raise ApiProblem(404, str(_NOT_FOUND))


@endpoint(blueprint, "POST", "/orders", summary="Place an order", tag="buying", body=OrderIn,
          responses={201: OrderCreatedOut}, description=(
              "Reserves the stock and opens a payment. The order is attributed from the caller's cookies exactly as the "
              "web checkout does: a client that followed a share link (/s/<code>) with the same cookie jar credits that "
              "curator. Signed in (bearer token), the order belongs to the account; either way keep `order_token`."
          ))
def create_order(body: OrderIn) -> OrderCreatedOut:
    if release_expired_reservations():
        # Kept even if this order fails: others' abandoned units are for sale again.
        db.session.commit()
    user = caller()
    user_id = user.id if user is not None else None
    address = body.shipping_address
    customer = orders.CustomerDetails(
        email=str(body.email), name=body.name, address_line1=address.line1, address_line2=address.line2,
        city=address.city, region=address.region, postal_code=address.postal_code, country=address.country,
    )
    provider = active_provider()
    try:
        order, payment_url = check_out(
            [orders.RequestedLine(line.product_id, line.quantity) for line in body.lines], customer, user_id=user_id,
            settings=StoreSettings.from_config(current_app.config), provider=provider,
            referral=referral_from_visit(request, user_id),
        )
    except orders.LineError as error:
        raise _line_problem(body, error) from None
    except orders.OrderError as error:
        raise ApiProblem(422, str(error)) from None
    except ProviderError as error:
        raise ApiProblem(503, _("The payment provider did not answer (%(error)s); nothing was ordered. Try again.", error=error),
                         headers={"Retry-After": "30"}) from None
    db.session.commit()
    # A cookie-keeping client (a browser) may then open the payment page and the order page, as after a web checkout.
    remember_placed_order(order)
    return OrderCreatedOut(
        order=order_out(order), payment=PaymentOut(provider=provider.name, url=absolute_url(payment_url)),
        order_token=order_access_token(order),
    )


@endpoint(blueprint, "GET", "/orders/<int:order_id>", summary="An order of mine", tag="buying", query=OrderAccessQuery,
          responses={200: OrderOut}, description=(
              "For the account that placed it (bearer token) or whoever holds its order token (`?token=` or the "
              "X-Order-Token header); anyone else gets a 404."
          ))
def get_order(order_id: int, query: OrderAccessQuery) -> OrderOut:
    return order_out(_buyer_order(order_id, query.token))


@endpoint(blueprint, "POST", "/orders/<int:order_id>/test-payment", summary="Pay an order with a test card", tag="buying",
          body=TestPaymentIn, query=OrderAccessQuery, responses={200: OrderOut}, description=(
              "Only with the built-in test provider: the card's outcome is delivered as a signed event to the same "
              "webhook pipeline a real provider uses, and the order is paid by that event. A declined card is a 402 "
              "(try again); an order already paid, expired or canceled, or another provider, is a 409."
          ))
def pay_order_with_test_card(order_id: int, body: TestPaymentIn, query: OrderAccessQuery) -> OrderOut:
    order = _buyer_order(order_id, query.token)
    try:
        provider = get_provider("test")
    except UnknownProvider:
        raise ApiProblem(409, _("The test payment provider is switched off here: pay at the order's payment URL.")) from None
    assert isinstance(provider, TestPaymentProvider)
    payment = payments.find_latest_payment(order, provider.name)
    if payment is None:
        raise ApiProblem(409, _("This order is not paid through the test provider: pay at its payment URL."))
    try:
        outcome = pay_with_test_card(provider, payment, body.card_number)
    except UnknownTestCard as error:
        raise ApiProblem(422, str(error), errors=[{"field": "card_number", "pointer": "/card_number", "detail": str(error)}]) from None
    # The event (a decline included) and an expiry found on the way are facts: keep them whatever we answer.
    db.session.commit()
    if outcome is TestPaymentOutcome.DECLINED:
        raise ApiProblem(402, _("The card was declined. Nothing was charged; the order can still be paid with another card."))
    if outcome is TestPaymentOutcome.ORDER_CLOSED:
        if order.paid_at is not None:
            closed = _("This order cannot be paid: it is already paid.")
        elif order.status_enum is OrderStatus.EXPIRED:
            closed = _("This order cannot be paid: it is expired.")
        elif order.status_enum is OrderStatus.CANCELED:
            closed = _("This order cannot be paid: it is canceled.")
        else:
            closed = _("This order cannot be paid: it is %(status)s.", status=order.status_enum.value)
        raise ApiProblem(409, closed)
    return order_out(order)
