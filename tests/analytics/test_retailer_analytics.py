"""The operators' analytics: curator sales against direct sales, commission cost, channels, curators, products, weeks."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from commissions.analytics.retailer import retailer_stats
from storefront.localtime import DayRange
from tests.analytics.conftest import Scenario, buy, recompute
from tests.conftest import Browser

UTC_WEEK = DayRange(date(2026, 11, 16), date(2026, 11, 22), ZoneInfo("UTC"))


def stats(app: Flask) -> Any:
    with app.test_request_context():
        return retailer_stats(UTC_WEEK, "USD")


def test_curator_sales_against_direct_sales(app: Flask, scenario: Scenario, new_browser: Callable[[], Browser],
                                            create_product: Any) -> None:
    buy(new_browser(), create_product(price_minor=2000, stock=5), email="walk-in@example.com")  # nobody's link: direct
    found = stats(app)
    raw = recompute(scenario.shop.id, UTC_WEEK.start, UTC_WEEK.end, UTC_WEEK.tz)
    assert (found.attributed_sales.minor, found.direct_sales.minor) == (raw.sales_minor, 2000) == (8000, 2000)
    assert str(found.attributed_share) == "80.0"
    assert found.commission.minor == raw.commission_minor == 400 and str(found.commission_cost) == "5.0"


def test_channels_and_curators_equal_the_raw_rows(app: Flask, scenario: Scenario) -> None:
    found = stats(app)
    by_channel = {row.key: row for row in found.by_channel}
    for channel, link in scenario.links.items():
        raw = recompute(scenario.shop.id, UTC_WEEK.start, UTC_WEEK.end, UTC_WEEK.tz, link_ids={link.id})
        assert (by_channel[channel].clicks, by_channel[channel].orders, by_channel[channel].sales.minor) == (
            raw.clicks, raw.orders, raw.sales_minor), channel
    (curator,) = found.top_curators
    assert (curator.label, curator.clicks, curator.orders, curator.sales.minor) == ("@ana", 6, 3, 8000)
    assert [(p.title, p.units) for p in found.top_products] == [("Linen tee", 3), ("Cap", 2)]


def test_days_are_the_stores_days(app: Flask, scenario: Scenario) -> None:
    by_day = {point.day.isoformat(): point.clicks for point in stats(app).by_day}
    assert (by_day["2026-11-18"], by_day["2026-11-19"]) == (2, 2)   # in UTC the 02:30 click is on the 19th


def test_new_curators_are_counted_per_week(app: Flask, scenario: Scenario) -> None:
    assert stats(app).new_curators == [(date(2026, 11, 16), 1)]


def test_the_page_and_its_csv(operator: Browser, scenario: Scenario) -> None:
    page = operator.get("/operator/analytics?days=7").get_data(as_text=True)
    assert "share of sales" in page and "@ana" in page and "<svg" in page
    rows = list(csv.reader(io.StringIO(operator.get("/operator/analytics.csv?days=7").get_data(as_text=True))))
    assert ["curator", "ana", "6", "5", "3", "'@ana", "8000", "400"] in rows   # a leading @ is defused for spreadsheets


def test_only_operators_see_it(browser: Browser, scenario: Scenario) -> None:
    browser.log_in("ana@example.com")
    assert browser.get("/operator/analytics").status_code == 403
    assert browser.get("/operator/analytics.csv").status_code == 403


def test_a_bad_period_is_a_400(operator: Browser, database: Any) -> None:
    response = operator.get("/operator/analytics?from=2026-13-01&to=2026-11-01")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.get_data(as_text=True)
