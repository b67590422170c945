"""The test provider's card form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp


class TestCardForm(FlaskForm):
    __test__ = False  # not a pytest test class

    card_number = StringField(
        _l("Card number"),
        validators=[DataRequired(), Regexp(r"^[\d\s-]{12,23}$", message=_l("Enter the card's 16 digits."))],
    )
    expiry = StringField(
        _l("Expiry (MM/YY)"), validators=[DataRequired(), Regexp(r"^(0[1-9]|1[0-2])\s*/\s*\d{2}$", message=_l("Use MM/YY."))]
    )
    cvc = StringField(_l("CVC"), validators=[DataRequired(), Length(min=3, max=4), Regexp(r"^\d+$", message=_l("Digits only."))])
