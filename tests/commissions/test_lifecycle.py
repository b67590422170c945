"""Pending through the return window, then available; holds, rejections, refunds, clawbacks and disputes."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from commissions import ledger, services
from commissions.ledger import Posting, Transfer
from commissions.models import AccountKind, CommissionStatus
from commissions.services import CommissionError
from storefront.audit.models import AuditEntry
from tests.commissions.conftest import balances, commissions_of

#: One request context for the whole test keeps the objects it makes attached to one session.
pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def sale(create_shop: Any, create_product: Any, sell: Any) -> Any:
    """A paid order of 2 × 50.00 through a curator at 5%: 5.00 pending."""
    product = create_product(price_minor=5000, stock=50)
    shop = create_shop(product)
    return sell(shop, (product, 2))


def pay_out(commission: Any) -> None:
    """What a settled payout does to a commission (the payouts issue builds the real two-phase flow)."""
    user, currency = commission.curator_user_id, commission.currency
    ledger.lock_curator(user, currency)
    ledger.post(Posting(f"test-payout:{commission.id}", "payout", "commission", commission.id, [
        Transfer(ledger.account(user, AccountKind.AVAILABLE, currency), ledger.account(user, AccountKind.PAID, currency),
                 commission.net_minor, commission.id),
    ]))
    commission.status = CommissionStatus.PAID


def test_nothing_matures_before_the_hold_period(sale: Any, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(days=29, hours=23)
    assert services.mature_due().matured == 0
    assert commissions_of(sale)[0].status == CommissionStatus.PENDING


def test_after_the_hold_period_the_commission_becomes_available(sale: Any, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(days=30)
    assert services.mature_due().matured == 1
    commission = commissions_of(sale)[0]
    assert commission.status == CommissionStatus.AVAILABLE
    now = balances(commission.curator_user_id)
    assert (now["pending"], now["available"]) == (0, 500)


def test_mature_twice_moves_each_commission_once(sale: Any, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    assert (services.mature_due().matured, services.mature_due().matured) == (1, 0)
    assert balances(commissions_of(sale)[0].curator_user_id)["available"] == 500


def test_the_mature_command_reports_what_it_did(app: Any, sale: Any, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    result = app.test_cli_runner().invoke(args=["commissions", "mature"])
    assert result.exit_code == 0 and "1 commission(s) became available." in result.output
    check = app.test_cli_runner().invoke(args=["commissions", "check"])
    assert check.exit_code == 0 and "the ledger is consistent" in check.output


def test_a_full_refund_reverses_a_pending_commission(sale: Any, refund: Any) -> None:
    refund(sale, sale.total_minor)
    commission = commissions_of(sale)[0]
    assert (commission.status, commission.net_minor) == (CommissionStatus.REVERSED, 0)
    assert balances(commission.curator_user_id)["pending"] == 0


def test_a_partial_refund_reverses_in_proportion_rounding_in_the_platforms_favour(sale: Any, refund: Any) -> None:
    # The order is 100.00 (free shipping from 100.00); refunding 33.33 leaves 66.67 paid: 5% is 3.3335 → 3.33.
    assert sale.shipping_minor == 0
    refund(sale, 3333)
    commission = commissions_of(sale)[0]
    assert commission.net_minor == 333
    assert balances(commission.curator_user_id)["pending"] == 333


def test_partial_refunds_then_the_rest_bring_the_commission_to_exactly_zero(sale: Any, refund: Any) -> None:
    for amount in (1, 3333, 2999):
        refund(sale, amount)
    refund(sale, sale.total_minor - sale.refunded_minor)
    commission = commissions_of(sale)[0]
    assert commission.net_minor == 0 and commission.status == CommissionStatus.REVERSED
    assert ledger.check_ledger().ok


def test_a_refund_after_maturity_takes_from_available(sale: Any, refund: Any, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    services.mature_due()
    database.session.commit()
    refund(sale, 5000)
    commission = commissions_of(sale)[0]
    assert balances(commission.curator_user_id)["available"] == 250 and commission.status == CommissionStatus.AVAILABLE


def test_a_refund_after_payout_is_a_clawback_owed_by_the_curator(sale: Any, refund: Any, database: Any, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    services.mature_due()
    pay_out(commissions_of(sale)[0])
    database.session.commit()
    refund(sale, sale.total_minor)
    commission = commissions_of(sale)[0]
    owed = balances(commission.curator_user_id)
    assert (owed["paid"], owed["receivable"], owed["available"]) == (500, 500, 0)
    assert commission.status == CommissionStatus.REVERSED
    assert ledger.check_ledger().ok


def test_hold_release_and_reject_are_audited(sale: Any, database: Any, create_user: Any) -> None:
    from storefront.accounts.models import Role

    operator = create_user(role=Role.OPERATOR)
    first, second = commissions_of(sale)[0], None
    services.hold(first, reason="fraud review", actor_user_id=operator.id)
    assert balances(first.curator_user_id)["held"] == 500
    services.release(first, reason="looks fine", actor_user_id=operator.id)
    assert (first.status, balances(first.curator_user_id)["pending"]) == (CommissionStatus.PENDING, 500)
    services.hold(first, reason="second look", actor_user_id=operator.id)
    services.reject(first, reason="bought by a bot", actor_user_id=operator.id)
    assert (first.status, first.net_minor, balances(first.curator_user_id)["held"]) == (CommissionStatus.REJECTED, 0, 0)
    actions = list(database.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "commission")))
    assert actions == ["commission.hold", "commission.release", "commission.hold", "commission.reject"]
    assert second is None and ledger.check_ledger().ok


def test_a_release_after_the_hold_period_goes_straight_to_available(sale: Any, frozen_clock: Any) -> None:
    commission = commissions_of(sale)[0]
    services.hold(commission, reason="fraud review", actor_user_id=None)
    frozen_clock.advance(days=40)
    assert services.mature_due().matured == 0
    services.release(commission, reason="ok", actor_user_id=None)
    assert commission.status == CommissionStatus.AVAILABLE and balances(commission.curator_user_id)["available"] == 500


@pytest.mark.parametrize("action", ["release", "reject"])
def test_only_a_held_commission_can_be_released_or_rejected(sale: Any, action: str) -> None:
    with pytest.raises(CommissionError):
        getattr(services, action)(commissions_of(sale)[0], reason="why", actor_user_id=None)


def test_a_hold_needs_a_reason(sale: Any) -> None:
    with pytest.raises(CommissionError, match="Say why"):
        services.hold(commissions_of(sale)[0], reason="  ", actor_user_id=None)


def test_a_dispute_holds_and_a_won_dispute_restores(sale: Any) -> None:
    assert services.hold_for_dispute(sale, dispute_reference="dp_1") == 1
    commission = commissions_of(sale)[0]
    assert commission.status == CommissionStatus.HELD
    services.close_dispute(sale, dispute_reference="dp_1", won=True)
    assert commission.status == CommissionStatus.PENDING and balances(commission.curator_user_id)["pending"] == 500


def test_a_lost_dispute_reverses_like_a_full_refund(sale: Any) -> None:
    services.hold_for_dispute(sale, dispute_reference="dp_2")
    services.close_dispute(sale, dispute_reference="dp_2", won=False)
    commission = commissions_of(sale)[0]
    assert (commission.status, commission.net_minor) == (CommissionStatus.REVERSED, 0)
    assert balances(commission.curator_user_id)["held"] == 0 and ledger.check_ledger().ok


def test_a_refund_of_one_line_reverses_only_that_lines_commission(create_shop: Any, create_product: Any, sell: Any, refund_lines: Any) -> None:
    tee, cap = create_product(price_minor=6000), create_product(price_minor=4000)
    order = sell(create_shop(tee, cap), (tee, 1), (cap, 1))
    tee_line = next(line for line in order.lines if line.product_id == tee.id)
    refund_lines(order, {tee_line.id: 6000})
    by_line = {c.order_line_id: (c.status, c.net_minor) for c in commissions_of(order)}
    assert by_line[tee_line.id] == (CommissionStatus.REVERSED, 0)
    assert [value for line_id, value in by_line.items() if line_id != tee_line.id] == [(CommissionStatus.PENDING, 200)]
    assert ledger.check_ledger().ok


def test_an_amount_refund_is_spread_over_what_is_left_on_each_line(create_shop: Any, create_product: Any, sell: Any, refund: Any, refund_lines: Any) -> None:
    from storefront.payments.services import refunded_by_line

    tee, cap = create_product(price_minor=6000), create_product(price_minor=4000)
    order = sell(create_shop(tee, cap), (tee, 1), (cap, 1))
    tee_line = next(line for line in order.lines if line.product_id == tee.id)
    refund_lines(order, {tee_line.id: 6000})
    refund(order, 1000)
    given = refunded_by_line(order)
    assert given[tee_line.id] == 6000 and sum(given.values()) == 7000
    cap_commission = next(c for c in commissions_of(order) if c.order_line_id != tee_line.id)
    assert cap_commission.net_minor == 150  # 5% of the 30.00 left on the cap line


@pytest.mark.parametrize("lines", [{999999: 100}, {"tee": 0}, {"tee": 6001}])
def test_a_bad_line_refund_is_refused_with_a_message(create_shop: Any, create_product: Any, sell: Any, lines: dict[Any, int]) -> None:
    from storefront.orders.services import OrderError
    from storefront.payments.providers import active_provider
    from storefront.payments.services import refund_order

    tee = create_product(price_minor=6000)
    order = sell(create_shop(tee), (tee, 1))
    tee_line = order.lines[0]
    chosen = {tee_line.id if key == "tee" else key: amount for key, amount in lines.items()}
    with pytest.raises(OrderError, match="Refund"):
        refund_order(order, None, active_provider(), lines=chosen)


def test_one_commission_that_cannot_mature_stops_no_other(app: Any, create_shop: Any, create_product: Any, sell: Any, database: Any, frozen_clock: Any, monkeypatch: Any) -> None:
    first, second = create_product(price_minor=5000), create_product(price_minor=5000)
    broken = commissions_of(sell(create_shop(first), (first, 1)))[0]
    fine = commissions_of(sell(create_shop(second), (second, 1)))[0]
    real_mature = services._mature

    def mature_or_fail(commission: Any) -> None:
        if commission.id == broken.id:
            raise ledger.LedgerError("pending would go below zero")
        real_mature(commission)

    monkeypatch.setattr(services, "_mature", mature_or_fail)
    frozen_clock.advance(days=31)
    result = app.test_cli_runner().invoke(args=["commissions", "mature"])
    assert result.exit_code == 1
    assert "1 commission(s) became available." in result.output
    assert f"error: commission {broken.id} stays pending: pending would go below zero" in result.output
    statuses = {c.id: c.status for c in map(lambda c: database.session.get(type(c), c.id), (broken, fine))}
    assert statuses == {broken.id: CommissionStatus.PENDING, fine.id: CommissionStatus.AVAILABLE}
