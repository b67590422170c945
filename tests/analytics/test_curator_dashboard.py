"""The curator's dashboard page: the period, the time zone, the chart and table, the CSV, the empty states."""
from __future__ import annotations

import csv
import io
from typing import Any

from tests.analytics.conftest import Scenario
from tests.conftest import Browser


def curator(browser: Browser) -> Browser:
    browser.log_in("ana@example.com")
    return browser


def test_the_dashboard_shows_the_weeks_numbers_and_a_chart(browser: Browser, scenario: Scenario) -> None:
    page = curator(browser).get("/me/dashboard?days=7").get_data(as_text=True)
    assert "Friends who bought" in page and "<svg" in page and "Numbers per day" in page
    assert "WeChat · Linen tee" in page and "Weekend" in page and "Nov 18, 2026" in page


def test_the_csv_has_a_row_per_day_and_per_channel(browser: Browser, scenario: Scenario) -> None:
    response = curator(browser).get("/me/dashboard.csv?days=7")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert response.mimetype == "text/csv"
    assert [row[1] for row in rows if row[0] == "day"][:3] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    channels = {row[1]: row for row in rows if row[0] == "channel"}
    assert channels["weibo"][5:] == ["1", "3000", "150"]


def test_a_custom_range_of_days(browser: Browser, scenario: Scenario) -> None:
    rows = list(csv.reader(io.StringIO(curator(browser).get("/me/dashboard.csv?from=2026-11-18&to=2026-11-19").get_data(as_text=True))))
    assert [(row[1], row[3], row[4]) for row in rows if row[0] == "day"] == [("2026-11-18", "3", "2"), ("2026-11-19", "1", "1")]


def test_a_bad_period_is_a_clear_400(browser: Browser, scenario: Scenario) -> None:
    curator(browser)
    for query, message in [
        ("days=12", "last 7, 30 or 90 days"), ("from=2026-11-20&to=2026-11-01", "swap them"),
        ("from=yesterday&to=2026-11-01", "YYYY-MM-DD"), ("from=2025-01-01&to=2026-11-01", "at most 366 days"),
        ("from=2026-11-01", "both a first and a last day"),
    ]:
        response = browser.get(f"/me/dashboard?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True), query


def test_changing_the_time_zone_moves_the_day_boundary(browser: Browser, scenario: Scenario) -> None:
    curator(browser)
    response = browser.post("/me/time-zone", {"time_zone": "Asia/Shanghai"})
    assert response.status_code == 303
    rows = list(csv.reader(io.StringIO(browser.get("/me/dashboard.csv?from=2026-11-18&to=2026-11-19").get_data(as_text=True))))
    # In Shanghai (UTC+8) the clicks at 12:00 and 14:00 UTC fall late on the 18th, 02:30 and 03:30 UTC on the 19th.
    assert [(row[1], row[3], row[4]) for row in rows if row[0] == "day"] == [("2026-11-18", "2", "1"), ("2026-11-19", "2", "1")]


def test_an_unknown_time_zone_is_refused(browser: Browser, scenario: Scenario) -> None:
    curator(browser)
    response = browser.post("/me/time-zone", {"time_zone": "Mars/Olympus"}, follow_redirects=True)
    assert "not a time zone we know" in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_log_in(browser: Browser, database: Any) -> None:
    assert browser.get("/me/dashboard").status_code == 302


def test_without_a_shop_the_page_says_how_to_start(browser: Browser, database: Any) -> None:
    browser.sign_up("new@example.com")
    assert "open your shop" in browser.get("/me/dashboard").get_data(as_text=True)


def test_without_clicks_the_page_suggests_sharing(browser: Browser, create_shop: Any, create_user: Any) -> None:
    owner = create_user(email="quiet@example.com")
    create_shop(user=owner, handle="quiet")
    browser.log_in("quiet@example.com")
    assert "Share your shop on WhatsApp to get your first click" in browser.get("/me/dashboard").get_data(as_text=True)
