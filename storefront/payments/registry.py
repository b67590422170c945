"""Which payment provider this app runs with, chosen by PAYMENT_PROVIDER (only that one is switched on); and orders
wait for their queued payments before they expire."""
from __future__ import annotations

from flask import Flask

from storefront.orders import services as orders
from storefront.payments.providers import register_provider
from storefront.payments.queue import payment_queued_for_order
from storefront.payments.test_provider import TestPaymentProvider, webhook_secret_for

AVAILABLE_PROVIDERS = ("test", "stripe")


def init_app(app: Flask) -> None:
    orders.hold_expiry_while(payment_queued_for_order)
    name = app.config["PAYMENT_PROVIDER"]
    if name not in AVAILABLE_PROVIDERS:
        raise RuntimeError(f"PAYMENT_PROVIDER={name!r} is not available; choose one of: {', '.join(AVAILABLE_PROVIDERS)}")
    if name == "stripe":
        # Imported only here: the stripe package (5 MB, 25 beside the aiohttp that localstripe installs) is of no use
        # to a worker that never talks to Stripe.
        from storefront.payments.stripe_provider import StripeProvider, StripeSettings

        register_provider(app, StripeProvider(StripeSettings.from_config(app.config)))
        return
    secret = webhook_secret_for(app.config["SECRET_KEY"], app.config["TEST_PAYMENT_WEBHOOK_SECRET"])
    register_provider(app, TestPaymentProvider(webhook_secret=secret))
