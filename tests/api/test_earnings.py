"""A curator's balances, statement and stats through the API: the same numbers as the ledger and the dashboard."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask

from commissions import statements
from commissions.analytics.curator import curator_stats
from storefront.accounts.models import User
from storefront.extensions import db
from storefront.localtime import DayRange
from tests.analytics.conftest import SAO_PAULO, Scenario, new_browser, scenario  # noqa: F401  (fixtures)
from tests.api.conftest import PASSWORD, Api
from tests.commissions.conftest import sell  # noqa: F401  (a fixture)


def signed_in(new_api: Callable[[], Api], email: str) -> Api:
    client = new_api()
    response = client.post("/auth/tokens", {"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    client.token = response.get_json()["token"]
    return client


def test_earnings_are_the_ledger_balances(
    app: Flask, new_api: Callable[[], Api], create_user: Any, create_shop: Any, create_product: Any, sell: Any,  # noqa: F811
) -> None:
    # given two paid sales credited to Ana's shop (5% of 30.00 and of 60.00)
    tee = create_product(price_minor=3000, stock=50)
    ana_id = create_user(email="ana@example.com").id
    shop = create_shop(tee, user=db.session.get(User, ana_id), handle="ana")
    sell(shop, (tee, 1))
    sell(shop, (tee, 2))
    # when Ana reads her earnings
    body = signed_in(new_api, "ana@example.com").get("/me/earnings").get_json()
    # then they are the ledger's balances: all still pending in the return window
    with app.test_request_context():
        balances = statements.balances_for(ana_id, "USD")
    assert body == {
        "currency": "USD", "pending_minor": balances.pending.minor, "held_minor": 0, "available_minor": 0,
        "in_payout_minor": 0, "paid_minor": 0, "owed_minor": 0, "lifetime_minor": balances.lifetime.minor,
    }
    assert body["pending_minor"] == body["lifetime_minor"] == 450


def test_a_new_account_earns_nothing_yet(curator_api: Api) -> None:
    body = curator_api.get("/me/earnings").get_json()
    assert (body["pending_minor"], body["available_minor"], body["lifetime_minor"]) == (0, 0, 0)


def test_earnings_need_a_token(api: Api) -> None:
    assert api.get("/me/earnings").status_code == 401


def test_the_statement_pages_by_cursor_newest_first(
    new_api: Callable[[], Api], create_user: Any, create_shop: Any, create_product: Any, sell: Any,  # noqa: F811
) -> None:
    tee = create_product(price_minor=3000, stock=50)
    shop = create_shop(tee, user=create_user(email="ana@example.com"), handle="ana")
    for quantity in (1, 2, 3):
        sell(shop, (tee, quantity))
    ana = signed_in(new_api, "ana@example.com")
    first = ana.get("/me/statement?limit=2").get_json()
    second = ana.get(f"/me/statement?limit=2&cursor={first['next_cursor']}").get_json()
    assert [item["amount_minor"] for item in first["items"]] == [450, 300]
    assert [item["amount_minor"] for item in second["items"]] == [150]
    assert second["next_cursor"] is None
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert {item["kind"] for item in first["items"]} == {"earn"}


def test_the_statement_shows_only_the_callers_movements(curator_api: Api, create_shop: Any, create_product: Any, sell: Any) -> None:  # noqa: F811
    tee = create_product(stock=50)
    sell(create_shop(tee, handle="bia"), (tee, 1))
    assert curator_api.get("/me/statement").get_json() == {"items": [], "next_cursor": None}


def test_a_foreign_cursor_or_limit_is_a_400(curator_api: Api) -> None:
    assert curator_api.get("/me/statement?cursor=not-ours").status_code == 400
    assert curator_api.get("/me/statement?limit=0").status_code == 400
    assert curator_api.get("/me/statement?limit=101").status_code == 400


def test_stats_equal_the_dashboards_curator_stats(app: Flask, new_api: Callable[[], Api], scenario: Scenario) -> None:  # noqa: F811
    week = DayRange(date(2026, 11, 16), date(2026, 11, 22), SAO_PAULO)
    with app.test_request_context():
        expected = curator_stats(db.session.merge(scenario.shop), week, "USD")
    body = signed_in(new_api, "ana@example.com").get("/me/stats?from=2026-11-16&to=2026-11-22").get_json()
    assert body["period"] == {"first_day": "2026-11-16", "last_day": "2026-11-22", "time_zone": "America/Sao_Paulo"}
    totals = expected.totals
    assert (body["clicks"], body["unique_visitors"], body["orders"], body["buyers"]) == (
        totals.clicks, totals.visitors, totals.orders, expected.buyers)
    assert (body["sales_minor"], body["commission_minor"], body["refunded_minor"]) == (
        totals.sales.minor, totals.commission.minor, expected.refunded.minor)
    assert body["conversion_rate"] == float(totals.conversion) == 60.0
    assert [(row["key"], row["clicks"], row["orders"], row["sales_minor"]) for row in body["by_channel"]] == [
        (row.key, row.clicks, row.orders, row.sales.minor) for row in expected.by_channel]
    assert [row["key"] for row in body["by_link"]] == [row.key for row in expected.by_link]
    assert [row["label"] for row in body["by_look"]] == [row.label for row in expected.by_look]
    assert [(row["product_id"], row["units"], row["sales_minor"]) for row in body["by_product"]] == [
        (row.product_id, row.units, row.sales.minor) for row in expected.by_product]
    assert [(row["day"], row["clicks"], row["unique_visitors"], row["orders"]) for row in body["by_day"]] == [
        (point.day.isoformat(), point.clicks, point.visitors, point.orders) for point in expected.by_day]


def test_stats_default_to_the_last_30_local_days(new_api: Callable[[], Api], scenario: Scenario) -> None:  # noqa: F811
    body = signed_in(new_api, "ana@example.com").get("/me/stats").get_json()
    # the clock stands at 2026-11-22 12:00 UTC, 09:00 in São Paulo
    assert (body["period"]["first_day"], body["period"]["last_day"]) == ("2026-10-24", "2026-11-22")
    assert len(body["by_day"]) == 30 and body["orders"] == 3


def test_a_bad_period_is_the_dashboards_400(new_api: Callable[[], Api], scenario: Scenario) -> None:  # noqa: F811
    ana = signed_in(new_api, "ana@example.com")
    for query, message in [
        ("from=2026-11-20&to=2026-11-01", "swap them"), ("from=2026-11-01", "both a first and a last day"),
        ("from=yesterday&to=2026-11-01", "use YYYY-MM-DD"), ("days=12", "last 7, 30 or 90 days"),
        ("from=2026-11-01&to=2026-12-31", "ends in the future"), ("from=0001-01-01&to=0001-01-02", "from Jan 1, 2000 on"),
    ]:
        response = ana.get(f"/me/stats?{query}")
        assert response.status_code == 400 and message in response.get_json()["detail"], query


def test_stats_without_a_shop_are_a_404(curator_api: Api) -> None:
    response = curator_api.get("/me/stats")
    assert response.status_code == 404 and "no shop" in response.get_json()["detail"]
