"""Random sequences of sales through several curators, refunds (by amount and by line), maturations, holds and
decisions, disputes, payouts and replays keep the ledger exact.

After every step: debits equal credits; every balance equals the sum of its transfers and
respects its floor; each commission nets exactly rate × (line paid − refunded on the line) rounded
down, never more; the refunds' parts add up to the order's refunds; a replay posts nothing.
"""
from __future__ import annotations

from typing import Any

import pytest

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from commissions import ledger, rules, services
from commissions.listeners import settings_from_config
from commissions.ledger import Posting, Transfer
from commissions.models import CommissionStatus, LedgerTransaction, LedgerTransfer, RateScope
from storefront.extensions import db
from storefront.payments.models import Payment, Refund
from storefront.payments.services import refundable_by_line, refunded_by_line
from tests.commissions.conftest import commissions_of
from tests.commissions.test_lifecycle import pay_out

#: One request context for the whole test keeps the objects it makes attached to one session.
pytestmark = pytest.mark.usefixtures("request_context")


def test_the_ledger_stays_exact_under_random_histories(
    app: Any, sell: Any, refund: Any, refund_lines: Any, create_shop: Any, create_product: Any, frozen_clock: Any, database: Any,
) -> None:
    curators = [create_shop(create_product(), handle=f"curator-{n}") for n in range(2)]
    catalog = [create_product(price_minor=price, stock=100_000) for price in (1, 333, 1999, 12_345, 99_999)]
    rules.set_rate(RateScope.PRODUCT, catalog[2].id, 1234)
    rules.set_rate(RateScope.CATEGORY, catalog[0].category_id, 750)
    db.session.commit()
    commission_settings = settings_from_config(app.config)

    class LedgerHistory(RuleBasedStateMachine):
        orders = Bundle("orders")

        def __init__(self) -> None:
            super().__init__()
            self.mine: list[Any] = []
            self.lost: set[int] = set()

        @rule(target=orders, lines=st.lists(
            st.tuples(st.sampled_from(catalog), st.integers(1, 3), st.sampled_from(curators)),
            min_size=1, max_size=3, unique_by=lambda line: line[0].id,
        ))
        def sell_through_curators(self, lines: list[tuple[Any, int, Any]]) -> Any:
            order = sell(None, *lines)
            self.mine.append(order)
            return order

        @rule(order=orders, share=st.integers(1, 100))
        def refund_part(self, order: Any, share: int) -> None:
            left = order.total_minor - order.refunded_minor
            if left > 0:
                refund(order, max(1, left * share // 100))

        @rule(order=orders, which=st.integers(0, 2), share=st.integers(1, 100))
        def refund_part_of_one_line(self, order: Any, which: int, share: int) -> None:
            left = {key: amount for key, amount in refundable_by_line(order).items() if key is not None and amount > 0}
            if left:
                line_id = sorted(left)[which % len(left)]
                refund_lines(order, {line_id: max(1, left[line_id] * share // 100)})

        @rule(order=orders)
        def refund_the_rest(self, order: Any) -> None:
            left = order.total_minor - order.refunded_minor
            if left > 0:
                refund(order, left)

        @rule(days=st.integers(0, 40))
        def time_passes_and_commissions_mature(self, days: int) -> None:
            frozen_clock.advance(days=days)
            services.mature_due()
            db.session.commit()

        @rule(order=orders, which=st.integers(0, 2))
        def operator_holds(self, order: Any, which: int) -> None:
            open_ = [c for c in commissions_of(order) if c.status in (CommissionStatus.PENDING, CommissionStatus.AVAILABLE)]
            if open_:
                services.hold(open_[which % len(open_)], reason="fraud review", actor_user_id=None)
                db.session.commit()

        @rule(order=orders, reject=st.booleans())
        def operator_decides(self, order: Any, reject: bool) -> None:
            held = [c for c in commissions_of(order) if c.status == CommissionStatus.HELD]
            if held:
                decide = services.reject if reject else services.release
                decide(held[0], reason="decided", actor_user_id=None)
                db.session.commit()

        @rule(order=orders, won=st.booleans())
        def a_dispute_opens_and_closes(self, order: Any, won: bool) -> None:
            reference = f"dp_{order.id}_{len(self.lost)}_{won}"
            services.hold_for_dispute(order, dispute_reference=reference)
            db.session.commit()
            services.close_dispute(order, dispute_reference=reference, won=won)
            db.session.commit()
            if not won:
                self.lost.add(order.id)

        @rule(order=orders)
        def a_payout_settles(self, order: Any) -> None:
            for commission in commissions_of(order):
                if commission.status == CommissionStatus.AVAILABLE and commission.net_minor > 0:
                    pay_out(commission)
            db.session.commit()

        @rule(order=orders)
        def replays_post_nothing(self, order: Any) -> None:
            before = db.session.scalar(select(func.count()).select_from(LedgerTransfer))
            payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.paid_the_order.is_(True)))
            assert services.earn_for_paid_order(order, payment, commission_settings) == []
            last_refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id.desc()).limit(1))
            if last_refund is not None:
                assert services.reverse_for_refund(order, last_refund) == 0
            assert db.session.scalar(select(func.count()).select_from(LedgerTransfer)) == before

        @rule(pick=st.integers(0, 10_000))
        def a_ledger_transaction_replayed_posts_nothing(self, pick: int) -> None:
            transactions = db.session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.id)).all()
            if not transactions:
                return
            original = transactions[pick % len(transactions)]
            before = db.session.scalar(select(func.count()).select_from(LedgerTransfer))
            again, posted = ledger.post(Posting(
                original.idempotency_key, original.kind, original.cause_type, original.cause_id,
                [Transfer(t.debit_account, t.credit_account, t.amount_minor, t.commission_id) for t in original.transfers],
            ))
            assert (posted, again.id) == (False, original.id)
            assert db.session.scalar(select(func.count()).select_from(LedgerTransfer)) == before

        @invariant()
        def the_ledger_balances_and_agrees_with_every_commission(self) -> None:
            result = ledger.check_ledger()
            assert result.ok, result.problems
            assert result.debits == result.credits

        @invariant()
        def each_commission_nets_the_rate_of_what_is_left_rounded_down(self) -> None:
            for order in self.mine:
                given = refunded_by_line(order)
                assert sum(given.values()) == order.refunded_minor
                for commission in commissions_of(order):
                    left = commission.base_minor - given.get(commission.order_line_id, 0)
                    assert left >= 0
                    ceiling = left * commission.rate_bps // 10_000
                    if commission.status == CommissionStatus.REJECTED or order.id in self.lost:
                        assert commission.net_minor == 0
                    else:
                        assert commission.net_minor == ceiling
                    assert 0 <= commission.net_minor <= commission.earned_minor

    run_state_machine_as_test(LedgerHistory, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
