"""The only home of money arithmetic: integer minor units with an ISO currency, never floats.

Rounding rules live here and nowhere else: `apply_rate_bps` floors (never pay a fraction more
than was earned) and `allocate` splits by largest remainder so the parts add up to the whole.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision
from flask_babel import gettext as _

BASIS_POINTS = 10_000
_DECIMAL_AMOUNT = re.compile(r"^\d{1,12}(\.\d+)?$")


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


class CurrencyMismatch(MoneyError):
    pass


def minor_digits(currency: str) -> int:
    """Digits after the decimal point: 2 for USD/BRL/CNY, 0 for JPY, 3 for KWD."""
    return get_currency_precision(currency)


def validate_currency(code: str) -> str:
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in Locale("en").currencies:
        raise MoneyError(f"unknown currency {code!r}")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError(f"money needs integer minor units, got {self.minor!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a decimal string such as "19.90" exactly; more decimals than the currency has is an error."""
        text = text.strip()
        if not _DECIMAL_AMOUNT.match(text):
            raise MoneyError(_("“%(text)s” is not an amount (use digits and a dot, e.g. 19.90).", text=text[:40]))
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise MoneyError(_("“%(text)s” is not an amount.", text=text[:40])) from None
        scaled = value.scaleb(minor_digits(currency))
        if scaled != scaled.to_integral_value():
            raise MoneyError(_("“%(text)s” has more decimals than %(currency)s allows.", text=text[:40], currency=currency))
        return cls(int(scaled), currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def times(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise MoneyError("quantities are whole numbers")
        return Money(self.minor * quantity, self.currency)

    def apply_rate_bps(self, rate_bps: int) -> Money:
        """This amount times rate_bps / 10,000, rounded down to the minor unit (toward zero)."""
        product = abs(self.minor) * rate_bps // BASIS_POINTS
        return Money(product if self.minor >= 0 else -product, self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split by non-negative integer weights; largest remainders get the leftover units.

        The parts always add up to exactly this amount; ties go to the earliest weight.
        """
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise MoneyError("allocation needs non-negative weights with a positive total")
        total = sum(weights)
        sign = -1 if self.minor < 0 else 1
        amount = abs(self.minor)
        shares = [amount * w // total for w in weights]
        remainders = [amount * w % total for w in weights]
        leftover = amount - sum(shares)
        for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
            shares[index] += 1
        return [Money(sign * share, self.currency) for share in shares]

    def to_decimal_string(self) -> str:
        """Plain decimal text, e.g. "19.90"; the inverse of `parse`, for CSV files."""
        digits = minor_digits(self.currency)
        return str(Decimal(self.minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits)))

    def format(self, locale: str = "en_US") -> str:
        """Localised text, e.g. $1,234.56 or R$ 1.234,56."""
        value = Decimal(self.minor).scaleb(-minor_digits(self.currency))
        return format_currency(value, self.currency, locale=locale)

    def __str__(self) -> str:
        return self.format()
