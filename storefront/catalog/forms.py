"""Forms for the operator's catalog pages: a product, and a CSV file to import."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from storefront.money import Money, MoneyError

SKU_HELP = _l("1 to 64 letters, digits, “-” or “_”, starting with a letter or digit; stored upper-case. It cannot be changed later.")
#: The choice that means "the category named in the next field".
NEW_CATEGORY = 0


class ProductForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Give the product a title.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    price = StringField(_l("Price"), description=_l("Digits and a dot, e.g. 19.90"),
                        validators=[DataRequired(message=_l("Give a price, e.g. 19.90.")), Length(max=20)])
    category_id = SelectField(_l("Category"), coerce=int, validate_choice=True)
    new_category = StringField(_l("Or a new category"), validators=[Optional(), Length(max=80)])
    stock = IntegerField(_l("Stock"), default=0, validators=[
        InputRequired(message=_l("Give the stock (0 or more).")),
        NumberRange(min=0, max=1_000_000, message=_l("Stock is a whole number from 0 to 1,000,000.")),
    ])
    active = BooleanField(_l("Active (on sale in the store)"), default=True)
    featured = BooleanField(_l("Featured on the home page"))
    commission_rate = StringField(_l("Commission rate (%)"), description=_l("Empty: the category's rate, else the default."),
                                  validators=[Optional(), Length(max=8)])

    #: The price as money in the store's currency, once the form validates.
    parsed_price: Money | None = None

    def validate_price(self, field: StringField) -> None:
        currency = current_app.config["CURRENCY"]
        try:
            self.parsed_price = Money.parse(field.data or "", currency)
        except MoneyError:
            raise ValidationError(_("“%(price)s” is not a price in %(currency)s: use digits and a dot, e.g. 19.90.",
                                    price=field.data or "", currency=currency)) from None

    def validate_category_id(self, field: SelectField) -> None:
        if field.data == NEW_CATEGORY and not (self.new_category.data or "").strip():
            raise ValidationError(_l("Choose a category, or name a new one below."))


class NewProductForm(ProductForm):
    sku = StringField(_l("SKU"), description=SKU_HELP, validators=[
        DataRequired(message=_l("Give the product a SKU.")), Length(max=64, message=_l("A SKU has at most 64 characters.")),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", message=_l("A SKU uses letters, digits, “-” and “_”, starting with a letter or digit.")),
    ])


class CatalogImportForm(FlaskForm):
    file = FileField(_l("CSV file (up to 2 MB)"), validators=[
        FileRequired(message=_l("Choose a CSV file to import.")), FileAllowed(["csv"], message=_l("Choose a .csv file.")),
    ])
    update_stock = BooleanField(_l("Also replace the stock of existing products with the file's"))
