"""On PostgreSQL with real transactions: racing writers of one cause write one notice, racing senders send each e-mail once."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from commissions.notifications import sender, services
from commissions.notifications.models import Notice, NotificationKind, OutboxEmail
from commissions.notifications.services import Message
from storefront.extensions import db
from tests.commissions.test_concurrency import run_at_once
from tests.conftest import empty_every_table, on_postgresql

pytestmark = on_postgresql
SENDERS = 10
EMAILS = 30


class ThreadSafeRecorder:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        with self._lock:
            self.sent.append(str(message["Message-ID"]))


def message(number: int = 0) -> Message:
    return Message(NotificationKind.PAYOUT_SENT, title=f"Payout sent: ${number}.00", body="We sent you money.",
                   link_path="/me/earnings")


@pytest.fixture
def curator(app: Any) -> Iterator[int]:
    """A user committed for real; every table emptied afterwards."""
    from storefront.accounts.services import create_user

    with app.test_request_context():
        user_id = create_user("curator@example.com", "Curator", "correct horse battery").id
        db.session.commit()
        db.session.remove()
    yield user_id
    empty_every_table()


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_twenty_writers_of_one_cause_write_one_notice_and_one_email(app: Any, curator: int) -> None:
    results = run_at_once(app, lambda: services.notify(curator, message(), dedupe_key="payout_sent:payout:1"), threads=20)
    assert not [r for r in results if isinstance(r, str)], results  # no writer failed
    with app.app_context():
        assert (count(Notice), count(OutboxEmail)) == (1, 1)


def test_ten_senders_at_once_send_each_email_once(app: Any, curator: int) -> None:
    with app.test_request_context():
        for number in range(EMAILS):
            services.notify(curator, message(number), dedupe_key=f"payout_sent:payout:{number}")
        db.session.commit()
        db.session.remove()
    transport = ThreadSafeRecorder()
    results = run_at_once(app, lambda: len(sender.send_due(transport, sender="Vitrine <no-reply@localhost>").sent), threads=SENDERS)
    assert sum(r for r in results if isinstance(r, int)) == EMAILS, results
    assert len(transport.sent) == len(set(transport.sent)) == EMAILS
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.status == "sent")) == EMAILS
