"""The outbox sender: each e-mail once, claims that only one sender wins, retries with back-off, stuck e-mails left alone."""
from __future__ import annotations

import logging
from typing import Any

import pytest

from commissions.notifications import sender, services
from commissions.notifications.models import NotificationKind, OutboxEmail
from commissions.notifications.services import Message
from commissions.notifications.transports import SmtpSettings, SmtpTransport, message_id, sender_address
from storefront.extensions import db
from tests.notifications.conftest import RecordingTransport

pytestmark = pytest.mark.usefixtures("request_context")
FROM = "Vitrine <no-reply@shop.example>"


@pytest.fixture
def outbox(create_user: Any) -> Any:
    """`outbox(n)` → n committed pending e-mails to one curator."""
    user = create_user(email="ana@example.com")

    def write(count: int = 1) -> list[OutboxEmail]:
        made = []
        for number in range(count):
            delivery = services.notify(user.id, Message(NotificationKind.PAYOUT_SENT, title=f"Payout sent: ${number}.00",
                                                        body="We sent you money.", link_path="/me/earnings"),
                                       dedupe_key=f"payout_sent:payout:{number}:{len(made)}")
            assert delivery.email is not None
            made.append(delivery.email)
        db.session.commit()
        return made

    return write


def status_of(email: OutboxEmail) -> str:
    db.session.refresh(email)
    return email.status


def test_send_sends_every_due_email_and_marks_it_sent(outbox: Any, transport: RecordingTransport, frozen_clock: Any) -> None:
    [email] = outbox(1)
    report = sender.send_due(transport, sender=FROM)
    assert report.sent == [email.id] and [m["Subject"] for m in transport.sent] == ["Payout sent: $0.00"]
    db.session.refresh(email)
    assert (email.status, email.attempts, email.sent_at) == ("sent", 1, frozen_clock.now())


def test_sending_twice_sends_each_email_once(outbox: Any, transport: RecordingTransport) -> None:
    outbox(3)
    sender.send_due(transport, sender=FROM)
    again = sender.send_due(transport, sender=FROM)
    assert again.sent == [] and len(transport.sent) == 3


def test_send_stops_at_the_limit(outbox: Any, transport: RecordingTransport) -> None:
    outbox(3)
    assert len(sender.send_due(transport, sender=FROM, limit=2).sent) == 2
    assert len(sender.send_due(transport, sender=FROM, limit=2).sent) == 1


def test_of_two_senders_claiming_one_email_only_one_wins(outbox: Any) -> None:
    [email] = outbox(1)
    # Both saw it pending; each tries its conditional UPDATE.
    assert sender.claim(email.id) is True
    assert sender.claim(email.id) is False
    db.session.commit()
    assert status_of(email) == "sending"


def test_a_sender_that_lost_a_claim_takes_the_next_email(outbox: Any) -> None:
    first, second = outbox(2)
    sender.claim(first.id)  # another sender got there first
    db.session.commit()
    claimed = sender.claim_next()
    assert claimed is not None and claimed.id == second.id and sender.claim_next() is None


def test_a_claim_is_committed_before_the_transport_is_called(outbox: Any) -> None:
    [email] = outbox(1)
    seen: list[str] = []

    class Peeking(RecordingTransport):
        def send(self, message: Any) -> None:
            db.session.rollback()  # whatever the sender had not committed is gone
            seen.append(db.session.get(OutboxEmail, email.id).status)  # type: ignore[union-attr]
            super().send(message)

    sender.send_due(Peeking(), sender=FROM)
    assert seen == ["sending"]


def test_a_failed_attempt_goes_back_to_pending_with_the_error_and_a_back_off(outbox: Any, frozen_clock: Any) -> None:
    [email] = outbox(1)
    report = sender.send_due(RecordingTransport(failures=1), sender=FROM)
    db.session.refresh(email)
    assert report.retrying == [email.id]
    assert (email.status, email.attempts, email.claimed_at) == ("pending", 1, None)
    assert email.last_error.startswith("SMTPServerDisconnected") and email.next_attempt_at == frozen_clock.now() + sender.retry_delay(1)


def test_an_email_is_not_retried_before_its_back_off(outbox: Any, transport: RecordingTransport, frozen_clock: Any) -> None:
    outbox(1)
    sender.send_due(RecordingTransport(failures=1), sender=FROM)
    assert sender.send_due(transport, sender=FROM).sent == []
    frozen_clock.advance(minutes=1)
    assert len(sender.send_due(transport, sender=FROM).sent) == 1


