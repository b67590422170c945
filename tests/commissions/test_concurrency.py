"""On PostgreSQL with real transactions: concurrent deliveries and concurrent maturation post each fact once."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from commissions import ledger
from commissions.cli import run_maturation
from commissions.models import Commission, CommissionStatus, LedgerTransaction, LedgerTransfer
from storefront.payments.models import WebhookEvent
from storefront.extensions import db
from tests.conftest import CUSTOMER_FORM, empty_every_table, on_postgresql

pytestmark = on_postgresql
THREADS = 20


@pytest.fixture
def committed_sale(app: Any) -> Iterator[dict[str, Any]]:
    """A curator's shop and a pending order of two lines from it, committed for real; every table emptied afterwards."""
    from storefront.accounts.services import create_user
    from storefront.catalog.models import Category, Product
    from storefront.orders.services import CustomerDetails, RequestedLine, place_order
    from storefront.payments.providers import active_provider
    from storefront.payments.services import start_payment
    from storefront.shops import services as shops
    from storefront.checkout.services import StoreSettings

    with app.test_request_context():
        category = Category(name="Race", slug="race")
        products = [
            Product(sku=f"RACE-{n}", slug=f"race-{n}", title=f"Race {n}", price_minor=price, currency="USD", stock=100, category=category)
            for n, price in enumerate((4000, 2599))
        ]
        db.session.add_all(products)
        curator = create_user("curator@example.com", "Curator", "correct horse battery")
        db.session.flush()
        shop = shops.open_shop(curator.id, "racer", "Racer")
        for product in products:
            shops.add_item(shop, product.id, max_items=60)
        shops.publish_shop(shop)
        settings = StoreSettings.from_config(app.config)
        order = place_order(
            [RequestedLine(p.id, 1, shop.id) for p in products], CustomerDetails(**CUSTOMER_FORM), user_id=None,
            currency="USD", shipping=settings.shipping, payment_timeout=timedelta(minutes=30),
        )
        payment, _url = start_payment(order, active_provider())
        db.session.commit()
        sale = {"order_number": order.number, "total": order.total_minor, "reference": payment.reference, "curator": curator.id}
        db.session.remove()
    yield sale
    empty_every_table()


def run_at_once(app: Any, work: Callable[[], object], threads: int = THREADS) -> list[object]:
    """Start every thread together (a barrier), each in its own request context, session and connection."""
    barrier = threading.Barrier(threads)
    results: list[object] = []

    def one() -> None:
        with app.test_request_context():
            try:
                barrier.wait(10)
                results.append(work())
                db.session.commit()
            except Exception as error:  # collected and asserted on, not lost in the thread
                db.session.rollback()
                results.append(repr(error))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    return results


def payment_event(app: Any, sale: dict[str, Any]) -> tuple[bytes, Any]:
    from storefront.payments.providers import EventKind, active_provider

    with app.test_request_context():
        return active_provider().build_event(EventKind.PAYMENT_SUCCEEDED, {  # type: ignore[attr-defined]
            "order_number": sale["order_number"], "payment_reference": sale["reference"],
            "amount_minor": sale["total"], "currency": "USD",
        })


def pay_committed(app: Any, sale: dict[str, Any]) -> None:
    """The sale's payment event, delivered once and committed."""
    from storefront.payments.webhooks import process_webhook

    body, headers = payment_event(app, sale)
    with app.test_request_context():
        assert process_webhook("test", body, headers).outcome == "applied"
        db.session.commit()
        db.session.remove()


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Commission)) or 0,
        db.session.scalar(select(func.count()).select_from(LedgerTransaction)) or 0,
        db.session.scalar(select(func.count()).select_from(LedgerTransfer)) or 0,
    )


def test_twenty_deliveries_of_one_payment_event_post_one_set_of_commissions(app: Any, committed_sale: dict[str, Any]) -> None:
    from storefront.payments.webhooks import process_webhook

    body, headers = payment_event(app, committed_sale)
    results = run_at_once(app, lambda: process_webhook("test", body, headers).outcome)
    assert sorted(results) == ["applied"] + ["duplicate"] * (THREADS - 1), results
    with app.app_context():
        assert counts() == (2, 2, 2)
        assert ledger.curator_balances(committed_sale["curator"], "USD")[ledger.AccountKind.PENDING] == 200 + 129
        assert ledger.check_ledger().ok


def test_twenty_different_events_for_one_payment_still_post_once(app: Any, committed_sale: dict[str, Any]) -> None:
    from storefront.payments.webhooks import process_webhook

    def deliver_a_fresh_event() -> str:
        body, headers = payment_event(app, committed_sale)
        return process_webhook("test", body, headers).outcome

    results = run_at_once(app, deliver_a_fresh_event)
    assert results.count("applied") == 1 and set(results) <= {"applied", "ignored: order already paid"}, results
    with app.app_context():
        assert counts() == (2, 2, 2)


def test_two_mature_runs_at_once_mature_each_commission_once(app: Any, committed_sale: dict[str, Any], frozen_clock: Any) -> None:

    pay_committed(app, committed_sale)
    frozen_clock.advance(days=31)
    results = run_at_once(app, lambda: run_maturation().matured, threads=2)
    assert all(isinstance(r, int) for r in results) and sum(results) == 2, results  # type: ignore[misc]
    with app.app_context():
        statuses = set(db.session.scalars(select(Commission.status)))
        matured = db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == "mature"))
        assert (statuses, matured) == ({CommissionStatus.AVAILABLE}, 2)
        assert ledger.curator_balances(committed_sale["curator"], "USD")[ledger.AccountKind.AVAILABLE] == 329
        assert ledger.check_ledger().ok


