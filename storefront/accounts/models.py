"""People who sign in: customers (everyone) and operators."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront import clock
from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class Role(StrEnum):
    CUSTOMER = "customer"
    OPERATOR = "operator"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.CUSTOMER)
    #: An IANA zone name ("America/Sao_Paulo"): the user's days on dashboards and times on pages.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The language pages speak to this user in; None: the browser's choice (storefront.i18n).
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    # The language of the browser they last signed in with: e-mails and notices use it while `locale` is None.
    browser_locale: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR
