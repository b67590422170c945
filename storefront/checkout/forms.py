"""Cart and checkout forms. None carries a price: prices come from the catalog only."""
from __future__ import annotations

from babel import Locale
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from storefront.orders.services import MAX_LINE_QUANTITY


def _countries() -> list[SelectChoice]:
    territories = Locale("en").territories
    codes = [code for code in territories if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}]
    return [SelectChoice(code, territories[code]) for code in sorted(codes, key=lambda code: territories[code])]


COUNTRIES = _countries()


class AddToCartForm(FlaskForm):
    product_id = HiddenField(validators=[DataRequired()])
    #: The handle of the curator's shop the shopper is buying from, if any.
    shop = HiddenField(validators=[Optional(), Length(max=31)])
    quantity = IntegerField("Quantity", default=1, validators=[InputRequired(), NumberRange(1, MAX_LINE_QUANTITY)])


class CartLineForm(FlaskForm):
    product_id = HiddenField(validators=[DataRequired()])
    quantity = IntegerField("Quantity", validators=[InputRequired(), NumberRange(0, MAX_LINE_QUANTITY)])


class CheckoutForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    address_line1 = StringField("Address", validators=[DataRequired(), Length(max=200)])
    address_line2 = StringField("Apartment, suite (optional)", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[DataRequired(), Length(max=100)])
    region = StringField("State / province (optional)", validators=[Optional(), Length(max=100)])
    postal_code = StringField("Postal code", validators=[DataRequired(), Length(max=20)])
    country = SelectField("Country", choices=COUNTRIES, default="US", validators=[DataRequired()])