def test_an_operator_hold_decided_on_a_stale_page_sees_the_refund_that_came_first(app: Any, committed_sale: dict[str, Any]) -> None:
    from commissions import services
    from storefront.money import Money
    from storefront.orders.services import find_order_by_number
    from storefront.payments.providers import active_provider
    from storefront.payments.services import refund_order

    pay_committed(app, committed_sale)

    def refund_everything() -> None:
        with app.test_request_context():
            order = find_order_by_number(committed_sale["order_number"])
            refund_order(order, Money(order.total_minor, "USD"), active_provider())
            db.session.commit()
            db.session.remove()

    with app.test_request_context():
        seen = db.session.scalars(select(Commission).order_by(Commission.id)).first()  # the operator's page, loaded
        assert seen is not None and seen.status == CommissionStatus.PENDING
        refund = threading.Thread(target=refund_everything)
        refund.start()
        refund.join(30)
        with pytest.raises(services.CommissionError, match="reversed commission cannot be held"):
            services.hold(seen, reason="fraud review", actor_user_id=None)
        db.session.rollback()
        db.session.remove()
    with app.app_context():
        assert set(db.session.scalars(select(Commission.status))) == {CommissionStatus.REVERSED}
        assert ledger.check_ledger().ok


def test_twenty_deliveries_of_one_signed_stripe_event_apply_once(app: Any, committed_sale: dict[str, Any]) -> None:
    """The same guarantee through the Stripe adapter: one checkout.session.completed, posted twenty times at once."""
    from storefront.payments.models import Payment
    from storefront.payments.stripe_provider import StripeProvider, StripeSettings
    from storefront.payments.webhooks import process_webhook
    from tests.payments.stripe_events import WEBHOOK_SECRET, signed, stripe_event, stripe_object

    providers = app.extensions["payment_providers"]
    providers["stripe"] = StripeProvider(StripeSettings("sk_test_race", WEBHOOK_SECRET, "http://127.0.0.1:8000", api_base="http://127.0.0.1:9"))
    try:
        with app.test_request_context():
            order_id = db.session.scalar(select(Payment.order_id).where(Payment.reference == committed_sale["reference"]))
            db.session.add(Payment(order_id=order_id, provider="stripe", reference="cs_test_race", amount_minor=committed_sale["total"], currency="USD"))
            db.session.commit()
            session = stripe_object(
                "checkout.session", id="cs_test_race", payment_intent="pi_race", payment_status="paid", status="complete",
                amount_total=committed_sale["total"], currency="usd", client_reference_id=committed_sale["order_number"],
                metadata={"order_id": str(order_id), "order_number": committed_sale["order_number"]},
            )
            body, headers = signed(stripe_event("checkout.session.completed", session))
            db.session.remove()
        results = run_at_once(app, lambda: process_webhook("stripe", body, headers).outcome)
    finally:
        providers.pop("stripe", None)
    assert sorted(results) == ["applied"] + ["duplicate"] * (THREADS - 1), results
    with app.app_context():
        assert counts() == (2, 2, 2)


def test_two_payout_runs_at_once_pay_each_curator_once(app: Any, committed_sale: dict[str, Any], frozen_clock: Any) -> None:
    from commissions import payout_runs
    from commissions.models import Payout, PayoutMethod
    from storefront.payments.providers import active_provider

    pay_committed(app, committed_sale)
    frozen_clock.advance(days=31)
    with app.app_context():
        run_maturation()
        db.session.remove()

    def one_run() -> int:
        report = payout_runs.start_run(PayoutMethod.MANUAL, currency="USD", minimum_minor=100, provider=active_provider(),
                                       started_by_user_id=None)
        return len(report.reserved)

    results = run_at_once(app, one_run, threads=2)
    assert sorted(results) == [0, 1], results  # type: ignore[type-var]
    with app.app_context():
        assert [p.amount_minor for p in db.session.scalars(select(Payout))] == [329]
        balances = ledger.curator_balances(committed_sale["curator"], "USD")
        assert (balances[ledger.AccountKind.AVAILABLE], balances[ledger.AccountKind.IN_PAYOUT]) == (0, 329)
        assert ledger.check_ledger().ok


def test_workers_side_by_side_apply_each_queued_event_once(app: Any, committed_sale: dict[str, Any]) -> None:
    """Twenty distinct events for one payment, queued, then four workers at once: each event is taken by one worker,
    one of them pays the order, and the sale is posted once."""
    from storefront.payments.queue import apply_queued
    from storefront.payments.webhooks import process_webhook

    with app.test_request_context():
        for _ in range(THREADS):
            body, headers = payment_event(app, committed_sale)
            assert process_webhook("test", body, headers, queue=True).outcome == "queued"
        db.session.commit()
        db.session.remove()

    results = run_at_once(app, lambda: apply_queued(limit=THREADS).taken, threads=4)

    assert sum(results) == THREADS, results  # type: ignore[arg-type]
    with app.app_context():
        outcomes = db.session.scalars(select(WebhookEvent.outcome)).all()
        assert sorted(set(outcomes)) == ["applied", "ignored: order already paid"] and outcomes.count("applied") == 1
        assert counts() == (2, 2, 2)
