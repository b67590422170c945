"""Stripe switches on by configuration only, and refuses unsafe configurations at start."""
from __future__ import annotations

import pytest

from storefront.payments.stripe_provider import StripeSettings

BASE = {"BASE_URL": "https://shop.example.com", "STRIPE_WEBHOOK_SECRET": "whsec_test"}


def test_stripe_needs_both_secrets() -> None:
    with pytest.raises(RuntimeError, match="needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"):
        StripeSettings.from_config({**BASE, "STRIPE_SECRET_KEY": ""})


def test_a_live_key_is_never_sent_to_a_test_server() -> None:
    with pytest.raises(RuntimeError, match="refusing to send a live Stripe key"):
        StripeSettings.from_config({**BASE, "STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_API_BASE": "http://127.0.0.1:8420"})


def test_payment_methods_come_from_configuration() -> None:
    settings = StripeSettings.from_config({**BASE, "STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_PAYMENT_METHODS": "card, pix,wechat_pay"})
    assert settings.payment_methods == ("card", "pix", "wechat_pay")


def test_the_settings_never_print_the_keys() -> None:
    settings = StripeSettings.from_config({**BASE, "STRIPE_SECRET_KEY": "sk_test_secretvalue"})
    assert "sk_test_secretvalue" not in repr(settings) and "whsec_test" not in repr(settings)
