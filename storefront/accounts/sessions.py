"""Signed-in sessions kept on the server: log-out ends one for good, "log out everywhere" ends them all.

The cookie holds a random token; we keep only its hash, so a copy of the table signs nobody in.
Each session remembers when its owner last typed their password, for actions that want a
recent one (operators moving money).
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import g
from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront import clock
from storefront.accounts.models import User
from storefront.accounts.tokens import hash_secret
from storefront.extensions import Base, db
from storefront.sqltypes import UTCDateTime


class UserSession(Base):
    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    #: When the password was last typed in this session (log-in or confirmation).
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


def open_session(user: User) -> str:
    """A new session for the user (flushed); returns the token for the cookie, never stored as such."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=hash_secret(token), created_at=clock.now(), authenticated_at=clock.now()))
    db.session.flush()
    return token


def find_active(user_id: int, token: str, max_age: timedelta) -> UserSession | None:
    return db.session.scalar(select(UserSession).where(
        UserSession.token_hash == hash_secret(token), UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
        UserSession.created_at >= clock.now() - max_age,
    ))


def revoke(token: str) -> None:
    db.session.execute(
        update(UserSession).where(UserSession.token_hash == hash_secret(token), UserSession.revoked_at.is_(None)).values(revoked_at=clock.now())
    )


def revoke_all(user_id: int) -> int:
    """End every session of the user; returns how many were open."""
    result = db.session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None)).values(revoked_at=clock.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def active_count(user_id: int) -> int:
    return len(db.session.scalars(select(UserSession.id).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))).all())


def confirmed_recently(user_session: UserSession | None, max_age: timedelta) -> bool:
    return user_session is not None and clock.now() - user_session.authenticated_at <= max_age


def confirm_password(user_session: UserSession) -> None:
    user_session.authenticated_at = clock.now()


def current() -> UserSession | None:
    """The request's session, set by the log-in loader."""
    return g.get("user_session")
