"""WEBHOOK_QUEUE: the webhook answers once the signed event is stored, and the worker applies it later."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from commissions.models import Commission
from storefront.orders.models import Order, OrderStatus
from storefront.payments import queue, webhooks
from storefront.payments.models import WebhookEvent
from storefront.payments.providers import EventKind
from storefront.payments.queue import ATTENTION_AFTER_FAILURES, StopFlag, apply_queued, queue_state, retry_delay
from storefront.payments.services import start_payment
from tests.conftest import Browser


@pytest.fixture(autouse=True)
def queued_webhooks(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_QUEUE", True)


def post(browser: Any, provider: Any, kind: EventKind, data: dict[str, object]) -> Any:
    body, headers = provider.build_event(kind, data)
    return browser.client.post("/webhooks/test", data=body, headers=dict(headers))


def post_paid(browser: Any, provider: Any, order: Order, payment: Any) -> Any:
    return post(browser, provider, EventKind.PAYMENT_SUCCEEDED, {
        "order_number": order.number, "payment_reference": payment.reference, "amount_minor": order.total_minor, "currency": "USD",
    })


def post_refunded(browser: Any, provider: Any, payment: Any, amount: int) -> Any:
    return post(browser, provider, EventKind.REFUND_SUCCEEDED, {
        "payment_reference": payment.reference, "refund_reference": "re_queued", "amount_minor": amount, "currency": "USD",
    })


def status_of(database: Any, order: Order) -> str:
    return database.session.scalar(select(Order.status).where(Order.id == order.id))


def records(database: Any) -> list[WebhookEvent]:
    database.session.expire_all()
    return list(database.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def fail_payments(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_event: Any) -> str:
        raise RuntimeError("the handler broke")

    monkeypatch.setitem(webhooks.HANDLERS, EventKind.PAYMENT_SUCCEEDED, broken)


def test_a_queued_event_is_acknowledged_and_the_order_waits(browser: Any, provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    response = post_paid(browser, provider, order, payment)
    assert response.status_code == 200 and response.json == {"received": True, "duplicate": False, "queued": True}
    assert status_of(database, order) == OrderStatus.PENDING
    [record] = records(database)
    assert (record.applied_at, record.outcome) == (None, "")


def test_the_worker_applies_a_queued_payment(browser: Any, provider: Any, started: Any, database: Any, frozen_clock: Any) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)

    assert apply_queued(limit=10).applied == 1

    assert status_of(database, order) == OrderStatus.PAID
    [record] = records(database)
    assert (record.outcome, record.applied_at) == ("applied", frozen_clock.now())


def test_a_redelivered_queued_event_is_a_duplicate(browser: Any, provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    body, headers = provider.build_event(EventKind.PAYMENT_SUCCEEDED, {
        "order_number": order.number, "payment_reference": payment.reference, "amount_minor": order.total_minor, "currency": "USD",
    })
    browser.client.post("/webhooks/test", data=body, headers=dict(headers))
    again = browser.client.post("/webhooks/test", data=body, headers=dict(headers))
    assert again.json == {"received": True, "duplicate": True, "queued": False}
    assert apply_queued(limit=10).applied == 1 and len(records(database)) == 1


def test_a_bad_signature_is_refused_and_nothing_is_queued(browser: Any, provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    body, headers = provider.build_event(EventKind.PAYMENT_SUCCEEDED, {"order_number": order.number, "payment_reference": payment.reference})
    response = browser.client.post("/webhooks/test", data=body + b" ", headers=dict(headers))
    assert response.status_code == 400 and records(database) == []


def test_an_applied_event_is_not_applied_again(browser: Any, provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    apply_queued(limit=10)
    assert apply_queued(limit=10).taken == 0


def test_a_batch_takes_the_oldest_events_first(browser: Any, provider: Any, started: Any, database: Any) -> None:
    """A refund queued before its payment waits for it, and the payment, applied next, applies it: the end state of
    any arrival order."""
    order, payment = started
    post_refunded(browser, provider, payment, 1000)
    post_paid(browser, provider, order, payment)

    assert apply_queued(limit=1).applied == 1
    assert records(database)[0].outcome.startswith("deferred: waiting for payment")
    assert apply_queued(limit=1).applied == 1

    database.session.refresh(order)
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 1000)
    assert [record.outcome for record in records(database)] == ["applied", "applied"]


def test_a_failing_event_is_rolled_back_alone_and_the_batch_goes_on(
    browser: Any, provider: Any, started: Any, place_order: Any, database: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    other_order = place_order()
    other_payment, _url = start_payment(other_order, provider)
    post(browser, provider, EventKind.PAYMENT_FAILED, {"order_number": other_order.number, "payment_reference": other_payment.reference})
    fail_payments(monkeypatch)

    result = apply_queued(limit=10)

    assert (result.applied, result.failed) == (1, 1)
    assert status_of(database, order) == OrderStatus.PENDING
    assert database.session.scalars(select(Commission)).all() == []
    failed, applied = records(database)
    assert failed.applied_at is None and failed.outcome == "failed (attempt 1): RuntimeError: the handler broke"
    assert applied.applied_at is not None


def test_a_failed_event_waits_its_delay_then_is_applied(
    browser: Any, provider: Any, started: Any, database: Any, monkeypatch: pytest.MonkeyPatch, frozen_clock: Any,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    with monkeypatch.context() as broken:
        fail_payments(broken)
        apply_queued(limit=10)

    frozen_clock.advance(seconds=retry_delay(1).total_seconds() - 1)
    assert apply_queued(limit=10).taken == 0
    frozen_clock.advance(seconds=1)
    assert apply_queued(limit=10).applied == 1

    assert status_of(database, order) == OrderStatus.PAID
    [record] = records(database)
    assert (record.outcome, record.attempts, record.retry_at) == ("applied", 1, None)


@pytest.fixture
def after_each_failure(
    browser: Any, provider: Any, started: Any, monkeypatch: pytest.MonkeyPatch, frozen_clock: Any,
) -> Callable[[Callable[[], object]], list[object]]:
    """A queued payment whose handler breaks: tried until it is flagged, each time when due, `observe`d after each try."""
    order, payment = started
    post_paid(browser, provider, order, payment)
    fail_payments(monkeypatch)

    def tried(observe: Callable[[], object]) -> list[object]:
        seen = []
        for failures in range(1, ATTENTION_AFTER_FAILURES + 1):
            apply_queued(limit=1)
            seen.append(observe())
            frozen_clock.advance(seconds=retry_delay(failures).total_seconds())
        return seen

    return tried


def test_an_event_that_keeps_failing_is_flagged_for_operators(after_each_failure: Any, database: Any) -> None:
    flags = after_each_failure(lambda: records(database)[0].needs_attention)
    assert flags == [False] * (ATTENTION_AFTER_FAILURES - 1) + [True]


def test_retry_delays_grow_then_repeat() -> None:
    delays = [retry_delay(failures) for failures in range(1, 8)]
    assert delays == sorted(delays) and delays[-1] == delays[-2] == timedelta(hours=1)


def test_the_queue_state_counts_what_waits(
    browser: Any, provider: Any, started: Any, database: Any, monkeypatch: pytest.MonkeyPatch, frozen_clock: Any,
) -> None:
    order, payment = started
    received = frozen_clock.now()
    post_paid(browser, provider, order, payment)
    frozen_clock.advance(minutes=1)
    post_refunded(browser, provider, payment, 1000)
    fail_payments(monkeypatch)
    apply_queued(limit=1)

    state = queue_state()

    assert (state.queued, state.failing, state.oldest_received_at) == (2, 1, received)


def test_the_work_command_applies_what_is_due_and_says_what_is_left(
    browser: Any, provider: Any, started: Any, runner: Any, database: Any,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)

    result = runner.invoke(args=["payments", "work", "--until-empty", "--batch", "1"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["applied 1 payment event(s)", "stopped: 1 event(s) applied; 0 still queued"]
    assert status_of(database, order) == OrderStatus.PAID


def test_the_work_command_refuses_a_batch_of_none(runner: Any) -> None:
    result = runner.invoke(args=["payments", "work", "--batch", "0"])
    assert result.exit_code == 2 and "--batch" in result.output


def test_the_queue_command_is_quiet_about_an_empty_queue(runner: Any) -> None:
    result = runner.invoke(args=["payments", "queue"])
    assert (result.exit_code, result.stdout) == (0, "no payment event is queued\n")


def test_the_queue_command_fails_when_an_event_waits_too_long(
    browser: Any, provider: Any, started: Any, runner: Any, frozen_clock: Any,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    frozen_clock.advance(minutes=5)
    assert runner.invoke(args=["payments", "queue", "--max-age", "5"]).exit_code == 0
    frozen_clock.advance(seconds=1)

    result = runner.invoke(args=["payments", "queue", "--max-age", "5"])

    assert result.exit_code == 1 and "the queue is stuck" in result.output
    assert "1 payment event(s) queued; the oldest arrived 301 s ago" in result.stdout


def test_the_queue_command_fails_once_an_event_keeps_failing(after_each_failure: Any, runner: Any) -> None:
    exit_codes = after_each_failure(lambda: runner.invoke(args=["payments", "queue", "--max-age", "60"]).exit_code)
    assert exit_codes == [0] * (ATTENTION_AFTER_FAILURES - 1) + [1]


def test_a_failed_event_leaves_none_of_what_its_handler_wrote(
    browser: Any, provider: Any, started: Any, database: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    pays = webhooks.HANDLERS[EventKind.PAYMENT_SUCCEEDED]

    def pays_then_breaks(event: Any) -> str:
        pays(event)
        raise RuntimeError("broke after paying")

    monkeypatch.setitem(webhooks.HANDLERS, EventKind.PAYMENT_SUCCEEDED, pays_then_breaks)
    assert apply_queued(limit=1).failed == 1

    assert status_of(database, order) == OrderStatus.PENDING
    assert database.session.scalars(select(Commission)).all() == []


def test_a_stop_ends_the_batch_after_the_event_in_hand(
    browser: Any, provider: Any, started: Any, place_order: Any, database: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    post_refunded(browser, provider, payment, 1000)
    stop = StopFlag()
    pays = webhooks.HANDLERS[EventKind.PAYMENT_SUCCEEDED]

    def pays_then_stop_arrives(event: Any) -> str:
        stop.set()
        return pays(event)

    monkeypatch.setitem(webhooks.HANDLERS, EventKind.PAYMENT_SUCCEEDED, pays_then_stop_arrives)
    assert apply_queued(limit=10, stop=stop).taken == 1
    assert [record.applied_at is not None for record in records(database)] == [True, False]


def test_a_worker_reads_again_what_another_changed_since_its_last_event(
    browser: Any, provider: Any, started: Any, database: Any,
) -> None:
    """A worker's session outlives its events: a refund it applies must see the refunds other workers applied since."""
    order, payment = started
    post_paid(browser, provider, order, payment)
    apply_queued(limit=1)
    database.session.scalar(select(Order).where(Order.id == order.id))  # loaded into the worker's session, paid
    orders = Order.__table__  # Core, as another worker's refund would be: nothing in this session learns of it
    database.session.connection().execute(update(orders).where(orders.c.id == order.id).values(refunded_minor=order.total_minor - 100))
    database.session.commit()
    post_refunded(browser, provider, payment, 500)

    apply_queued(limit=1)

    assert records(database)[1].outcome == "needs review: refund larger than what is left on the order"


