"""Creating users and checking their passwords."""
from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from storefront.accounts.models import Role, User
from storefront.extensions import db
from storefront.i18n import LANGUAGES, UnknownLanguage

log = logging.getLogger(__name__)

PASSWORD_MIN_LENGTH = 10
#: Checked against when nobody has the e-mail, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A sign-up or log-in that cannot go ahead; the message is safe to show."""


class EmailTaken(AccountError):
    pass


class WeakPassword(AccountError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


@cache
def common_passwords() -> frozenset[str]:
    """The list shipped beside this module: passwords people pick first, so attackers try first."""
    lines = (Path(__file__).with_name("common_passwords.txt")).read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(_("Use at least %(num)d characters for your password.", num=PASSWORD_MIN_LENGTH))
    if len(set(password)) < 4:
        raise WeakPassword(_("That password is too easy to guess; mix in more different characters."))
    if password.lower() in common_passwords() or password.lower().replace(" ", "") in common_passwords():
        raise WeakPassword(_("That password is on the list of the most common ones; choose one of your own."))


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(email: str, display_name: str, password: str, role: Role = Role.CUSTOMER) -> User:
    """Add a user (flushed, not committed). Raises EmailTaken or WeakPassword."""
    check_password_rules(password)
    if find_user_by_email(email) is not None:
        raise EmailTaken(_("An account with this e-mail already exists. Log in instead."))
    user = User(
        email=normalize_email(email),
        display_name=display_name.strip(),
        password_hash=generate_password_hash(password),
        role=role,
        time_zone=current_app.config["STORE_TIME_ZONE"] if has_app_context() else "UTC",
    )
    db.session.add(user)
    db.session.flush()
    log.info("user %s created with role %s", user.id, role)
    return user


def set_user_locale(user: User, locale: str | None) -> None:
    """The language pages speak to this user in; None follows the browser. Raises UnknownLanguage."""
    if locale is not None and locale not in LANGUAGES:
        raise UnknownLanguage(_("Pick one of the languages offered: English, Português or 简体中文."))
    if user.locale != locale:
        user.locale = locale
        log.info("user %s now reads pages in %s", user.id, locale or "the browser's language")


def promote_to_operator(user: User) -> None:
    user.role = Role.OPERATOR
    log.info("user %s is now an operator", user.id)


def authenticate(email: str, password: str) -> User | None:
    """The user when the password matches, else None (without telling which part was wrong)."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None
