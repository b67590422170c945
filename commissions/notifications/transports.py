"""How an e-mail leaves: SMTP when SMTP_URL is set, otherwise the `vitrine.mail` log. The only module that imports smtplib."""
from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from storefront import clock

mail_log = logging.getLogger("vitrine.mail")
SMTP_TIMEOUT_SECONDS = 30


class MailTransportError(Exception):
    """The transport could not hand the message over; the message is safe to store (no credentials)."""


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def message_id(dedupe_key: str, sender: str) -> str:
    """The same Message-ID for every attempt of one e-mail, so a receiving server can drop a duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def build_message(*, sender: str, recipient: str, subject: str, text_body: str, dedupe_key: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id(dedupe_key, sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body)
    return message


class LogTransport:
    """The default: each message, whole, to the `vitrine.mail` logger at INFO (shown on stderr when logging is not set up)."""

    name = "log"

    def __init__(self) -> None:
        if not mail_log.hasHandlers():
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
            mail_log.addHandler(handler)
        if mail_log.getEffectiveLevel() > logging.INFO:
            mail_log.setLevel(logging.INFO)

    def send(self, message: EmailMessage) -> None:
        mail_log.info("e-mail %s to %s\n%s", message["Message-ID"], message["To"], message.as_string())


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    #: smtps://: TLS from the first byte (usually port 465).
    implicit_tls: bool
    #: ?starttls=1: upgrade a plain connection before logging in (usually port 587).
    starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """`smtp://user:pass@host:port`, `smtps://…`, `smtp://…?starttls=1`; user and password percent-encoded."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587?starttls=1 or smtps://…@host:465")
        implicit_tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        try:
            port = parts.port or (465 if implicit_tls else 25)
        except ValueError:
            raise ValueError("SMTP_URL has a port that is not a number") from None
        return cls(host=parts.hostname, port=port, username=unquote(parts.username or ""), password=unquote(parts.password or ""),
                   implicit_tls=implicit_tls, starttls=starttls and not implicit_tls)

    def describe(self) -> str:
        """Where mail goes, for logs and the command's output: never the password."""
        user = f"{self.username}@" if self.username else ""
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{user}{self.host}:{self.port}" + ("?starttls=1" if self.starttls else "")


class SmtpTransport:
    """One connection per message: simple, and a broken connection never carries over to the next e-mail."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            smtp: Any
            if s.implicit_tls:
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS)
            with smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, s.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            raise MailTransportError(self._safe(error)) from None

    def _safe(self, error: Exception) -> str:
        text = f"{type(error).__name__}: {error}"
        if self.settings.password:
            text = text.replace(self.settings.password, "***")
        return f"{text} ({self.settings.describe()})"[:500]


def transport_from_config(config: Any) -> LogTransport | SmtpTransport:
    url = config.get("SMTP_URL") or ""
    return SmtpTransport(SmtpSettings.from_url(url)) if url else LogTransport()


def sender_address(config: Any) -> str:
    """SMTP_FROM, checked: a display name and an address."""
    raw = config.get("SMTP_FROM") or "Vitrine <no-reply@localhost>"
    name, address = parseaddr(raw)
    if "@" not in address:
        raise ValueError(f"SMTP_FROM must be an address like 'Vitrine <no-reply@example.com>', got {raw!r}")
    user, _, domain = address.partition("@")
    return str(Address(display_name=name, username=user, domain=domain))