def test_a_failure_counted_meanwhile_by_another_worker_is_not_counted_again(
    browser: Any, provider: Any, started: Any, database: Any,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    [record] = records(database)
    database.session.execute(update(WebhookEvent).where(WebhookEvent.id == record.id).values(attempts=1))
    stale_row = SimpleNamespace(id=record.id, provider="test", event_id=record.event_id, attempts=0)

    queue._fail(stale_row, RuntimeError("late"))

    assert (records(database)[0].attempts, records(database)[0].outcome) == (1, "")


def test_a_waiting_event_that_fails_does_not_hold_its_payment_back(
    browser: Any, provider: Any, started: Any, database: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, payment = started
    post_refunded(browser, provider, payment, 1000)
    post_paid(browser, provider, order, payment)
    apply_queued(limit=1)  # the refund waits for its payment

    def broken(_event: Any) -> str:
        raise RuntimeError("the refund handler broke")

    monkeypatch.setitem(webhooks.HANDLERS, EventKind.REFUND_SUCCEEDED, broken)
    assert apply_queued(limit=1).applied == 1

    assert status_of(database, order) == OrderStatus.PAID
    refund, paid = records(database)
    assert refund.waiting_for is not None and paid.outcome == "applied"
    assert refund.needs_attention and refund.outcome.startswith("needs review: failed once its payment arrived")


def test_an_order_whose_payment_is_queued_does_not_expire(
    browser: Any, provider: Any, started: Any, runner: Any, database: Any, frozen_clock: Any,
) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)  # queued, and no worker runs
    frozen_clock.advance(minutes=31)  # past the order's payment time

    assert runner.invoke(args=["orders", "expire"]).output.startswith("0 order(s) expired")
    browser.get("/cart")  # shoppers' pages expire due orders too

    assert status_of(database, order) == OrderStatus.PENDING
    apply_queued(limit=1)
    assert status_of(database, order) == OrderStatus.PAID


def test_a_queued_decline_does_not_keep_its_order_from_expiring(
    browser: Any, provider: Any, started: Any, runner: Any, database: Any, frozen_clock: Any,
) -> None:
    order, payment = started
    post(browser, provider, EventKind.PAYMENT_FAILED, {"order_number": order.number, "payment_reference": payment.reference})
    frozen_clock.advance(minutes=31)
    runner.invoke(args=["orders", "expire"])
    assert status_of(database, order) == OrderStatus.EXPIRED


def test_orders_expire_while_the_queue_keeps_up(browser: Any, provider: Any, started: Any, runner: Any, database: Any,
                                                frozen_clock: Any) -> None:
    order, _payment = started
    frozen_clock.advance(minutes=31)
    assert runner.invoke(args=["orders", "expire"]).exit_code == 0
    assert status_of(database, order) == OrderStatus.EXPIRED


def test_a_refund_that_missed_its_payment_is_applied_by_the_workers_retry(
    browser: Any, provider: Any, started: Any, database: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order, payment = started
    post_refunded(browser, provider, payment, 1000)
    apply_queued(limit=1)
    with monkeypatch.context() as side_by_side:  # as when two workers apply the refund and the payment at once
        side_by_side.setattr(webhooks, "_apply_waiting", lambda _provider, _keys: None)
        post_paid(browser, provider, order, payment)
        apply_queued(limit=1)
    assert records(database)[0].waiting_for is not None

    assert queue.retry_all_waiting() == 1

    database.session.refresh(order)
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 1000)


def test_the_workers_retry_leaves_events_whose_payment_has_not_come(browser: Any, provider: Any, started: Any,
                                                                     database: Any) -> None:
    _order, payment = started
    post_refunded(browser, provider, payment, 1000)
    apply_queued(limit=1)
    before = records(database)[0].outcome

    assert queue.retry_all_waiting() == 0
    assert records(database)[0].outcome == before


class RecordedStop(StopFlag):
    """A stop whose waits are recorded, not slept."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)


def test_the_worker_applies_batch_after_batch_until_stopped(browser: Any, provider: Any, started: Any, database: Any) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    stop, reports = RecordedStop(), []

    def report(result: Any) -> None:
        reports.append(result.applied)
        stop.set()

    assert queue.work(10, 0.2, stop, report) == 1
    assert reports == [1] and status_of(database, order) == OrderStatus.PAID


def test_the_worker_tries_a_failing_database_again_further_apart(monkeypatch: pytest.MonkeyPatch, request_context: None) -> None:
    stop = RecordedStop()

    def database_down(_limit: int, _stop: Any = None) -> Any:
        if len(stop.waits) == 4:
            stop.set()
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(queue, "apply_queued", database_down)
    queue.work(10, 0.2, stop, lambda _result: None)
    assert stop.waits == [0.2, 0.4, 0.8, 1.6, 3.2]


def test_draining_the_queue_by_hand_says_when_the_database_fails(monkeypatch: pytest.MonkeyPatch, runner: Any) -> None:
    def database_down(_limit: int, _stop: Any = None) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(queue, "apply_queued", database_down)
    result = runner.invoke(args=["payments", "work", "--until-empty"])
    assert result.exit_code == 1 and "error: the database failed: connection refused" in result.output


def test_an_event_stored_without_saying_it_is_queued_counts_as_applied(database: Any) -> None:
    """As a release's older code stores it while the newer one starts: its workers must not apply it again."""
    database.session.execute(text(
        "INSERT INTO webhook_events (provider, event_id, kind, outcome, needs_attention, payload, received_at) "
        "VALUES ('test', 'evt_older_code', 'payment.succeeded', 'applied', false, '{}', :received)"), {"received": datetime.now(UTC)})
    assert database.session.scalar(text("SELECT count(*) FROM webhook_events WHERE applied_at IS NULL")) == 0


def test_an_operator_discards_an_event_that_keeps_failing(
    browser: Any, provider: Any, started: Any, runner: Any, database: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from storefront.audit.services import list_audit_entries

    order, payment = started
    post_paid(browser, provider, order, payment)
    fail_payments(monkeypatch)
    apply_queued(limit=1)
    [record] = records(database)

    result = runner.invoke(args=["payments", "discard", "test", record.event_id, "--reason", "paid by hand in the dashboard"])

    assert result.exit_code == 0, result.output
    [discarded] = records(database)
    assert discarded.applied_at is not None and discarded.outcome == "discarded: paid by hand in the dashboard"
    assert queue_state().queued == 0 and apply_queued(limit=1).taken == 0
    [entry] = list_audit_entries(subject_type="webhook_event", subject_id=record.id)
    assert (entry.action, entry.reason) == ("payment_event.discard", "paid by hand in the dashboard")


def test_an_applied_event_cannot_be_discarded(browser: Any, provider: Any, started: Any, runner: Any, database: Any) -> None:
    order, payment = started
    post_paid(browser, provider, order, payment)
    apply_queued(limit=1)
    [record] = records(database)

    result = runner.invoke(args=["payments", "discard", "test", record.event_id, "--reason", "by mistake"])

    assert result.exit_code == 1 and "was applied already (applied)" in result.output
    assert records(database)[0].outcome == "applied"


def test_discarding_asks_what_was_done_instead(runner: Any) -> None:
    assert runner.invoke(args=["payments", "discard", "test", "evt_1", "--reason", "  "]).exit_code == 2
    assert runner.invoke(args=["payments", "discard", "test", "evt_unknown", "--reason", "x"]).exit_code == 1


def test_operators_see_what_waits_in_the_queue(app: Any, browser: Any, provider: Any, started: Any, create_user: Any) -> None:
    from storefront.accounts.models import Role

    order, payment = started
    post_paid(browser, provider, order, payment)
    create_user(email="op@example.com", role=Role.OPERATOR)
    operator = Browser(app.test_client())
    operator.log_in("op@example.com")

    page = operator.get("/operator/payments").get_data(as_text=True)

    assert "Payment events queued for the workers" in page and "</code>): 1 · the oldest received" in page
    assert "failed at least once: 0" in page
