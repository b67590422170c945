"""Money: integer minor units, exact parsing, floor rounding, allocation that keeps the total."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.money import CurrencyMismatch, Money, MoneyError, validate_currency


def test_money_parse_reads_decimal_text_exactly() -> None:
    assert Money.parse("19.90", "USD") == Money(1990, "USD")
    assert Money.parse("1500", "JPY") == Money(1500, "JPY")
    assert Money.parse("1.234", "KWD") == Money(1234, "KWD")


@pytest.mark.parametrize("text", ["19.999", "-1", "1e3", "abc", "", "1,50", "0.1.2"])
def test_money_parse_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "USD")


def test_money_refuses_floats() -> None:
    with pytest.raises(MoneyError):
        Money(19.9, "USD")  # type: ignore[arg-type]


def test_money_refuses_mixing_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(100, "USD") + Money(100, "BRL")


def test_money_apply_rate_bps_rounds_down() -> None:
    assert Money(999, "USD").apply_rate_bps(500) == Money(49, "USD")  # 49.95 → 49
    assert Money(-999, "USD").apply_rate_bps(500) == Money(-49, "USD")


def test_money_formats_for_locale_and_currency() -> None:
    assert Money(123456, "USD").format("en_US") == "$1,234.56"
    assert Money(123456, "BRL").format("pt_BR") == "R$\xa01.234,56"
    assert Money(1234, "JPY").format("en_US") == "¥1,234"


def test_validate_currency_refuses_unknown_codes() -> None:
    assert validate_currency("brl") == "BRL"
    with pytest.raises(MoneyError):
        validate_currency("XQQ")


@given(st.integers(-10**12, 10**12), st.lists(st.integers(0, 10_000), min_size=1, max_size=20).filter(lambda w: sum(w) > 0))
def test_money_allocate_keeps_the_total(amount: int, weights: list[int]) -> None:
    parts = Money(amount, "USD").allocate(weights)
    assert sum(part.minor for part in parts) == amount
    assert len(parts) == len(weights)


@given(st.integers(0, 10**12), st.integers(0, 10_000))
def test_money_apply_rate_never_exceeds_the_exact_share(amount: int, rate_bps: int) -> None:
    share = Money(amount, "USD").apply_rate_bps(rate_bps).minor
    assert share * 10_000 <= amount * rate_bps < (share + 1) * 10_000


@given(st.integers(0, 10**12))
def test_money_decimal_text_round_trips(amount: int) -> None:
    money = Money(amount, "USD")
    assert Money.parse(money.to_decimal_string(), "USD") == money
