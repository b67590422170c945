"""API bearer tokens: random, shown once, stored as a hash, revocable."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront import clock
from storefront.accounts.models import User
from storefront.extensions import Base, db
from storefront.sqltypes import UTCDateTime

#: Makes a leaked token recognisable in logs and by secret scanners.
PREFIX = "vt_"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


def hash_secret(token: str) -> str:
    """What we store of a random secret (an API token, a session's cookie token): a copy of the table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new token for the user (flushed); the only time its text exists."""
    token = PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_secret(token), created_at=clock.now()))
    db.session.flush()
    return token


def find_token(token: str) -> ApiToken | None:
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(token), ApiToken.revoked_at.is_(None)))


def revoke_token(api_token: ApiToken) -> None:
    api_token.revoked_at = clock.now()
