"""On PostgreSQL with real transactions: a storm of shuffled, duplicated, concurrent webhooks ends in the in-order ledger.

Twenty distinct signed events of the test provider (payments of orders crediting one or two
curators, a declined attempt, an expiry, refunds by line, in proportion and in full, a
dispute lost and one won, a payout account update, an event type we do not handle) are
delivered once in order into an empty database, and the result is kept as a snapshot. Every
table is emptied, the same scenario is set up again, and each event is delivered ten times,
the 200 deliveries shuffled with a fixed seed and posted from ten threads at once, each its
own request. Events that arrive before their payment wait; `retry_waiting` (what `flask
payments sync` runs) applies those that a payment committing at the same moment could not
see. The snapshot must be the same, keyed by what survives a second run (scenario labels,
curator e-mails, account kinds, SKUs) since ids and references differ.

The storm found that a won dispute whose "closed" was applied before its "opened" held the
commissions for good; an opening now finds its dispute closed and changes nothing.
"""
from __future__ import annotations

import json
import queue
import random
import secrets
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storefront.extensions import db
from tests.conftest import CUSTOMER_FORM, empty_every_table, on_postgresql

pytestmark = on_postgresql

THREADS = 10
COPIES = 10
SEED = 20261130
#: Retries of deliveries answered 503, in all; more means the pipeline keeps failing, not a passing deadlock.
MAX_RETRIES = 20
CURATORS = ("ana@example.com", "bea@example.com", "caio@example.com")
#: SKU → unit price; each order line is (label, SKU, quantity, the curator whose shop it was added from or None).
PRODUCTS = {"STORM-BAG": 4000, "STORM-CAP": 2599, "STORM-COAT": 12000, "STORM-SOCK": 1500}
ORDERS: dict[str, list[tuple[str, int, str | None]]] = {
    "A": [("STORM-BAG", 1, "ana"), ("STORM-CAP", 1, "bea")],      # paid; refunded by a line, then the rest
    "B": [("STORM-COAT", 1, "ana"), ("STORM-SOCK", 2, "caio")],   # paid; dispute opened, then lost
    "C": [("STORM-BAG", 1, "bea"), ("STORM-SOCK", 1, "caio")],    # paid; dispute opened, then won
    "D": [("STORM-CAP", 1, "ana")],                               # declined attempt, paid by a second one, refunded in part
    "E": [("STORM-COAT", 1, "caio")],                             # never paid: the checkout expires
    "F": [("STORM-SOCK", 1, None)],                               # paid without a curator, refunded in full
    "G": [("STORM-BAG", 2, "bea")],                               # paid; refunded in part
    "H": [("STORM-CAP", 2, "caio")],                              # declined; stays pending
}


@dataclass
class Scenario:
    """One run's orders and payment attempts by label, and its twenty signed events (body, headers) in their true order."""

    orders: dict[str, str] = field(default_factory=dict)
    payments: dict[str, str] = field(default_factory=dict)
    events: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)


def set_up_scenario(app: Any) -> Scenario:
    """Curators' shops, eight pending orders with their payment attempts, and the provider's events, all committed."""
    from storefront.accounts.services import create_user
    from storefront.catalog.models import Category, Product
    from storefront.checkout.services import StoreSettings
    from storefront.orders.services import CustomerDetails, RequestedLine, place_order
    from storefront.payments.models import ConnectedAccount
    from storefront.payments.providers import EventKind, active_provider
    from storefront.payments.services import start_payment
    from storefront.shops import services as shops

    scenario = Scenario()
    with app.test_request_context():
        provider = active_provider()
        category = Category(name="Storm", slug="storm")
        products = {sku: Product(sku=sku, slug=sku.lower(), title=sku.title(), price_minor=price, currency="USD", stock=50,
                                 category=category) for sku, price in PRODUCTS.items()}
        db.session.add_all(products.values())
        db.session.flush()
        shop_ids = {}
        for email in CURATORS:
            handle = email.split("@")[0]
            curator = create_user(email, handle.title(), "correct horse battery")
            db.session.flush()
            shop = shops.open_shop(curator.id, handle, handle.title())
            for product in products.values():
                shops.add_item(shop, product.id, max_items=60)
            shops.publish_shop(shop)
            shop_ids[handle] = shop.id
            if handle == "bea":
                db.session.add(ConnectedAccount(user_id=curator.id, provider=provider.name, reference="tacct_storm_bea"))
        settings = StoreSettings.from_config(app.config)
        placed = {}
        for label, lines in ORDERS.items():
            order = place_order(
                [RequestedLine(products[sku].id, quantity, shop_ids[handle] if handle else None) for sku, quantity, handle in lines],
                CustomerDetails(**CUSTOMER_FORM), user_id=None, currency="USD", shipping=settings.shipping,
                payment_timeout=timedelta(minutes=30),
            )
            placed[label] = order
            scenario.orders[label] = order.number
            scenario.payments[label] = start_payment(order, provider)[0].reference
        # D's first attempt is declined; the shopper pays with a second one.
        scenario.payments["D1"] = scenario.payments["D"]
        scenario.payments["D"] = start_payment(placed["D"], provider)[0].reference
        line_of_bag_in_a = next(line.id for line in placed["A"].lines if line.sku == "STORM-BAG")
        for kind, data in _events(scenario, placed, line_of_bag_in_a):
            if isinstance(kind, str) and kind not in {k.value for k in EventKind}:
                scenario.events.append(signed_unhandled(provider, kind))
                continue
            body, headers = provider.build_event(kind, data)  # type: ignore[attr-defined]
            scenario.events.append((body, dict(headers)))
        db.session.commit()
        db.session.remove()
    return scenario


