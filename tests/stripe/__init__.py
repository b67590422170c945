"""Our Stripe code against a local Stripe (tests/stripe_server: localstripe plus our extensions)."""
