"""Languages, and how numbers, money and times read in them.

A page speaks the signed-in user's chosen language, else the one picked with `?lang=` (remembered
in a cookie), else the best match of the browser's Accept-Language, else DEFAULT_LOCALE. Times
show in the signed-in user's time zone, else the store's.
"""
from __future__ import annotations

import functools
import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, g, has_request_context, redirect, request, url_for
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_percent, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user

from storefront import localtime, outage
from storefront.money import Money
from storefront.navigation import safe_next_path

#: The languages we ship complete catalogs for, with each one's own name for itself.
LANGUAGES: dict[str, str] = {"en": "English", "pt_BR": "Português (Brasil)", "zh_Hans_CN": "简体中文"}
LOCALE_COOKIE = "vt_lang"
LOCALE_COOKIE_DAYS = 365

#: Browser language tags (lower case, "-" or "_") to our locales; a bare language takes its regional catalog.
_ALIASES = {
    "en": "en", "pt": "pt_BR", "zh": "zh_Hans_CN", "zh_hans": "zh_Hans_CN", "zh_cn": "zh_Hans_CN",
    "zh_sg": "zh_Hans_CN", "zh_hans_cn": "zh_Hans_CN", "pt_br": "pt_BR",
}

babel = Babel()


class UnknownLanguage(ValueError):
    """Not a language we speak; the message is safe to show."""


def normalize(tag: str | None) -> str | None:
    """Our locale for a language tag such as "pt-BR", "zh-Hans-CN", "zh_CN" or "en-GB"; None when we have none."""
    if not tag:
        return None
    key = tag.strip().replace("-", "_").lower()[:32]
    if key in _ALIASES:
        return _ALIASES[key]
    language = key.split("_", 1)[0]
    # Portuguese from Portugal and Chinese from anywhere read our Brazilian and Simplified catalogs
    # better than English; other regions of English are English.
    return _ALIASES.get(language)


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    chosen = _signed_in_setting("locale")
    if chosen in LANGUAGES:
        return chosen
    from_switch = normalize(request.args.get("lang"))
    if from_switch:
        return from_switch
    from_cookie = normalize(request.cookies.get(LOCALE_COOKIE))
    if from_cookie:
        return from_cookie
    return _from_accept_language() or current_app.config["DEFAULT_LOCALE"]


def _from_accept_language() -> str | None:
    for tag, _quality in request.accept_languages:
        locale = normalize(tag)
        if locale:
            return locale
    return None


def select_time_zone() -> str:
    chosen = _signed_in_setting("time_zone") if has_request_context() else None
    return chosen if chosen in localtime.all_zone_names() else current_app.config["STORE_TIME_ZONE"]


def _signed_in_setting(name: str) -> str | None:
    """The signed-in user's setting; None for a visitor, or when the database cannot say who is signed in
    (an error page must still speak some language). An API call with a bearer token has no session: its
    caller is the token's user (the API sets `g.api_user` once it has authenticated the request)."""
    try:
        if (api_user := g.get("api_user")) is not None:
            return getattr(api_user, name, None)
        return getattr(current_user, name, None) if current_user and current_user.is_authenticated else None
    except outage.DATABASE_UNAVAILABLE:
        return None


def remember_switch(response: Response) -> Response:
    """`?lang=xx` on any page is remembered for the next visit (share links may carry it)."""
    if has_request_context():
        chosen = normalize(request.args.get("lang"))
        if chosen and request.cookies.get(LOCALE_COOKIE) != chosen:
            set_locale_cookie(response, chosen)
    return response


def set_locale_cookie(response: Response, locale: str) -> None:
    response.set_cookie(
        LOCALE_COOKIE, locale, max_age=LOCALE_COOKIE_DAYS * 86400, samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True,
    )


def current_locale() -> str:
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def html_lang() -> str:
    """The page's language as a BCP 47 tag for <html lang>: en, pt-BR, zh-Hans-CN."""
    return current_locale().replace("_", "-")


