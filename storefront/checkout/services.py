"""Turning a cart into a pending order and a payment attempt."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from flask import Request, current_app

from share import visits
from share.attribution import AttributionModel
from storefront.money import Money
from storefront.orders import services as orders
from storefront.orders.models import Order
from storefront.orders.services import CustomerDetails, ShippingRule
from storefront.payments import services as payments
from share.services import AttributionSettings, Shopper, attribute_order
from storefront.payments.providers import PaymentProvider
from storefront.shops.services import earning_pairs


@dataclass(frozen=True)
class StoreSettings:
    currency: str
    shipping: ShippingRule
    payment_timeout: timedelta

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StoreSettings:
        currency = config["CURRENCY"]
        return cls(
            currency=currency,
            shipping=ShippingRule(
                flat=Money(config["SHIPPING_FLAT_MINOR"], currency),
                free_from=Money(config["SHIPPING_FREE_FROM_MINOR"], currency),
            ),
            payment_timeout=timedelta(minutes=config["ORDER_PAYMENT_TIMEOUT_MINUTES"]),
        )


def release_expired_reservations() -> int:
    """Expire unpaid orders past their time, so the cart sees their units as for sale again.

    `flask orders expire` does the same from cron; doing it here too means a shopper never
    sees "sold out" because of someone else's abandoned checkout.
    """
    return orders.expire_due_orders()


@dataclass(frozen=True)
class Referral:
    """What the browser and the account know about the curators who brought this shopper."""

    shopper: Shopper
    settings: AttributionSettings


def referral_from_visit(request: Request, user_id: int | None) -> Referral:
    """What this request's signed attribution cookies, visitor cookie and account say (the web checkout and the API alike)."""
    cookie = visits.read_attribution(request)
    settings = AttributionSettings(
        model=AttributionModel(current_app.config["ATTRIBUTION_MODEL"]), window=visits.attribution_window(),
        salt=visits.identity_salt(),
    )
    shopper = Shopper(touch_ids=cookie.touch_ids if cookie else [], visitor_id=visits.visitor_id(request), user_id=user_id)
    return Referral(shopper=shopper, settings=settings)


def check_out(
    requested: list[orders.RequestedLine],
    customer: CustomerDetails,
    *,
    user_id: int | None,
    settings: StoreSettings,
    provider: PaymentProvider,
    referral: Referral,
) -> tuple[Order, str]:
    """Place the order (stock reserved), record who referred it and why, and open its payment.

    A line added from a shop page names that shop only while the shop still holds the product;
    attribution then decides which shop each line credits.
    """
    earning = earning_pairs({(line.shop_id, line.product_id) for line in requested if line.shop_id})
    requested = [line if (line.shop_id, line.product_id) in earning else replace(line, shop_id=None) for line in requested]
    order = orders.place_order(
        requested, customer, user_id=user_id, currency=settings.currency,
        shipping=settings.shipping, payment_timeout=settings.payment_timeout,
    )
    attribute_order(order, referral.shopper, referral.settings)
    _payment, redirect_url = payments.start_payment(order, provider)
    return order, redirect_url