def _events(scenario: Scenario, placed: dict[str, Any], line_of_bag_in_a: int) -> list[tuple[Any, dict[str, object]]]:
    from storefront.payments.providers import EventKind, encode_refund_lines

    def paid(label: str) -> tuple[Any, dict[str, object]]:
        order = placed[label]
        return EventKind.PAYMENT_SUCCEEDED, {"order_number": order.number, "payment_reference": scenario.payments[label],
                                             "amount_minor": order.total_minor, "currency": "USD"}

    def declined(label: str, attempt: str) -> tuple[Any, dict[str, object]]:
        order = placed[label]
        return EventKind.PAYMENT_FAILED, {"order_number": order.number, "payment_reference": scenario.payments[attempt],
                                          "amount_minor": order.total_minor, "currency": "USD", "failure_reason": "card_declined"}

    def refunded(label: str, reference: str, amount: int, lines: dict[int, int] | None = None) -> tuple[Any, dict[str, object]]:
        return EventKind.REFUND_SUCCEEDED, {"payment_reference": scenario.payments[label], "refund_reference": reference,
                                            "amount_minor": amount, "currency": "USD",
                                            "refund_lines": encode_refund_lines(lines) if lines else None}

    def dispute(label: str, kind: Any, won: bool | None = None) -> tuple[Any, dict[str, object]]:
        data: dict[str, object] = {"payment_reference": scenario.payments[label], "dispute_reference": f"dp_storm_{label}",
                                   "amount_minor": placed[label].total_minor}
        if won is not None:
            data["dispute_won"] = won
        return kind, data

    def unhandled(kind: str) -> tuple[Any, dict[str, object]]:
        return kind, {}

    total = {label: order.total_minor for label, order in placed.items()}
    return [
        paid("A"), refunded("A", "re_storm_a1", 1000, {line_of_bag_in_a: 1000}), refunded("A", "re_storm_a2", total["A"] - 1000),
        paid("B"), dispute("B", EventKind.DISPUTE_OPENED), dispute("B", EventKind.DISPUTE_CLOSED, won=False),
        paid("C"), dispute("C", EventKind.DISPUTE_OPENED),
        (EventKind.ACCOUNT_UPDATED, {"account_reference": "tacct_storm_bea", "payouts_enabled": True, "details_submitted": True}),
        declined("D", "D1"), paid("D"), refunded("D", "re_storm_d1", 500),
        (EventKind.PAYMENT_EXPIRED, {"order_number": placed["E"].number, "payment_reference": scenario.payments["E"]}),
        paid("F"), refunded("F", "re_storm_f1", total["F"]),
        paid("G"), refunded("G", "re_storm_g1", 2000),
        dispute("C", EventKind.DISPUTE_CLOSED, won=True), declined("H", "H"), unhandled("customer.created"),
    ]


def signed_unhandled(provider: Any, provider_type: str) -> tuple[bytes, dict[str, str]]:
    """A signed event of a type the store does not handle (build_event only makes the handled ones)."""
    from storefront.payments.signatures import sign
    from storefront.payments.test_provider import SIGNATURE_HEADER

    body = json.dumps({"id": "evt_" + secrets.token_urlsafe(18), "type": provider_type, "data": {}}).encode()
    return body, {SIGNATURE_HEADER: sign(provider.webhook_secret, body), "Content-Type": "application/json"}


