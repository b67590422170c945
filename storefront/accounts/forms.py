"""Sign-up and log-in forms, and the account's settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

from storefront.i18n import LANGUAGES


class SignupForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(min=1, max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ConfirmPasswordForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])


#: The language setting's value for "no choice": pages follow the browser's language.
BROWSER_LANGUAGE = ""


class LanguageForm(FlaskForm):
    # Each language is named in itself, so that someone lost in a language they cannot read still finds theirs.
    locale = SelectField(
        _l("Show the site in"),
        choices=[
            SelectChoice(BROWSER_LANGUAGE, _l("Use my browser's language")),
            *(
                SelectChoice(locale, own_name, render_kw={"lang": locale.replace("_", "-")})
                for locale, own_name in LANGUAGES.items()
            ),
        ],
        validate_choice=False,
        validators=[AnyOf([BROWSER_LANGUAGE, *LANGUAGES], message=_l("Pick one of the languages offered."))],
    )
