"""Share links, the clicks they get, attribution touches, and each order's attribution decision."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront import clock
from storefront.extensions import Base
from storefront.shops.models import Shop
from storefront.sqltypes import UTCDateTime


class LinkTarget(StrEnum):
    SHOP = "shop"
    LOOK = "look"
    PRODUCT = "product"


class Channel(StrEnum):
    WHATSAPP = "whatsapp"
    WECHAT = "wechat"
    WEIBO = "weibo"
    FACEBOOK = "facebook"
    X = "x"
    TELEGRAM = "telegram"
    EMAIL = "email"
    COPY = "copy"


class DeviceClass(StrEnum):
    MOBILE = "mobile"
    DESKTOP = "desktop"
    BOT = "bot"


class TouchKind(StrEnum):
    CLICK = "click"
    #: Adding to the cart from a curator's shop page.
    CART = "cart"


class SelfReferral(StrEnum):
    NONE = "none"
    #: Bought by the curator's own account: earns nothing.
    SELF = "self_referred"
    #: Weaker signs of a self-purchase: an operator decides.
    REVIEW = "review"


class ShareLink(Base):
    __tablename__ = "share_links"
    __table_args__ = (UniqueConstraint("shop_id", "target_type", "target_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, from an unambiguous alphabet: not guessable, not sequential.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(10))
    #: The look's or product's id; 0 for the shop itself (so the unique key has no NULL in it).
    target_id: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    shop: Mapped[Shop] = relationship(lazy="joined")


class Click(Base):
    """One counted visit through a share link. No raw IP, no user agent: only what attribution and fraud checks need."""

    __tablename__ = "clicks"
    __table_args__ = (
        Index("ix_clicks_link_id_created_at", "link_id", "created_at"),
        Index("ix_clicks_visitor_id_link_id", "visitor_id", "link_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    visitor_id: Mapped[str] = mapped_column(String(32))
    referrer_host: Mapped[str] = mapped_column(String(255), default="")
    device_class: Mapped[str] = mapped_column(String(10))
    #: HMAC of the IP with a server-side salt, for fraud checks; the IP itself is never stored.
    ip_hash: Mapped[str] = mapped_column(String(32), index=True)
    #: False when the same visitor clicked the same link in the previous 30 minutes.
    unique_visit: Mapped[bool] = mapped_column(default=True)

    link: Mapped[ShareLink] = relationship(lazy="joined")


class LinkHour(Base):
    """Clicks on one link in one UTC hour: the dashboards read these, never the raw clicks.

    `visitors` counts each browser once per link per day of the curator's calendar: a
    visitor is counted in the hour of their first click of that local day. Hours (not days)
    so that any viewer's whole-hour time zone can fold them into its own days.
    """

    __tablename__ = "link_hours"

    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    clicks: Mapped[int] = mapped_column(default=0)
    visitors: Mapped[int] = mapped_column(default=0)


class LinkDay(Base):
    """Clicks on one link in one day of the curator's calendar: what the curator's dashboard reads.

    Kept beside the hours, by the same rule, so a year is 365 rows per link instead of 8,760.
    """

    __tablename__ = "link_days"

    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(default=0)
    visitors: Mapped[int] = mapped_column(default=0)


class Touch(Base):
    """A moment a curator earned the right to be credited: a click, or an add-to-cart from their shop."""

    __tablename__ = "attribution_touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(32), index=True)
    #: Set when the visitor was, or later became, signed in: attribution follows the account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    click_id: Mapped[int | None] = mapped_column(ForeignKey("clicks.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    shop: Mapped[Shop] = relationship(lazy="joined")
    click: Mapped[Click | None] = relationship()


class KnownVisitor(Base):
    """Which accounts signed in on which browser: a curator's own browsers, for the self-purchase check."""

    __tablename__ = "known_visitors"

    visitor_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class OrderAttribution(Base):
    """Why an order was (or was not) credited to a curator, written once at checkout."""

    __tablename__ = "order_attributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    touch_id: Mapped[int | None] = mapped_column(ForeignKey("attribution_touches.id", ondelete="SET NULL"))
    click_id: Mapped[int | None] = mapped_column(ForeignKey("clicks.id", ondelete="SET NULL"))
    #: The rule in force: last_click or first_click.
    rule: Mapped[str] = mapped_column(String(16))
    self_referral: Mapped[str] = mapped_column(String(16), default=SelfReferral.NONE)
    #: Which weak self-purchase signals matched (names only, never the matched values).
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The credited shops with weak self-purchase signals: their lines earn on hold until an operator decides.
    review_shop_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    explanation: Mapped[str] = mapped_column(String(500))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    shop: Mapped[Shop | None] = relationship(lazy="joined")
    click: Mapped[Click | None] = relationship(lazy="joined")
