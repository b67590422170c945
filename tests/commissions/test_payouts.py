"""Paying curators: threshold, debt netted first, two phases, manual files and transfers, recovery, returns."""
from __future__ import annotations

from typing import Any

import pytest
from flask import current_app
from sqlalchemy import select

from commissions import ledger, payout_runs, payouts, services
from commissions.models import CommissionStatus, Payout, PayoutMethod, PayoutRun, PayoutStatus
from storefront.payments.models import ConnectedAccount
from storefront.payments.providers import active_provider
from tests.commissions.conftest import balances, commissions_of

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def earned(create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any, database: Any) -> Any:
    """Make a curator's commission available: `earned(price_minor)` → (shop, order); 5% of it is theirs."""
    def earn(price_minor: int, shop: Any = None) -> tuple[Any, Any]:
        product = create_product(price_minor=price_minor, stock=100)
        shop = shop or create_shop(product)
        order = sell(shop, (product, 1))
        frozen_clock.advance(days=31)
        services.mature_due()
        database.session.commit()
        return shop, order
    return earn


def run(method: PayoutMethod = PayoutMethod.MANUAL, minimum: int = 5000) -> payout_runs.RunReport:
    return payout_runs.start_run(method, currency="USD", minimum_minor=minimum, provider=active_provider(), started_by_user_id=None)


def test_a_curator_under_the_threshold_is_not_paid(earned: Any) -> None:
    shop, _order = earned(10_000)  # 5.00 available
    report = run()
    assert report.reserved == [] and balances(shop.user_id)["available"] == 500


def test_a_manual_payout_reserves_then_settles_when_the_file_is_paid(earned: Any, database: Any) -> None:
    shop, order = earned(200_000)  # 100.00 available
    report = run()
    assert [p.amount_minor for p in report.reserved] == [10_000]
    assert (balances(shop.user_id)["available"], balances(shop.user_id)["in_payout"]) == (0, 10_000)
    assert payout_runs.mark_manual_run_paid(report.run, actor_user_id=None) == 1
    now = balances(shop.user_id)
    assert (now["in_payout"], now["paid"]) == (0, 10_000)
    assert commissions_of(order)[0].status == CommissionStatus.PAID
    assert ledger.check_ledger().ok


def test_a_failed_manual_line_puts_the_money_back(earned: Any) -> None:
    shop, order = earned(200_000)
    payout = run().reserved[0]
    payout_runs.mark_manual_payout_failed(payout, "account closed", actor_user_id=None)
    assert payout.status == PayoutStatus.VOIDED and balances(shop.user_id)["available"] == 10_000
    assert commissions_of(order)[0].status == CommissionStatus.AVAILABLE and commissions_of(order)[0].payout_id is None


def test_a_second_run_pays_nobody_twice(earned: Any) -> None:
    earned(200_000)
    assert len(run().reserved) == 1
    again = run()
    assert again.reserved == [] and again.skipped == {}  # their available balance is in the first payout


def test_a_clawback_is_netted_from_the_next_payout(earned: Any, refund: Any, database: Any) -> None:
    shop, first_order = earned(200_000)
    payout_runs.mark_manual_run_paid(run().run, actor_user_id=None)
    refund(first_order, first_order.total_minor)  # after payout: the curator owes 100.00
    assert balances(shop.user_id)["receivable"] == 10_000
    earned(300_000, shop)  # 150.00 more available
    report = run()
    assert [(p.amount_minor, p.netted_minor) for p in report.reserved] == [(5_000, 10_000)]
    assert balances(shop.user_id)["receivable"] == 0 and ledger.check_ledger().ok


def test_a_transfer_payout_needs_an_enabled_payout_account(earned: Any, database: Any) -> None:
    shop, _order = earned(200_000)
    report = run(PayoutMethod.STRIPE)
    assert report.reserved == [] and report.skipped == {shop.user_id: "no payout account with payouts enabled"}
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="tacct_ana", payouts_enabled=True))
    database.session.commit()
    paid = run(PayoutMethod.STRIPE)
    assert [p.status for p in paid.settled] == [PayoutStatus.SETTLED] and balances(shop.user_id)["paid"] == 10_000


def test_recovery_finishes_a_payout_left_reserved_without_paying_twice(earned: Any, database: Any, frozen_clock: Any) -> None:
    shop, _order = earned(200_000)
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="tacct_ana", payouts_enabled=True))
    payout_run = PayoutRun(method=PayoutMethod.STRIPE, currency="USD")
    database.session.add(payout_run)
    database.session.flush()
    payout = payouts.reserve(payout_run, shop.user_id, minimum_minor=5000, destination="tacct_ana").payout
    database.session.commit()
    frozen_clock.advance(minutes=11)  # old enough that no run is still paying it
    provider = active_provider()
    made = provider.create_transfer(destination="tacct_ana", amount_minor=payout.amount_minor, currency="USD",  # type: ignore[attr-defined]
                                    idempotency_key="k", group=payout.reference)
    report = payout_runs.recover(provider)
    assert [p.provider_reference for p in report.settled] == [made]
    assert payout_runs.recover(provider).settled == []
    assert balances(shop.user_id)["paid"] == 10_000


