"""The SMTP transport against a real SMTP server on loopback (aiosmtpd, started by the tests)."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from commissions.notifications.transports import MailTransportError, SmtpSettings, SmtpTransport, build_message

FROM = "Vitrine <no-reply@shop.example>"


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right-password"
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server (no TLS) that accepts AUTH in the clear, on a free loopback port."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=inbox.authenticate,
                            auth_require_tls=False, auth_required=False)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def a_message() -> Any:
    return build_message(sender=FROM, recipient="ana@example.com", subject="Payout sent: $5.00",
                         text_body="Hello Ana,\n\nWe sent you $5.00.\n", dedupe_key="payout_sent:payout:1")


def test_the_smtp_transport_delivers_to_the_server(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    SmtpTransport(SmtpSettings.from_url(f"smtp://127.0.0.1:{port}")).send(a_message())
    [envelope] = inbox.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == ("no-reply@shop.example", ["ana@example.com"])
    assert b"Subject: Payout sent: $5.00" in envelope.content and b"We sent you $5.00." in envelope.content


def test_the_smtp_transport_logs_in_with_the_urls_credentials(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    SmtpTransport(SmtpSettings.from_url(f"smtp://mailer:right-password@127.0.0.1:{port}")).send(a_message())
    assert inbox.logins == ["mailer"] and len(inbox.envelopes) == 1


def test_a_refused_login_is_a_transport_error_without_the_password(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    transport = SmtpTransport(SmtpSettings.from_url(f"smtp://mailer:wrong-password@127.0.0.1:{port}"))
    with pytest.raises(MailTransportError) as refused:
        transport.send(a_message())
    assert "SMTPAuthenticationError" in str(refused.value) and "wrong-password" not in str(refused.value)
    assert inbox.envelopes == []


def test_starttls_asked_of_a_server_without_it_sends_nothing_in_the_clear(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    with pytest.raises(MailTransportError, match="STARTTLS"):
        SmtpTransport(SmtpSettings.from_url(f"smtp://mailer:right-password@127.0.0.1:{port}?starttls=1")).send(a_message())
    assert inbox.logins == [] and inbox.envelopes == []


def test_a_server_that_does_not_answer_is_a_transport_error() -> None:
    with pytest.raises(MailTransportError, match="ConnectionRefusedError"):
        SmtpTransport(SmtpSettings.from_url(f"smtp://127.0.0.1:{free_port()}")).send(a_message())
