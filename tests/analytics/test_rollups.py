"""The rollups kept on the way (clicks, payments, refunds, rejections) equal a rebuild from the raw rows."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from commissions import services
from commissions.analytics import cli as analytics
from commissions.analytics import facts
from commissions.analytics.models import AttributedSale
from commissions.models import Commission
from share.models import LinkHour
from storefront.extensions import db
from tests.analytics.conftest import Scenario


def test_the_incremental_rollups_equal_a_rebuild(app: Flask, scenario: Scenario) -> None:
    with app.test_request_context():
        assert analytics.differences() == []


def test_a_rebuild_writes_the_same_rows(app: Flask, scenario: Scenario) -> None:
    with app.test_request_context():
        before = analytics.link_hours_snapshot(), facts.stored_facts()
        analytics.rebuild_all()
        assert (analytics.link_hours_snapshot(), facts.stored_facts()) == before


def test_a_rejected_commission_leaves_the_sale_and_takes_the_commission(app: Flask, scenario: Scenario) -> None:
    order = scenario.orders[1]
    with app.test_request_context():
        commission = db.session.scalar(select(Commission).where(Commission.order_id == order.id))
        services.hold(commission, reason="looks like a self-purchase", actor_user_id=None)
        services.reject(commission, reason="the curator's own card", actor_user_id=None)
        db.session.commit()
        fact = db.session.get(AttributedSale, (order.id, scenario.shop.id))
        assert (fact.sales_minor, fact.commission_minor) == (3000, 0)
        assert analytics.differences() == []


def test_a_drifted_rollup_is_reported_and_rebuilt(app: Flask, scenario: Scenario, runner: Any) -> None:
    hour = db.session.scalars(select(LinkHour)).first()
    hour.clicks += 5
    link_id = hour.link_id
    db.session.commit()
    result = runner.invoke(args=["analytics", "check"])
    assert result.exit_code == 1 and f"link {link_id} hour" in result.output
    assert runner.invoke(args=["analytics", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["analytics", "check"]).exit_code == 0
