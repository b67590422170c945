"""Notification helpers: curators' sales (the commission fixtures), what each user was told, and a recording transport."""
from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from commissions.notifications.models import Notice, OutboxEmail
from commissions.notifications.transports import MailTransportError
from storefront.extensions import db
from tests.commissions.conftest import commissions_of, operator, refund, refund_lines, sell, shopper  # noqa: F401 (fixtures)


def notices_of(user_id: int, kind: str | None = None) -> list[Notice]:
    query = select(Notice).where(Notice.user_id == user_id).order_by(Notice.id)
    return list(db.session.scalars(query.where(Notice.kind == kind) if kind else query))


def emails_of(user_id: int, kind: str | None = None) -> list[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.user_id == user_id).order_by(OutboxEmail.id)
    return list(db.session.scalars(query.where(OutboxEmail.kind == kind) if kind else query))


class RecordingTransport:
    """Keeps what it is given; fails the first `failures` sends."""

    name = "recording"

    def __init__(self, failures: int = 0) -> None:
        self.sent: list[EmailMessage] = []
        self.failures = failures

    def send(self, message: EmailMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise MailTransportError("SMTPServerDisconnected: Connection unexpectedly closed")
        self.sent.append(message)


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def sale(create_shop: Any, create_product: Any, sell: Any) -> Any:  # noqa: F811 (the imported fixture)
    """A paid order of 2 × 50.00 through a curator at 5%: 5.00 earned, pending."""
    product = create_product(price_minor=5000, stock=50)
    shop = create_shop(product)
    return sell(shop, (product, 2))


@pytest.fixture
def curator_id(sale: Any) -> int:
    return commissions_of(sale)[0].curator_user_id
