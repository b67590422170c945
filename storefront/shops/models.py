"""Curators' personal shops: items picked from the catalog with their notes, grouped into looks."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column, query_expression, relationship

from storefront import clock
from storefront.accounts.models import User
from storefront.catalog.models import Product
from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class ShopStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One shop per user.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    #: Lower-case, so uniqueness ignores case; fixed once chosen, since shared links carry it.
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(String(280), default="")
    accent_colour: Mapped[str] = mapped_column(String(7), default="#b4442f")
    status: Mapped[str] = mapped_column(String(16), default=ShopStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set by an operator; a suspended shop is not public and earns nothing.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str] = mapped_column(String(500), default="")
    #: Re-encoded 256 px WebP; None means the generated avatar. Deferred: pages rarely need the bytes.
    avatar_webp: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    #: Bumped on every new avatar, so its URL changes and caches can keep it forever.
    avatar_version: Mapped[int] = mapped_column(default=0)
    #: Bumped by every UPDATE of the row (profile, publication, suspension) and by the services that change
    #: its items, notes, order or looks; with catalog_version it keys the cached public page.
    version: Mapped[int] = mapped_column(default=0, server_default="0", onupdate=text("version + 1"))
    #: The sum of its products' versions, loaded only by the queries that ask for it (None otherwise).
    catalog_version: Mapped[int | None] = query_expression()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    user: Mapped[User] = relationship(lazy="joined")
    items: Mapped[list[ShopItem]] = relationship(
        back_populates="shop", order_by="ShopItem.position", cascade="all, delete-orphan"
    )
    looks: Mapped[list[Look]] = relationship(back_populates="shop", order_by="Look.position", cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.status == ShopStatus.PUBLISHED

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_public(self) -> bool:
        return self.is_published and not self.is_suspended


class ShopItem(Base):
    __tablename__ = "shop_items"
    __table_args__ = (UniqueConstraint("shop_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    #: The curator's own words, plain text (never rendered as HTML).
    note: Mapped[str] = mapped_column(Text, default="")
    #: 0-based order on the shop page; kept dense by the services.
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    shop: Mapped[Shop] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(lazy="joined")


class Look(Base):
    __tablename__ = "looks"
    __table_args__ = (UniqueConstraint("shop_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    shop: Mapped[Shop] = relationship(back_populates="looks")
    entries: Mapped[list[LookItem]] = relationship(
        back_populates="look", order_by="LookItem.position", cascade="all, delete-orphan"
    )

    @property
    def items(self) -> list[ShopItem]:
        return [entry.shop_item for entry in self.entries]


class LookItem(Base):
    __tablename__ = "look_items"
    __table_args__ = (Index("ix_look_items_shop_item_id", "shop_item_id"),)

    look_id: Mapped[int] = mapped_column(ForeignKey("looks.id", ondelete="CASCADE"), primary_key=True)
    #: Removing an item from the shop removes it from its looks too.
    shop_item_id: Mapped[int] = mapped_column(ForeignKey("shop_items.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    look: Mapped[Look] = relationship(back_populates="entries")
    shop_item: Mapped[ShopItem] = relationship(lazy="joined")
