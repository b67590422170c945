"""Notify a curator: an in-app notice and an outbox e-mail, written in the caller's transaction, once per cause.

Flush, never commit: a notice exists exactly when the money event it tells about was committed.
Each row carries a dedupe key taken from its cause under a unique constraint, so a replayed
webhook or a re-run writes nothing more (a duplicate is ignored, not an error).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from commissions.notifications.models import Notice, NotificationKind, NotificationPreference, OutboxEmail
from storefront import clock
from storefront.accounts.models import User
from storefront.extensions import db
from storefront.inserts import insert_once_returning_id
from storefront.i18n import LANGUAGES
from storefront.listing import Page, clamp_page

log = logging.getLogger(__name__)

#: Where notices lead. Paths, not endpoints: services know no views (tests check they resolve).
EARNINGS_PATH = "/me/earnings"
SETTINGS_PATH = "/me/notifications/settings"


def payout_path(payout_id: int) -> str:
    return f"/me/payouts/{payout_id}"


def recipient_locale(user: User | None) -> str:
    """The language a user is written to: their own choice, else their browser's when they last signed in,
    else the store's DEFAULT_LOCALE."""
    for chosen in (user.locale, user.browser_locale) if user is not None else ():
        if chosen in LANGUAGES:
            return str(chosen)
    return str(current_app.config["DEFAULT_LOCALE"])


@contextmanager
def in_language_of(user_id: int) -> Iterator[None]:
    """gettext, ngettext and the formatting filters speak the user's language inside (whoever's request this is)."""
    with force_locale(recipient_locale(db.session.get(User, user_id))):
        yield


@dataclass(frozen=True)
class Message:
    kind: NotificationKind
    #: The notice's title and the e-mail's subject, in the recipient's language (stored as written).
    title: str
    #: One or two sentences: the notice's text, and the e-mail's opening.
    body: str
    link_path: str
    #: Extra values for the kind's e-mail template (templates/notifications/email/<kind>.txt).
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """What `notify` wrote, by id: None for a channel that is off or was already written for this key."""

    notice_id: int | None
    email_id: int | None

    @property
    def notice(self) -> Notice | None:
        """The notice written, read when asked (the paid-order path never asks)."""
        return db.session.get(Notice, self.notice_id) if self.notice_id is not None else None

    @property
    def email(self) -> OutboxEmail | None:
        """The e-mail written, read when asked."""
        return db.session.get(OutboxEmail, self.email_id) if self.email_id is not None else None


@dataclass(frozen=True)
class Channels:
    email: bool = True
    in_app: bool = True


def notify(user_id: int, message: Message, *, dedupe_key: str) -> Delivery:
    """Write the notice and the e-mail the user wants for this kind; flushes, never commits.

    Safe under concurrency: a key already written is skipped by the database (INSERT … ON CONFLICT
    DO NOTHING on the unique dedupe key), a concurrent writer's included, with no read first.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id} to notify")
    channels = preferences_for(user_id)[message.kind]
    notice_id = email_id = None
    if channels.in_app:
        notice_id = _insert_once(Notice, {
            "user_id": user_id, "kind": message.kind, "title": message.title[:200], "body": message.body[:1000],
            "link_path": message.link_path, "dedupe_key": dedupe_key,
        })
    if channels.email:
        email_id = _insert_once(OutboxEmail, {
            "user_id": user_id, "kind": message.kind, "recipient": user.email, "subject": message.title[:200],
            "text_body": render_email(user, message), "dedupe_key": dedupe_key,
        })
    if notice_id is not None or email_id is not None:
        log.info("notified user %s of %s (%s): notice %s, e-mail %s", user_id, message.kind, dedupe_key,
                 notice_id is not None, email_id is not None)
    return Delivery(notice_id, email_id)


def _insert_once(model: type[Notice | OutboxEmail], values: dict[str, Any]) -> int | None:
    """The id of the row written now; None when its dedupe key was written before (or by a concurrent writer that
    committed first)."""
    return db.session.scalar(insert_once_returning_id(model.__table__, "dedupe_key"), values)


def render_email(user: User, message: Message) -> str:
    """The e-mail's text, from the kind's template, in the recipient's language; links are absolute, on BASE_URL."""
    base_url = current_app.config["BASE_URL"]
    template = current_app.jinja_env.get_template(f"notifications/email/{message.kind.value}.txt")
    with force_locale(recipient_locale(user)):
        return template.render(
            name=user.display_name, title=message.title, body=message.body, link_url=base_url + message.link_path,
            settings_url=base_url + SETTINGS_PATH, **message.details,
        )


# Preferences --------------------------------------------------------------------------------


def preferences_for(user_id: int) -> dict[NotificationKind, Channels]:
    """Every kind's channels for this user; a kind never saved has both on."""
    saved = {
        kind: Channels(email=email_enabled, in_app=in_app_enabled)
        for kind, email_enabled, in_app_enabled in db.session.execute(_saved_preferences(), {"user_id": user_id})
    }
    return {kind: saved.get(kind.value, Channels()) for kind in NotificationKind}


@functools.cache
def _saved_preferences() -> Select[tuple[str, bool, bool]]:
    """The `user_id`'s saved channels by kind, in Core (built once: every notification reads them)."""
    preferences = NotificationPreference.__table__
    return select(preferences.c.kind, preferences.c.email_enabled, preferences.c.in_app_enabled).where(
        preferences.c.user_id == bindparam("user_id"),
    )


def save_preferences(user_id: int, choices: dict[NotificationKind, Channels]) -> None:
    """Store the user's choice for each kind given (flushes)."""
    for kind, channels in choices.items():
        values = {"email_enabled": channels.email, "in_app_enabled": channels.in_app}
        row = _preference(user_id, kind)
        if row is None:
            try:
                with db.session.begin_nested():
                    db.session.add(NotificationPreference(user_id=user_id, kind=kind, **values))
                continue
            except IntegrityError:  # the same form sent twice at once
                row = _preference(user_id, kind)
                assert row is not None
        row.email_enabled, row.in_app_enabled = channels.email, channels.in_app
    db.session.flush()
    log.info("user %s saved notification preferences", user_id)


def _preference(user_id: int, kind: NotificationKind) -> NotificationPreference | None:
    return db.session.scalar(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id, NotificationPreference.kind == kind)
    )


# Reading notices ----------------------------------------------------------------------------


def list_notices(user_id: int, *, page: int = 1, per_page: int = 20) -> Page[Notice]:
    """The user's notices, newest first."""
    total = count_notices(user_id)
    page = clamp_page(page, total, per_page)
    items = db.session.scalars(
        select(Notice).where(Notice.user_id == user_id).order_by(Notice.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)


def count_notices(user_id: int, *, unread_only: bool = False) -> int:
    query = select(func.count()).select_from(Notice).where(Notice.user_id == user_id)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return db.session.scalar(query) or 0


def find_notice(user_id: int, notice_id: int) -> Notice | None:
    """One of the user's own notices; None for anyone else's."""
    notice = db.session.get(Notice, notice_id)
    return notice if notice is not None and notice.user_id == user_id else None


def mark_read(notice: Notice) -> None:
    """Reading twice keeps the first time."""
    if notice.read_at is None:
        notice.read_at = clock.now()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    """Every unread notice of the user; returns how many."""
    result = db.session.execute(
        update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None)).values(read_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
