"""A paid order earns its curators a pending commission per line, at the rate of the day, rounded down."""
from __future__ import annotations

from typing import Any

import pytest

from sqlalchemy import func, select

from commissions import rules, services
from commissions.listeners import settings_from_config
from commissions.models import Commission, CommissionStatus, LedgerTransaction, RateScope
from share.models import OrderAttribution, SelfReferral
from tests.commissions.conftest import balances, commissions_of, paid_under_review

#: One request context for the whole test keeps the objects it makes attached to one session.
pytestmark = pytest.mark.usefixtures("request_context")


def test_paying_an_attributed_order_creates_one_pending_commission_per_line(create_shop: Any, create_product: Any, sell: Any) -> None:
    tee, cap = create_product(price_minor=2000), create_product(price_minor=1500)
    shop = create_shop(tee, cap)
    order = sell(shop, (tee, 2), (cap, 1))
    made = commissions_of(order)
    assert [(c.base_minor, c.rate_bps, c.earned_minor, c.status) for c in made] == [
        (4000, 500, 200, CommissionStatus.PENDING), (1500, 500, 75, CommissionStatus.PENDING),
    ]
    assert balances(shop.user_id)["pending"] == 275


def test_commission_excludes_shipping_and_rounds_down(create_shop: Any, create_product: Any, sell: Any) -> None:
    product = create_product(price_minor=1999)
    shop = create_shop(product)
    order = sell(shop, (product, 1))
    assert order.shipping_minor > 0
    # 5% of 19.99 is 0.9995: the curator gets 0.99, never a fraction more than was earned.
    assert commissions_of(order)[0].earned_minor == 99


def test_a_direct_sale_earns_nothing(create_product: Any, sell: Any) -> None:
    product = create_product()
    assert commissions_of(sell(None, (product, 1))) == []


def test_the_rate_is_snapshotted_at_payment_and_later_changes_leave_it(create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    product = create_product(price_minor=10000)
    shop = create_shop(product)
    rules.set_rate(RateScope.PRODUCT, product.id, 1200)
    order = sell(shop, (product, 1))
    rules.set_rate(RateScope.PRODUCT, product.id, 100)
    database.session.commit()
    commission = commissions_of(order)[0]
    assert (commission.rate_bps, commission.earned_minor, commission.rate_source) == (1200, 1200, "product rate")


def test_replaying_the_payment_posts_nothing_twice(app: Any, create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    from storefront.payments.models import Payment

    product = create_product()
    order = sell(create_shop(product), (product, 1))
    payment = database.session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert services.earn_for_paid_order(order, payment, settings_from_config(app.config)) == []
    assert database.session.scalar(select(func.count()).select_from(Commission)) == 1
    assert database.session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1


def test_a_suspended_shop_earns_nothing(create_user: Any, create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    from storefront.accounts.models import Role
    from storefront.shops.services import suspend_shop

    product = create_product()
    shop = create_shop(product)
    order = sell(shop, (product, 1), pay=False)
    suspend_shop(shop, actor_user_id=create_user(role=Role.OPERATOR).id, reason="fraud")
    database.session.commit()
    from storefront.payments.providers import active_provider
    from storefront.payments.services import start_payment

    payment, _url = start_payment(order, active_provider())
    active_provider().pay(order=order, reference=payment.reference, card_number="4242424242424242")  # type: ignore[attr-defined]
    assert commissions_of(order) == []


def test_an_order_under_self_referral_review_earns_on_hold(create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    product = create_product()
    shop = create_shop(product, handle="ana")
    order = paid_under_review(sell, shop, product, database)
    commission = commissions_of(order)[0]
    assert commission.status == CommissionStatus.HELD and "self-referral review" in commission.status_reason
    assert balances(shop.user_id)["held"] == commission.earned_minor and balances(shop.user_id)["pending"] == 0


def test_only_the_lines_of_a_shop_under_review_are_held(create_shop: Any, create_product: Any, sell: Any, database: Any) -> None:
    from storefront.payments.providers import active_provider
    from storefront.payments.services import start_payment

    tee, cap = create_product(), create_product()
    ana, bia = create_shop(tee, handle="ana"), create_shop(cap, handle="bia")
    order = sell(None, (tee, 1, ana), (cap, 1, bia), pay=False)
    database.session.add(OrderAttribution(
        order_id=order.id, shop_id=ana.id, rule="last_click", self_referral=SelfReferral.REVIEW,
        review_reasons=["@bia: the curator's e-mail"], review_shop_ids=[bia.id], explanation="test",
    ))
    database.session.commit()
    payment, _url = start_payment(order, active_provider())
    active_provider().pay(order=order, reference=payment.reference, card_number="4242424242424242")  # type: ignore[attr-defined]
    statuses = {c.shop_id: (c.status, c.status_reason) for c in commissions_of(order)}
    assert statuses[ana.id][0] == CommissionStatus.PENDING
    assert statuses[bia.id] == (CommissionStatus.HELD, "self-referral review: @bia: the curator's e-mail")
