"""Imports every domain's models so the metadata is complete (for Alembic and the tests)."""
from storefront.accounts.models import User
from storefront.accounts.sessions import UserSession
from storefront.accounts.tokens import ApiToken
from storefront.audit.models import AuditEntry
from storefront.catalog.models import Category, Product
from storefront.extensions import Base
from storefront.orders.models import Order, OrderLine, OrderStatusChange
from storefront.payments.models import ConnectedAccount, Payment, Refund, RefundLine, TestProviderEvent, WebhookEvent
from storefront.shops.models import Look, LookItem, Shop, ShopItem
from share.models import Click, KnownVisitor, LinkDay, LinkHour, OrderAttribution, ShareLink, Touch
from commissions.analytics.models import AttributedSale
from commissions.models import Commission, CommissionRate, CuratorTier, LedgerAccount, LedgerTransaction, LedgerTransfer, Payout, PayoutRun
from commissions.notifications.models import Notice, NotificationPreference, OutboxEmail

__all__ = ["ApiToken", "UserSession", "Notice", "NotificationPreference", "OutboxEmail", "AttributedSale", "LinkDay", "LinkHour", "TestProviderEvent", "Payout", "PayoutRun", "ConnectedAccount", "Commission", "CommissionRate", "CuratorTier", "LedgerAccount", "LedgerTransaction", "LedgerTransfer", "AuditEntry", "Base", "Category", "Click", "KnownVisitor", "OrderAttribution", "ShareLink", "Touch", "Look", "LookItem", "Shop", "ShopItem", "Order", "OrderLine", "OrderStatusChange", "Payment", "Product", "Refund", "RefundLine", "User", "WebhookEvent"]