def test_after_five_failed_attempts_the_email_is_failed_for_good(outbox: Any, frozen_clock: Any) -> None:
    [email] = outbox(1)
    failing = RecordingTransport(failures=99)
    outcomes = []
    for attempt in range(1, sender.MAX_ATTEMPTS + 1):
        report = sender.send_due(failing, sender=FROM)
        outcomes.append("failed" if report.failed else "retrying")
        frozen_clock.advance(minutes=4 ** attempt)
    assert outcomes == ["retrying"] * 4 + ["failed"]
    assert (status_of(email), email.attempts) == ("failed", 5)
    assert sender.send_due(failing, sender=FROM).failed == []


def test_a_retry_carries_the_same_message_id(outbox: Any, transport: RecordingTransport, frozen_clock: Any) -> None:
    [email] = outbox(1)
    sender.send_due(RecordingTransport(failures=1), sender=FROM)
    frozen_clock.advance(minutes=1)
    sender.send_due(transport, sender=FROM)
    assert transport.sent[0]["Message-ID"] == message_id(email.dedupe_key, FROM)


def test_the_message_id_is_deterministic_and_on_the_senders_domain() -> None:
    assert message_id("payout_sent:payout:1", FROM) == message_id("payout_sent:payout:1", FROM)
    assert message_id("payout_sent:payout:1", FROM) != message_id("payout_sent:payout:2", FROM)
    assert message_id("payout_sent:payout:1", FROM).endswith("@shop.example>")


def test_an_email_stuck_sending_is_never_sent_again_automatically(outbox: Any, transport: RecordingTransport, frozen_clock: Any) -> None:
    [email] = outbox(1)
    sender.claim_next()  # … and the sender died before recording the outcome
    frozen_clock.advance(hours=2)
    assert sender.send_due(transport, sender=FROM).sent == [] and transport.sent == []
    assert [stuck.id for stuck in sender.stuck_emails()] == [email.id]


def test_an_email_being_sent_is_not_stuck_within_the_lease(outbox: Any, frozen_clock: Any) -> None:
    outbox(1)
    sender.claim_next()
    frozen_clock.advance(minutes=14)
    assert sender.stuck_emails() == []


def test_a_stuck_email_requeued_by_hand_is_sent(outbox: Any, transport: RecordingTransport, frozen_clock: Any) -> None:
    [email] = outbox(1)
    sender.claim_next()
    frozen_clock.advance(minutes=16)
    sender.requeue(email.id)
    db.session.commit()
    assert sender.send_due(transport, sender=FROM).sent == [email.id]


def test_an_email_being_sent_cannot_be_requeued(outbox: Any) -> None:
    [email] = outbox(1)
    sender.claim_next()
    with pytest.raises(sender.RequeueError, match="only a failed one"):
        sender.requeue(email.id)


def test_the_send_command_uses_the_log_by_default(app: Any, outbox: Any, runner: Any, caplog: Any) -> None:
    outbox(1)
    caplog.set_level(logging.INFO, logger="vitrine.mail")
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry, 0 failed (via log)" in result.output
    [record] = [r for r in caplog.records if r.name == "vitrine.mail"]
    assert "Subject: Payout sent: $0.00" in record.getMessage() and "To: ana@example.com" in record.getMessage()


def test_the_stuck_command_lists_stuck_emails_and_exits_1(outbox: Any, runner: Any, frozen_clock: Any) -> None:
    [email] = outbox(1)
    sender.claim_next()
    frozen_clock.advance(minutes=20)
    result = runner.invoke(args=["notifications", "stuck"])
    assert result.exit_code == 1 and f"stuck: e-mail {email.id} (payout_sent" in result.output


def test_smtp_url_parts_are_read_and_described_without_the_password() -> None:
    settings = SmtpSettings.from_url("smtp://mailer%40shop:s3cr%2Ft@mail.example:587?starttls=1")
    assert (settings.host, settings.port, settings.username, settings.password, settings.starttls, settings.implicit_tls) == (
        "mail.example", 587, "mailer@shop", "s3cr/t", True, False)
    assert "s3cr" not in settings.describe() and settings.describe() == "smtp://mailer@shop@mail.example:587?starttls=1"
    assert SmtpSettings.from_url("smtps://mail.example").port == 465


def test_a_bad_smtp_url_stops_the_command(app: Any, runner: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "SMTP_URL", "http://mail.example")
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 2 and "SMTP_URL must look like" in result.output


def test_an_smtp_error_never_carries_the_password() -> None:
    transport = SmtpTransport(SmtpSettings.from_url("smtp://u:hunter2@127.0.0.1:1"))
    error = transport._safe(OSError("auth hunter2 refused"))
    assert "hunter2" not in error and "***" in error


def test_the_sender_address_defaults_to_vitrine_on_localhost(app: Any) -> None:
    assert sender_address({}) == "Vitrine <no-reply@localhost>"
    with pytest.raises(ValueError):
        sender_address({"SMTP_FROM": "nobody"})
