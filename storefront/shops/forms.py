"""Forms for opening and curating a shop, and for moderating one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, Regexp

from storefront.shops.services import NOTE_MAX_LENGTH

HANDLE_HELP = _l("3 to 30 characters: lower-case letters, digits, “-” and “_”. Your page will be /@handle.")


class ShopProfileForm(FlaskForm):
    title = StringField(_l("Shop title"), validators=[DataRequired(), Length(max=80)])
    bio = TextAreaField(_l("A few words about you"), validators=[Optional(), Length(max=280)])
    accent_colour = StringField(
        _l("Accent colour"), default="#b4442f", validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use a colour like #b4442f."))]
    )
    avatar = FileField(_l("Picture (JPEG, PNG or WebP, up to 2 MB)"))
    remove_avatar = BooleanField(_l("Use the generated picture instead"))


class OpenShopForm(ShopProfileForm):
    handle = StringField(_l("Handle"), description=HANDLE_HELP, validators=[DataRequired(), Length(max=31)])
    #: A product to put in the new shop straight away (from an "Add to my shop" click).
    add = HiddenField()


class NoteForm(FlaskForm):
    #: Length is checked by the service after line endings are normalised (a browser sends \r\n).
    note = TextAreaField(_l("Your note"), validators=[Optional(), Length(max=NOTE_MAX_LENGTH * 2)])


class LookForm(FlaskForm):
    title = StringField(_l("Look title"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=1000)])
    product_ids = SelectMultipleField(
        _l("Products in this look"), coerce=int, widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(), validate_choice=True,
    )


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
