"""Cart and checkout forms. None carries a price: prices come from the catalog only."""
from __future__ import annotations

import functools

from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from storefront.i18n import current_locale
from storefront.orders.services import MAX_LINE_QUANTITY


def _countries() -> list[SelectChoice]:
    territories = Locale("en").territories
    codes = [code for code in territories if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}]
    return [SelectChoice(code, territories[code]) for code in sorted(codes, key=lambda code: territories[code])]


COUNTRIES = _countries()


@functools.cache
def _countries_named_in(locale: str) -> tuple[SelectChoice, ...]:
    """The same countries (same codes) named and sorted in `locale`."""
    names = Locale.parse(locale).territories
    named = [SelectChoice(choice.value, names.get(choice.value, choice.label)) for choice in COUNTRIES]
    return tuple(sorted(named, key=lambda choice: choice.label))


def countries_for_reader() -> list[SelectChoice]:
    """The country list in the page's language (a SelectField's choices, read per form)."""
    return list(_countries_named_in(current_locale()))


class AddToCartForm(FlaskForm):
    product_id = HiddenField(validators=[DataRequired()])
    #: The handle of the curator's shop the shopper is buying from, if any.
    shop = HiddenField(validators=[Optional(), Length(max=31)])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[InputRequired(), NumberRange(1, MAX_LINE_QUANTITY)])


class CartLineForm(FlaskForm):
    product_id = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(), NumberRange(0, MAX_LINE_QUANTITY)])


class CheckoutForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    address_line1 = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    address_line2 = StringField(_l("Apartment, suite (optional)"), validators=[Optional(), Length(max=200)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=100)])
    region = StringField(_l("State / province (optional)"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(_l("Postal code"), validators=[DataRequired(), Length(max=20)])
    country = SelectField(_l("Country"), choices=countries_for_reader, default="US", validators=[DataRequired()])
