"""A local Stripe for tests: localstripe (GPL, test-only, run as a separate process) plus our extensions.

`python -m tests.stripe_server.server --port N` serves, on 127.0.0.1 only and in memory only,
localstripe's PaymentIntents, Charges, Refunds, Customers and Events, plus what localstripe lacks
and our Stripe adapter needs: Checkout Sessions, Connect accounts, account links and transfers,
Idempotency-Key replay, and `/_test/...` endpoints that play the customer or the dashboard
(pay a session, finish onboarding, reverse a transfer). Nothing here is imported by the app.
"""