def snapshot(scenario: Scenario) -> dict[str, Any]:
    """Everything the events decide, keyed by what two runs share; asserts the ledger and the rollups are consistent."""
    from commissions import ledger
    from commissions.analytics import cli as analytics
    from commissions.analytics import facts
    from commissions.models import Commission, LedgerAccount
    from storefront.accounts.models import User
    from storefront.catalog.models import Product
    from storefront.orders.models import Order, OrderLine
    from storefront.payments.models import ConnectedAccount, Payment, Refund, RefundLine, WebhookEvent
    from storefront.shops.models import Shop

    label_of_order = {number: label for label, number in scenario.orders.items()}
    label_of_payment = {reference: label for label, reference in scenario.payments.items()}
    orders = {order.id: order for order in db.session.scalars(select(Order))}
    lines = {line.id: line for line in db.session.scalars(select(OrderLine))}
    emails = {user.id: user.email for user in db.session.scalars(select(User))}
    handles = {shop.id: shop.handle for shop in db.session.scalars(select(Shop))}
    # What each line got back in all. How it is split between an order's refunds depends on their arrival (a refund of
    # chosen lines that no longer fit is spread in proportion), and nothing downstream reads the split.
    refunded_by_line: dict[tuple[str, str], int] = defaultdict(int)
    refunded_orders = {refund.id: refund.order_id for refund in db.session.scalars(select(Refund))}
    for part in db.session.scalars(select(RefundLine)):
        sku = lines[part.order_line_id].sku if part.order_line_id else "shipping"
        refunded_by_line[(label_of_order[orders[refunded_orders[part.refund_id]].number], sku)] += part.amount_minor
    check = ledger.check_ledger()
    assert check.ok, check.problems
    assert analytics.differences() == []
    events = db.session.scalars(select(WebhookEvent)).all()
    assert len(events) == len(scenario.events) and not [e.outcome for e in events if e.waiting_for], [e.outcome for e in events]
    return {
        "orders": {label_of_order[o.number]: (o.status, o.total_minor, o.refunded_minor) for o in orders.values()},
        "payments": {label_of_payment[p.reference]: (p.status, p.paid_the_order, p.failure_reason) for p in db.session.scalars(select(Payment))},
        "refunds": {r.reference: (label_of_order[orders[r.order_id].number], r.amount_minor) for r in db.session.scalars(select(Refund))},
        "refunded by line": refunded_by_line,
        "commissions": {
            (label_of_order[orders[c.order_id].number], lines[c.order_line_id].sku, emails[c.curator_user_id]):
            (c.status, c.base_minor, c.rate_bps, c.earned_minor, c.reversed_minor, c.refunded_base_minor)
            for c in db.session.scalars(select(Commission))
        },
        "balances": {
            **{email: ledger.curator_balances(user_id, "USD") for user_id, email in emails.items()},
            "platform": ledger.balances_by_kind(LedgerAccount.owner == "platform", LedgerAccount.currency == "USD"),
        },
        "attributed sales": {(label_of_order[orders[order_id].number], handles[shop_id]): values
                             for (order_id, shop_id), values in facts.stored_facts().items()},
        "stock": {product.sku: product.stock for product in db.session.scalars(select(Product))},
        "payout accounts": {emails[a.user_id]: (a.payouts_enabled, a.details_submitted) for a in db.session.scalars(select(ConnectedAccount))},
    }


def deliver(app: Any, body: bytes, headers: dict[str, str]) -> int:
    """One delivery, as the provider's server makes it: a POST to the webhook endpoint, its own request and session."""
    return app.test_client().post("/webhooks/test", data=body, headers=headers).status_code


def storm(app: Any, deliveries: list[tuple[bytes, dict[str, str]]]) -> tuple[list[int], list[BaseException]]:
    """Post every delivery from THREADS threads pulling from one shuffled queue; returns the statuses and the failures.

    A 503 (the database said "try again": a deadlock between two first postings) is delivered
    again later, as a provider retries any answer but 2xx.
    """
    work: queue.Queue[tuple[bytes, dict[str, str]]] = queue.Queue()
    for delivery in deliveries:
        work.put(delivery)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        barrier.wait(10)
        while True:
            try:
                body, headers = work.get_nowait()
            except queue.Empty:
                return
            try:
                status = deliver(app, body, headers)
            except Exception as error:  # collected and asserted on, not lost in the thread
                failures.append(error)
                continue
            finally:
                db.session.remove()
            statuses.append(status)
            if status == 503 and statuses.count(503) <= MAX_RETRIES:
                work.put((body, headers))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a delivery thread is stuck"
    return statuses, failures


def in_app(app: Any, work: Callable[[], Any]) -> Any:
    with app.test_request_context():
        try:
            return work()
        finally:
            db.session.remove()


@pytest.fixture
def emptied(app: Any) -> Iterator[None]:
    yield
    empty_every_table()


def test_a_storm_of_shuffled_duplicated_concurrent_webhooks_ends_in_the_in_order_ledger(app: Any, emptied: None) -> None:
    from storefront.payments.providers import active_provider
    from storefront.payments.webhooks import retry_waiting

    # given the ledger of twenty events delivered once, in order
    calm = set_up_scenario(app)
    assert [deliver(app, body, headers) for body, headers in calm.events] == [200] * len(calm.events)
    expected = in_app(app, lambda: snapshot(calm))
    empty_every_table()

    # when the same twenty events arrive ten times each, shuffled, from ten threads at once
    stormy = set_up_scenario(app)
    deliveries = [event for event in stormy.events for _copy in range(COPIES)]
    random.Random(SEED).shuffle(deliveries)
    statuses, failures = storm(app, deliveries)

    def sync() -> int:
        applied = retry_waiting(active_provider())
        db.session.commit()
        return applied

    in_app(app, sync)

    # then every delivery was answered (a 503 was retried, as the provider would), and nothing differs
    assert failures == []
    assert set(statuses) <= {200, 503} and len(statuses) == len(deliveries) + statuses.count(503), statuses
    assert in_app(app, lambda: snapshot(stormy)) == expected
    result = app.test_cli_runner().invoke(args=["commissions", "check"])
    assert result.exit_code == 0 and "the ledger is consistent" in result.output, result.output
