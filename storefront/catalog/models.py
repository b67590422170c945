"""The retailer's catalog: categories and products with prices in minor units."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront import clock
from storefront.extensions import Base
from storefront.money import Money
from storefront.sqltypes import UTCDateTime


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        Index("ix_products_category_active", "category_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: A file name under static/products/, or an absolute https URL.
    image: Mapped[str] = mapped_column(String(500), default="")
    #: Units free to sell; checkout reserves by decrementing, expiry gives them back.
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    featured: Mapped[bool] = mapped_column(default=False)
    #: Bumped by every UPDATE of the row (edits, imports), except that a checkout's stock move bumps it only
    #: when the product sells out or comes back; shop pages cached under an older version are not served again.
    version: Mapped[int] = mapped_column(default=0, server_default="0", onupdate=text("version + 1"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    category: Mapped[Category] = relationship(lazy="joined")

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    @property
    def in_stock(self) -> bool:
        return self.active and self.stock > 0
