"""Each money event tells its curator once: a paid sale, maturation, a reversal, a payout sent; replays tell nothing more."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from commissions import payout_runs, services
from commissions.listeners import settings_from_config
from commissions.models import PayoutMethod
from storefront.payments.models import Payment, Refund
from storefront.payments.providers import EventKind, active_provider
from tests.commissions.conftest import commissions_of, paid_under_review
from tests.conftest import CUSTOMER_FORM
from tests.notifications.conftest import emails_of, notices_of

#: One request context for the whole test keeps the objects it makes attached to one session.
pytestmark = pytest.mark.usefixtures("request_context")


def kinds(user_id: int) -> list[str]:
    return [notice.kind for notice in notices_of(user_id)]


def run_manual_payouts() -> payout_runs.RunReport:
    return payout_runs.start_run(PayoutMethod.MANUAL, currency="USD", minimum_minor=100, provider=active_provider(),
                                 started_by_user_id=None)


def test_a_paid_sale_tells_its_curator_what_they_earn(sale: Any, curator_id: int) -> None:
    [notice] = notices_of(curator_id)
    assert (notice.kind, notice.title, notice.link_path) == ("sale_paid", "You made a sale: $5.00 earned", "/me/earnings")
    assert sale.number in notice.body
    assert [email.subject for email in emails_of(curator_id)] == ["You made a sale: $5.00 earned"]


def test_a_sale_notice_carries_no_buyer_data(sale: Any, curator_id: int) -> None:
    told = notices_of(curator_id)[0].body + emails_of(curator_id)[0].text_body
    for personal in (CUSTOMER_FORM["email"], CUSTOMER_FORM["name"], CUSTOMER_FORM["address_line1"], CUSTOMER_FORM["city"]):
        assert personal not in told


def test_one_notice_per_curator_per_order(create_shop: Any, create_product: Any, sell: Any) -> None:
    tee, cap, mug = create_product(price_minor=6000), create_product(price_minor=4000), create_product(price_minor=2000)
    ana, bia = create_shop(tee, cap), create_shop(mug)
    sell(ana, (tee, 1), (cap, 1), (mug, 1, bia))
    assert [n.title for n in notices_of(ana.user_id)] == ["You made a sale: $5.00 earned"]
    assert [n.title for n in notices_of(bia.user_id)] == ["You made a sale: $1.00 earned"]


def test_a_replayed_payment_tells_nothing_more(app: Flask, sale: Any, curator_id: int, database: Any) -> None:
    payment = database.session.scalar(select(Payment).where(Payment.order_id == sale.id))
    services.earn_for_paid_order(sale, payment, settings_from_config(app.config))
    active_provider().deliver(EventKind.PAYMENT_SUCCEEDED, {  # type: ignore[attr-defined]
        "order_number": sale.number, "payment_reference": payment.reference, "amount_minor": sale.total_minor, "currency": "USD",
    })
    assert (len(notices_of(curator_id)), len(emails_of(curator_id))) == (1, 1)


def test_maturing_tells_once_how_much_became_available(create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any) -> None:
    product = create_product(price_minor=5000, stock=10)
    shop = create_shop(product)
    sell(shop, (product, 1))
    sell(shop, (product, 3))
    frozen_clock.advance(days=31)
    services.mature_due()
    [notice] = notices_of(shop.user_id, "commission_available")
    assert notice.title == "$10.00 is now available"


def test_maturing_again_tells_nothing_more(sale: Any, curator_id: int, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    services.mature_due()
    services.mature_due()
    assert kinds(curator_id) == ["sale_paid", "commission_available"]


def test_nothing_is_told_before_the_hold_period_ends(sale: Any, curator_id: int, frozen_clock: Any) -> None:
    frozen_clock.advance(days=29)
    services.mature_due()
    assert kinds(curator_id) == ["sale_paid"]


def test_a_hold_released_after_the_hold_period_tells_available(sale: Any, curator_id: int, frozen_clock: Any) -> None:
    commission = commissions_of(sale)[0]
    services.hold(commission, reason="fraud review", actor_user_id=None)
    frozen_clock.advance(days=40)
    services.release(commission, reason="looks fine", actor_user_id=None)
    assert kinds(curator_id) == ["sale_paid", "commission_available"]


def test_a_refund_tells_how_much_was_reversed(sale: Any, curator_id: int, refund: Any) -> None:
    refund(sale, sale.total_minor)
    [notice] = notices_of(curator_id, "commission_reversed")
    assert notice.title == "$5.00 of your commission was reversed" and "refunded" in notice.body and sale.number in notice.body


def test_each_partial_refund_tells_its_own_reversal(sale: Any, curator_id: int, refund: Any) -> None:
    refund(sale, 5000)
    refund(sale, 5000)
    assert [n.title for n in notices_of(curator_id, "commission_reversed")] == [
        "$2.50 of your commission was reversed", "$2.50 of your commission was reversed"]


def test_a_replayed_refund_tells_nothing_more(sale: Any, curator_id: int, refund: Any, database: Any) -> None:
    refund(sale, sale.total_minor)
    services.reverse_for_refund(sale, database.session.scalar(select(Refund).where(Refund.order_id == sale.id)))
    assert len(notices_of(curator_id, "commission_reversed")) == 1 and len(emails_of(curator_id, "commission_reversed")) == 1


def test_a_won_dispute_tells_nothing_reversed(sale: Any, curator_id: int) -> None:
    services.hold_for_dispute(sale, dispute_reference="dp_0")
    services.close_dispute(sale, dispute_reference="dp_0", won=True)
    assert kinds(curator_id) == ["sale_paid"]


def test_a_lost_dispute_tells_reversed(sale: Any, curator_id: int) -> None:
    services.hold_for_dispute(sale, dispute_reference="dp_1")
    services.close_dispute(sale, dispute_reference="dp_1", won=False)
    services.close_dispute(sale, dispute_reference="dp_1", won=False)
    [notice] = notices_of(curator_id, "commission_reversed")
    assert "dispute" in notice.body


def test_a_rejected_commission_tells_reversed(sale: Any, curator_id: int) -> None:
    commission = commissions_of(sale)[0]
    services.hold(commission, reason="fraud review", actor_user_id=None)
    services.reject(commission, reason="bought by a bot", actor_user_id=None)
    [notice] = notices_of(curator_id, "commission_reversed")
    assert "rejected after review" in notice.body and "bot" not in notice.body


def test_a_sent_payout_tells_the_curator_with_a_link_to_its_statement(sale: Any, curator_id: int, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    services.mature_due()
    report = run_manual_payouts()
    payout_runs.mark_manual_run_paid(report.run, actor_user_id=None)
    [notice] = notices_of(curator_id, "payout_sent")
    payout = report.reserved[0]
    assert (notice.title, notice.link_path) == ("Payout sent: $5.00", f"/me/payouts/{payout.id}")
    assert payout.reference in notice.body
    assert f"/me/payouts/{payout.id}" in emails_of(curator_id, "payout_sent")[0].text_body


def test_a_payout_marked_paid_twice_tells_once(sale: Any, curator_id: int, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    services.mature_due()
    report = run_manual_payouts()
    payout_runs.mark_manual_run_paid(report.run, actor_user_id=None)
    payout_runs.mark_manual_run_paid(report.run, actor_user_id=None)
    assert len(notices_of(curator_id, "payout_sent")) == 1


def test_a_failed_payout_tells_nothing(sale: Any, curator_id: int, frozen_clock: Any) -> None:
    frozen_clock.advance(days=31)
    services.mature_due()
    payout_runs.mark_manual_payout_failed(run_manual_payouts().reserved[0], "account closed", actor_user_id=None)
    assert "payout_sent" not in kinds(curator_id)


def test_a_sale_under_self_referral_review_says_it_is_on_hold(create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    product = create_product()
    shop = create_shop(product, handle="ana")
    paid_under_review(sell, shop, product, database)
    [notice] = notices_of(shop.user_id, "sale_paid")
    assert "on hold while we review the sale" in notice.body and "curator's e-mail" not in notice.body


def test_a_big_maturation_batch_names_five_orders_and_counts_the_rest(
    create_shop: Any, create_product: Any, sell: Any, frozen_clock: Any,
) -> None:
    product = create_product(price_minor=2000, stock=20)
    shop = create_shop(product)
    orders = [sell(shop, (product, 1)) for _ in range(7)]
    frozen_clock.advance(days=31)
    services.mature_due()
    [notice] = notices_of(shop.user_id, "commission_available")
    assert notice.title == "$7.00 is now available"
    assert f"from orders {', '.join(o.number for o in orders[:5])} and 2 more is now available" in notice.body
