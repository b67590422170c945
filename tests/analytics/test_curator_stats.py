"""The curator's figures equal the same figures recomputed from raw clicks, orders, refunds and commissions."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask

from commissions.analytics.curator import curator_stats
from storefront.localtime import DayRange
from tests.analytics.conftest import SAO_PAULO, Scenario, recompute

WEEK = DayRange(date(2026, 11, 16), date(2026, 11, 22), SAO_PAULO)


def stats(app: Flask, scenario: Scenario, days: DayRange = WEEK) -> Any:
    with app.test_request_context():
        return curator_stats(scenario.shop, days, "USD")


def test_totals_equal_the_raw_rows(app: Flask, scenario: Scenario) -> None:
    found = stats(app, scenario)
    raw = recompute(scenario.shop.id, WEEK.start, WEEK.end, SAO_PAULO)
    assert (found.totals.clicks, found.totals.visitors, found.totals.orders) == (raw.clicks, raw.visitors, raw.orders)
    assert (found.totals.sales.minor, found.totals.commission.minor, found.buyers) == (raw.sales_minor, raw.commission_minor, raw.buyers)


def test_the_known_scenario_in_plain_numbers(app: Flask, scenario: Scenario) -> None:
    found = stats(app, scenario)
    # 6 human clicks (the bot's is not one); visitors: first on the 18th and 21st, second on the 18th and 19th, third.
    assert (found.totals.clicks, found.totals.visitors, found.totals.orders, found.buyers) == (6, 5, 3, 2)
    # 2 caps 20.00 + a tee 30.00 + 2 tees 60.00 less a 30.00 refund; 5% of what is left.
    assert found.totals.sales.minor == 8000 and found.totals.commission.minor == 400
    assert found.refunded.minor == 3000
    assert str(found.totals.conversion) == "60.0"


def test_days_are_the_curators_days(app: Flask, scenario: Scenario) -> None:
    by_day = {point.day.isoformat(): (point.clicks, point.visitors, point.orders) for point in stats(app, scenario).by_day}
    assert by_day["2026-11-18"] == (3, 2, 0)    # 02:30 UTC on the 19th is still the 18th in São Paulo
    assert by_day["2026-11-19"] == (1, 1, 1)
    assert by_day["2026-11-20"] == (1, 1, 1)
    assert by_day["2026-11-21"] == (1, 1, 1)
    assert len(by_day) == 7


def test_a_range_ending_at_local_midnight_leaves_out_the_next_days_clicks(app: Flask, scenario: Scenario) -> None:
    the_18th = DayRange(date(2026, 11, 18), date(2026, 11, 18), SAO_PAULO)
    found = stats(app, scenario, the_18th)
    raw = recompute(scenario.shop.id, the_18th.start, the_18th.end, SAO_PAULO)
    assert (found.totals.clicks, found.totals.visitors) == (raw.clicks, raw.visitors) == (3, 2)


def test_each_channel_equals_its_links_raw_rows(app: Flask, scenario: Scenario) -> None:
    by_channel = {row.key: row for row in stats(app, scenario).by_channel}
    assert set(by_channel) == {"whatsapp", "wechat", "weibo"}
    for channel, link in scenario.links.items():
        raw = recompute(scenario.shop.id, WEEK.start, WEEK.end, SAO_PAULO, link_ids={link.id})
        row = by_channel[channel]
        assert (row.clicks, row.visitors, row.orders, row.sales.minor, row.commission.minor) == (
            raw.clicks, raw.visitors, raw.orders, raw.sales_minor, raw.commission_minor), channel


def test_links_looks_and_products(app: Flask, scenario: Scenario) -> None:
    found = stats(app, scenario)
    assert {row.key for row in found.by_link} == {link.code for link in scenario.links.values()}
    assert [(row.label, row.clicks, row.orders) for row in found.by_look] == [("Weekend", 1, 1)]
    assert [(row.title, row.units, row.orders, row.sales.minor) for row in found.by_product] == [
        ("Linen tee", 3, 2, 9000), ("Cap", 2, 1, 2000),
    ]
