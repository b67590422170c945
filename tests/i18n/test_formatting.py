"""Money, numbers and times read the local way, in the amount's own currency."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale

from storefront.i18n import format_day, format_money, format_number, format_percent_points, format_ratio, format_when
from storefront.money import Money

NBSP = "\xa0"
AMOUNTS = {"BRL": 123456, "CNY": 123456, "USD": 123456, "JPY": 123456}

EXPECTED = {
    "en": {"BRL": "R$1,234.56", "CNY": "CN¥1,234.56", "USD": "$1,234.56", "JPY": "¥123,456"},
    "pt_BR": {"BRL": f"R${NBSP}1.234,56", "CNY": f"CN¥{NBSP}1.234,56", "USD": f"US${NBSP}1.234,56", "JPY": f"JP¥{NBSP}123.456"},
    "zh_Hans_CN": {"BRL": "R$1,234.56", "CNY": "¥1,234.56", "USD": "US$1,234.56", "JPY": "JP¥123,456"},
}


@pytest.mark.parametrize("locale", EXPECTED)
@pytest.mark.parametrize("currency", AMOUNTS)
def test_the_same_amount_reads_the_local_way_in_each_language(app: Flask, locale: str, currency: str) -> None:
    with app.test_request_context(), force_locale(locale):
        assert format_money(Money(AMOUNTS[currency], currency)) == EXPECTED[locale][currency]


def test_a_currency_without_minor_units_shows_no_decimals(app: Flask) -> None:
    with app.test_request_context(), force_locale("pt_BR"):
        assert format_money(Money(1500, "JPY")) == f"JP¥{NBSP}1.500"


def test_a_currency_with_three_decimals_keeps_them(app: Flask) -> None:
    assert Money.parse("12.345", "KWD") == Money(12345, "KWD")
    with app.test_request_context(), force_locale("en"):
        assert format_money(Money(12345, "KWD")) == "KWD12.345"


def test_numbers_group_digits_the_local_way(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("pt_BR"):
            assert format_number(1234567) == "1.234.567"
        with force_locale("zh_Hans_CN"):
            assert format_number(1234567) == "1,234,567"


def test_percentages_use_the_local_decimal_mark(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("pt_BR"):
            assert format_ratio(Decimal("0.125")) == "12,5%"
            assert format_percent_points(Decimal("12.5")) == "12,5%"
        with force_locale("en"):
            assert format_ratio(Decimal("0.125")) == "12.5%"


def test_moments_show_in_the_viewers_time_zone(app: Flask) -> None:
    moment = datetime(2026, 11, 30, 2, 30, tzinfo=UTC)  # still the 29th in São Paulo (UTC-3)
    app.config["STORE_TIME_ZONE"] = "America/Sao_Paulo"  # a visitor who is not signed in sees the store's zone
    try:
        with app.test_request_context(), force_locale("pt_BR"):
            assert format_day(moment, "short") == "29/11/2026"
            assert format_when(moment, "short") == "29/11/2026 23:30"
    finally:
        app.config["STORE_TIME_ZONE"] = "UTC"


def test_catalog_import_errors_speak_the_operators_language(app: Flask) -> None:
    import io

    from storefront.catalog.importer import CatalogImportError, parse_catalog_csv

    with app.test_request_context(), force_locale("pt_BR"):
        try:
            parse_catalog_csv(io.BytesIO(b"sku,title,category,price\nTEE-1,Tee,Apparel,abc\n"), "USD")
        except CatalogImportError as error:
            assert str(error).startswith("linha 2: price: “abc” não é um valor")
        else:
            raise AssertionError("a bad price must be refused")
