"""The signed-in user's own settings: the language the store speaks to them and the time zone their days follow."""
from __future__ import annotations

from flask_babel import gettext as _
from pydantic import BaseModel, Field

from commissions.analytics import services as analytics
from storefront import localtime
from storefront.accounts import services as accounts
from storefront.accounts.models import User
from storefront.api import blueprint
from storefront.api.framework import Access, ApiProblem, endpoint, require_caller
from storefront.api.schemas import Strict, Text
from storefront.extensions import db
from storefront.i18n import LANGUAGES, UnknownLanguage

#: The schema lists the languages; the services check them, so a wrong one is refused in the caller's language.
_LOCALES = {"enum": [*LANGUAGES, None]}
_LOCALE_MEANING = "One of the `languages`' codes; null follows the client's Accept-Language."


class LanguageOut(BaseModel):
    """A language the store speaks, named in itself."""

    code: str
    name: str


class SettingsOut(BaseModel):
    """The signed-in account's settings, and the languages it may pick from."""

    locale: str | None = Field(description=_LOCALE_MEANING, json_schema_extra=_LOCALES)
    time_zone: str = Field(description="The IANA time zone the account's days follow, e.g. America/Sao_Paulo.")
    languages: list[LanguageOut]


class SettingsIn(Strict):
    locale: str | None = Field(None, max_length=32, description=_LOCALE_MEANING + " Omit to keep it.",
                               json_schema_extra=_LOCALES)
    time_zone: Text | None = Field(None, min_length=1, max_length=64,
                                   description="An IANA time-zone name, e.g. America/Sao_Paulo. Omit (or null) to keep it.")


def settings_out(user: User) -> SettingsOut:
    return SettingsOut(locale=user.locale, time_zone=user.time_zone,
                       languages=[LanguageOut(code=code, name=name) for code, name in LANGUAGES.items()])


def _field_error(field: str, detail: str) -> dict[str, str]:
    return {"field": field, "pointer": f"/{field}", "detail": detail}


@endpoint(blueprint, "GET", "/me/settings", summary="My language and time zone", tag="auth", access=Access.USER,
          responses={200: SettingsOut})
def my_settings() -> SettingsOut:
    return settings_out(require_caller())


@endpoint(blueprint, "PATCH", "/me/settings", summary="Change my language or time zone", tag="auth", access=Access.USER,
          body=SettingsIn, responses={200: SettingsOut}, description=(
              "The language applies to pages, e-mails, notices and this API's messages, before Accept-Language. "
              "A new time zone recounts the visitors of the account's shop in its days."))
def update_my_settings(body: SettingsIn) -> SettingsOut:
    user = require_caller()
    errors: list[dict[str, str]] = []
    # The time zone first: a message about it still speaks the language the caller had when it asked.
    if body.time_zone is not None:
        try:
            analytics.set_user_time_zone(user, body.time_zone)
        except localtime.UnknownZone as error:
            errors.append(_field_error("time_zone", str(error)))
    if "locale" in body.model_fields_set:
        try:
            accounts.set_user_locale(user, body.locale)
        except UnknownLanguage as error:
            errors.append(_field_error("locale", str(error)))
    if errors:
        # Nothing is kept when a field is wrong: the framework rolls the session back.
        raise ApiProblem(422, _("Some fields are missing or wrong; see `errors`."), errors=errors)
    db.session.commit()
    return settings_out(user)
