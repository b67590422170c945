"""The local Stripe (tests/stripe_server, a separate process) and a stripe-python client aimed at it.

`stripe_server` (session scope) yields a `StripeServer`: `base_url` plus helpers standing in for the
customer and the dashboard; `stripe_client` is a `stripe.StripeClient` whose API base is that server.
"""
from __future__ import annotations

from tests.stripe_server.fixtures import StripeServer, StripeServerError, stripe_client, stripe_server

__all__ = ["StripeServer", "StripeServerError", "stripe_client", "stripe_server"]
