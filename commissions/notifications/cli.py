"""`flask notifications send|stuck|requeue`: the outbox, from cron."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from commissions.notifications import sender
from commissions.notifications.transports import sender_address, transport_from_config
from storefront.extensions import db

notifications_cli = AppGroup("notifications", help="Curators' notification e-mails (the outbox).")


@notifications_cli.command("send")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True, help="E-mails to send at most.")
def send(limit: int) -> None:
    """Send due e-mails, each once (safe to run twice at once); exit 1 when any failed for good."""
    try:
        transport = transport_from_config(current_app.config)
        from_address = sender_address(current_app.config)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    report = sender.send_due(transport, sender=from_address, limit=limit)
    click.echo(f"{len(report.sent)} sent, {len(report.retrying)} to retry, {len(report.failed)} failed (via {transport.name})")
    for outbox_id in report.failed:
        click.echo(f"failed: e-mail {outbox_id}", err=True)
    if report.failed:
        raise SystemExit(1)


@notifications_cli.command("stuck")
def stuck() -> None:
    """E-mails claimed more than 15 minutes ago and never finished: maybe sent, maybe not; exit 1 when any."""
    emails = sender.stuck_emails()
    for email in emails:
        claimed = email.claimed_at.strftime("%Y-%m-%d %H:%M") if email.claimed_at else "?"
        click.echo(f"stuck: e-mail {email.id} ({email.kind}, user {email.user_id}) claimed {claimed} UTC, attempt {email.attempts + 1}")
    click.echo(f"{len(emails)} stuck e-mail(s)" + ("; check the mail server's log, then `flask notifications requeue ID` to send one again"
                                                     if emails else ""))
    if emails:
        raise SystemExit(1)


@notifications_cli.command("requeue")
@click.argument("outbox_ids", type=int, nargs=-1, required=True)
def requeue(outbox_ids: tuple[int, ...]) -> None:
    """Send stuck or failed e-mails again (only once you know they did not arrive)."""
    for outbox_id in outbox_ids:
        try:
            sender.requeue(outbox_id)
        except sender.RequeueError as error:
            db.session.rollback()
            click.echo(f"error: {error}", err=True)
            raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"{len(outbox_ids)} e-mail(s) back in the outbox")


def init_app(app: Flask) -> None:
    app.cli.add_command(notifications_cli)
