"""Imports every domain's models so the metadata is complete (for Alembic and the tests)."""
from storefront.accounts.models import User
from storefront.catalog.models import Category, Product
from storefront.extensions import Base
from storefront.orders.models import Order, OrderLine, OrderStatusChange
from storefront.payments.models import Payment, Refund, WebhookEvent

__all__ = ["Base", "Category", "Order", "OrderLine", "OrderStatusChange", "Payment", "Product", "Refund", "User", "WebhookEvent"]