def test_a_reversed_transfer_returns_the_money_to_available(earned: Any, database: Any) -> None:
    from storefront.payments.providers import EventKind

    shop, order = earned(200_000)
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="tacct_ana", payouts_enabled=True))
    database.session.commit()
    payout = run(PayoutMethod.STRIPE).settled[0]
    result = active_provider().deliver(EventKind.TRANSFER_REVERSED, {  # type: ignore[attr-defined]
        "payment_reference": payout.provider_reference, "amount_minor": payout.amount_minor,
    })
    assert "returned to available" in result.outcome
    assert payout.status == PayoutStatus.RETURNED and balances(shop.user_id)["available"] == 10_000
    assert commissions_of(order)[0].status == CommissionStatus.PAID and ledger.check_ledger().ok


def test_the_run_command_reserves_a_payout_per_curator_over_the_threshold(app: Any, earned: Any, database: Any) -> None:
    shop, _order = earned(200_000)
    earned(20_000)  # 10.00: under PAYOUT_MIN_MINOR
    assert current_app.config["PAYOUT_MIN_MINOR"] == 5000
    result = app.test_cli_runner().invoke(args=["payouts", "run", "--method", "manual"])
    assert result.exit_code == 0 and "1 payout(s) reserved" in result.output
    assert [p.curator_user_id for p in database.session.scalars(select(Payout))] == [shop.user_id]


def test_a_transfer_run_with_a_provider_without_transfers_is_refused(app: Any, monkeypatch: Any) -> None:
    from storefront.payments.test_provider import TestPaymentProvider

    monkeypatch.delattr(TestPaymentProvider, "create_transfer")
    result = app.test_cli_runner().invoke(args=["payouts", "run", "--method", "stripe"])
    assert result.exit_code == 1 and "cannot send transfers" in result.output



def test_a_partial_reversal_returns_only_what_came_back_and_adds_up(earned: Any, database: Any) -> None:
    from storefront.payments.providers import EventKind

    shop, _order = earned(200_000)
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="tacct_ana", payouts_enabled=True))
    database.session.commit()
    payout = run(PayoutMethod.STRIPE).settled[0]
    provider = active_provider()
    for so_far in (3_000, 3_000, 10_000):  # partial, the same event again, then the rest
        provider.deliver(EventKind.TRANSFER_REVERSED, {"payment_reference": payout.provider_reference, "amount_minor": so_far})  # type: ignore[attr-defined]
        if so_far == 3_000:
            assert balances(shop.user_id)["available"] == 3_000
    assert payout.status == PayoutStatus.RETURNED and balances(shop.user_id)["available"] == 10_000 and ledger.check_ledger().ok


def test_an_unknown_outcome_leaves_the_payout_reserved_and_recovery_pays_once(earned: Any, database: Any, frozen_clock: Any, monkeypatch: Any) -> None:
    from storefront.payments.providers import ProviderError
    from storefront.payments.test_provider import TestPaymentProvider

    shop, _order = earned(200_000)
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="tacct_ana", payouts_enabled=True))
    database.session.commit()
    real_create = TestPaymentProvider.create_transfer

    def made_then_timed_out(self: Any, **kwargs: Any) -> str:
        real_create(self, **kwargs)
        raise ProviderError("timed out")

    monkeypatch.setattr(TestPaymentProvider, "create_transfer", made_then_timed_out)
    report = run(PayoutMethod.STRIPE)
    assert report.unknown and report.unknown[0].status == PayoutStatus.RESERVED and report.voided == []
    monkeypatch.setattr(TestPaymentProvider, "create_transfer", real_create)
    frozen_clock.advance(minutes=11)
    assert len(payout_runs.recover(active_provider()).settled) == 1
    assert run(PayoutMethod.STRIPE).reserved == [] and balances(shop.user_id)["paid"] == 10_000


def test_a_refused_transfer_voids_the_payout(earned: Any, database: Any) -> None:
    shop, _order = earned(200_000)
    database.session.add(ConnectedAccount(user_id=shop.user_id, provider="test", reference="acct_not_ours", payouts_enabled=True))
    database.session.commit()
    report = run(PayoutMethod.STRIPE)
    assert [p.status for p in report.voided] == [PayoutStatus.VOIDED] and balances(shop.user_id)["available"] == 10_000


def test_a_transfer_payout_cannot_be_marked_failed_by_hand(earned: Any, database: Any) -> None:
    shop, _order = earned(200_000)
    payout_run = PayoutRun(method=PayoutMethod.STRIPE, currency="USD")
    database.session.add(payout_run)
    database.session.flush()
    payout = payouts.reserve(payout_run, shop.user_id, minimum_minor=5000, destination="tacct_x").payout
    with pytest.raises(payouts.PayoutError, match="fails only when the provider says so"):
        payout_runs.mark_manual_payout_failed(payout, "no", actor_user_id=None)


def test_a_zero_threshold_still_pays_only_positive_balances(earned: Any) -> None:
    earned(200_000)
    assert [p.amount_minor for p in run(minimum=0).reserved] == [10_000]


def test_a_commission_in_a_payout_being_paid_cannot_be_held(earned: Any) -> None:
    _shop, order = earned(200_000)
    run()
    with pytest.raises(services.CommissionError, match="in a payout"):
        services.hold(commissions_of(order)[0], reason="fraud", actor_user_id=None)