# -- formatting -----------------------------------------------------------------------------------

def format_money(value: Money) -> str:
    """R$ 1.234,56 in Portuguese, ¥1,234.56 in Chinese, $1,234.56 in English; JPY shows no decimals."""
    return value.format(current_locale())


def format_number(value: int | Decimal | float) -> str:
    return format_decimal(value)


def format_ratio(value: Decimal | float | None, digits: int = 1) -> str:
    """A ratio (0.125) as a percentage in the page's language: 12.5%, 12,5%."""
    if value is None:
        return "—"
    return format_percent(value, format="#,##0." + "0" * digits + "%" if digits else "#,##0%")


def format_percent_points(value: Decimal | int | None, digits: int = 1) -> str:
    """A percentage already multiplied by 100 (12.5) in the page's language: 12.5%, 12,5%."""
    return "—" if value is None else format_ratio(Decimal(value) / 100, digits)


def format_when(value: datetime | None, style: str = "medium") -> str:
    """A moment in the viewer's time zone and language."""
    return format_datetime(value, style) if value else ""


def format_day(value: date | datetime | None, style: str = "medium") -> str:
    """A calendar day; a moment is first moved to the viewer's time zone (its day there)."""
    return format_date(value, style) if value else ""


# -- templates' gettext ---------------------------------------------------------------------------

def _translations() -> Any:
    """The current catalog, looked up once per request and language instead of on every string.

    Flask-Babel finds it again for each call (several context lookups, ~30 µs); a page holds dozens
    of strings. The cache follows `force_locale` (e-mails in the recipient's language): it is keyed
    by the Locale object in force."""
    context = g.get("_flask_babel") if g else None
    locale = getattr(context, "babel_locale", None)
    if locale is None:
        return get_translations()
    cached = getattr(context, "vitrine_translations", None)
    if cached is None or cached[0] is not locale:
        cached = context.vitrine_translations = (locale, get_translations())  # type: ignore[union-attr]
    return cached[1]


def install_fast_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: _translations().ugettext(message),
        ngettext=lambda singular, plural, number: _translations().ungettext(singular, plural, number),
        newstyle=True,
    )


# -- the language switch --------------------------------------------------------------------------

def switch_language() -> Response:
    """POST /language: signed-in users keep the choice on their account, everyone in a cookie."""
    locale = normalize(request.form.get("lang"))
    if locale is None:
        abort(400, description=_("Pick one of the languages offered: English, Português or 简体中文."))
    if current_user.is_authenticated and current_user.locale != locale:
        from storefront.extensions import db

        current_user.locale = locale
        db.session.commit()
    response = redirect(safe_next_path(request.form.get("next"), url_for("catalog.home")))
    set_locale_cookie(response, locale)
    return response


def catalogs_digest() -> str:
    """Changes with any compiled catalog: a cached page of one translation never serves another.

    Read once per process, or on every call while templates reload themselves (a developer at work)."""
    folder = str(Path(current_app.root_path, "translations"))
    return _digest_of(folder) if current_app.jinja_env.auto_reload else _release_digest_of(folder)


def _digest_of(folder: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.mo")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


_release_digest_of = functools.cache(_digest_of)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LOCALE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["STORE_TIME_ZONE"])
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    # {% trans %} blocks are extracted and looked up with their whitespace collapsed (babel.cfg: trimmed).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    install_fast_gettext(app)
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_ratio, "percent")
    app.add_template_filter(format_percent_points, "percent_points")
    app.add_template_filter(format_when, "when")
    app.add_template_filter(format_day, "day")
    app.add_template_global(html_lang)
    app.add_template_global(current_locale)
    app.add_template_global(LANGUAGES, "languages")
    app.after_request(remember_switch)
    app.add_url_rule("/language", "switch_language", switch_language, methods=["POST"])
