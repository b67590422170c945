"""One row per paid order per credited shop: what the dashboards sum instead of order lines and commissions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.extensions import Base
from storefront.sqltypes import UTCDateTime


class AttributedSale(Base):
    """A shop's part of one paid order, kept current as refunds, disputes and rejections change it.

    Rebuilt from the orders, refunds and commissions by `flask analytics rebuild`; the
    incremental path recomputes the same row from the same sources, so both agree.
    """

    __tablename__ = "attributed_sales"
    __table_args__ = (Index("ix_attributed_sales_shop_id_paid_at", "shop_id", "paid_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    #: The share link whose click won the order for this shop; None when a shop-page add to cart credited it.
    link_id: Mapped[int | None] = mapped_column(ForeignKey("share_links.id", ondelete="SET NULL"), index=True)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    #: The shop's lines as paid, shipping excluded.
    sales_minor: Mapped[int] = mapped_column(BigInteger)
    #: What refunds gave back on those lines.
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What the curator keeps: earned minus reversed, nothing for rejected commissions.
    commission_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    #: A keyed hash of the buyer's e-mail: counts distinct friends without keeping who they are.
    buyer_key: Mapped[str] = mapped_column(String(32))

    @property
    def net_sales_minor(self) -> int:
        return self.sales_minor - self.refunded_minor
