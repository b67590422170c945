"""Forms for the operator's catalog pages: a product, and a CSV file to import."""
from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from storefront.money import Money, MoneyError

SKU_HELP = "1 to 64 letters, digits, “-” or “_”, starting with a letter or digit; stored upper-case. It cannot be changed later."
#: The choice that means "the category named in the next field".
NEW_CATEGORY = 0


class ProductForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(message="Give the product a title."), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    price = StringField("Price", description="Digits and a dot, e.g. 19.90",
                        validators=[DataRequired(message="Give a price, e.g. 19.90."), Length(max=20)])
    category_id = SelectField("Category", coerce=int, validate_choice=True)
    new_category = StringField("Or a new category", validators=[Optional(), Length(max=80)])
    stock = IntegerField("Stock", default=0, validators=[
        InputRequired(message="Give the stock (0 or more)."),
        NumberRange(min=0, max=1_000_000, message="Stock is a whole number from 0 to 1,000,000."),
    ])
    active = BooleanField("Active (on sale in the store)", default=True)
    featured = BooleanField("Featured on the home page")
    commission_rate = StringField("Commission rate (%)", description="Empty: the category's rate, else the default.",
                                  validators=[Optional(), Length(max=8)])

    #: The price as money in the store's currency, once the form validates.
    parsed_price: Money | None = None

    def validate_price(self, field: StringField) -> None:
        try:
            self.parsed_price = Money.parse(field.data or "", current_app.config["CURRENCY"])
        except MoneyError as error:
            raise ValidationError(str(error)) from None

    def validate_category_id(self, field: SelectField) -> None:
        if field.data == NEW_CATEGORY and not (self.new_category.data or "").strip():
            raise ValidationError("Choose a category, or name a new one below.")


class NewProductForm(ProductForm):
    sku = StringField("SKU", description=SKU_HELP, validators=[
        DataRequired(message="Give the product a SKU."), Length(max=64, message="A SKU has at most 64 characters."),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", message="A SKU uses letters, digits, “-” and “_”, starting with a letter or digit."),
    ])


class CatalogImportForm(FlaskForm):
    file = FileField("CSV file (up to 2 MB)", validators=[
        FileRequired(message="Choose a CSV file to import."), FileAllowed(["csv"], message="Choose a .csv file."),
    ])
    update_stock = BooleanField("Also replace the stock of existing products with the file's")
