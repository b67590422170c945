"""Command-line tools: `flask db`, `flask catalog`, `flask users`, `flask orders`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from storefront.accounts import services as accounts
from storefront.accounts.models import Role
from storefront.catalog.importer import CatalogImportError, import_catalog_csv
from storefront.catalog.renditions import RENDITIONS_FOLDER, RenditionOutcome, build_all_renditions, rendition_name
from storefront.config import REPO_ROOT
from storefront.extensions import db
from storefront.orders import services as orders

DEMO_CATALOG = Path(__file__).parent / "catalog" / "demo" / "catalog.csv"

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
catalog_cli = AppGroup("catalog", help="The retailer's catalog.")
users_cli = AppGroup("users", help="Accounts.")
orders_cli = AppGroup("orders", help="Orders.")
demo_cli = AppGroup("demo", help="Demo accounts and shops for a local try-out.")


def alembic_config(database_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from alembic import command

    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION (e.g. base)."""
    from alembic import command

    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


def _import(path: Path, *, update_existing: bool = True, update_stock: bool = False) -> None:
    try:
        with path.open("rb") as stream:
            report = import_catalog_csv(
                stream, current_app.config["CURRENCY"], update_existing=update_existing, update_stock=update_stock
            )
    except CatalogImportError as error:
        db.session.rollback()
        for row_error in error.errors:
            click.echo(f"error: {path.name}: {row_error}", err=True)
        click.echo(f"error: nothing was imported ({len(error.errors)} problem(s))", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged")
    if report.hosted_images:
        # The products are in: a bad picture is worth a warning, not a failed import.
        _echo_renditions(build_all_renditions(_products_folder(), report.hosted_images), problem="warning")


def _products_folder() -> Path:
    return Path(current_app.static_folder or "") / "products"


def _echo_renditions(outcomes: list[RenditionOutcome], *, problem: str = "error") -> int:
    """Print each rendition made and each image that failed; return how many failed."""
    for outcome in outcomes:
        for width in outcome.widths_made:
            click.echo(f"made products/{RENDITIONS_FOLDER}/{width}/{rendition_name(outcome.image)}")
        if outcome.error:
            click.echo(f"{problem}: {outcome.error}", err=True)
    return sum(1 for outcome in outcomes if outcome.error)


@catalog_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--update-stock", is_flag=True,
    help="Also set existing products' stock from the file (a fresh shelf count); by default only new products take it.",
)
def catalog_import(csv_file: Path, update_stock: bool) -> None:
    """Create or update products by SKU from CSV_FILE; a file with any bad row imports nothing."""
    _import(csv_file, update_stock=update_stock)


@catalog_cli.command("load-demo")
def catalog_load_demo() -> None:
    """Add the demo catalog's missing products; existing ones (and their stock) are left alone."""
    _import(DEMO_CATALOG, update_existing=False)


@catalog_cli.command("renditions")
def catalog_renditions() -> None:
    """Write the WebP renditions (320, 640, 960 px, never upscaled) of every PNG, JPEG and WebP product image.

    Renditions newer than their image are kept, so running it again writes nothing.
    """
    outcomes = build_all_renditions(_products_folder())
    failed = _echo_renditions(outcomes)
    made = sum(len(outcome.widths_made) for outcome in outcomes)
    click.echo(f"{made} rendition(s) made for {len(outcomes)} raster image(s), {failed} failed")
    if failed:
        sys.exit(1)


@users_cli.command("create-operator")
@click.argument("email")
@click.option("--name", "display_name", default="Operator", show_default=True, help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_operator(email: str, display_name: str, password_stdin: bool) -> None:
    """Create an operator account, or make an existing account an operator."""
    existing = accounts.find_user_by_email(email)
    if existing is not None:
        accounts.promote_to_operator(existing)
        db.session.commit()
        click.echo(f"{existing.email} is now an operator")
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, display_name, password, role=Role.OPERATOR)
    except accounts.AccountError as error:
        db.session.rollback()
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"operator {user.email} created")


@orders_cli.command("expire")
def orders_expire() -> None:
    """Expire pending orders past their payment time and release their stock (run from cron); an order whose payment
    success waits in the queue is kept until it is applied."""
    count = orders.expire_due_orders()
    db.session.commit()
    click.echo(f"{count} order(s) expired")


@demo_cli.command("load")
@click.option("--allow-public", is_flag=True, help="Load even though BASE_URL is not a local address.")
def demo_load(allow_public: bool) -> None:
    """Create the demo shopper, operator and curators' shops (needs the demo catalog; safe to run again)."""
    from urllib.parse import urlsplit

    from storefront.demo import load_demo_data

    host = urlsplit(current_app.config["BASE_URL"]).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"} and not allow_public:
        click.echo(f"error: BASE_URL is {host}, not this machine: demo accounts have published passwords, so they are"
                   " only loaded locally (use --allow-public to insist)", err=True)
        sys.exit(1)

    created = load_demo_data(current_app.config["SHOP_MAX_ITEMS"])
    db.session.commit()
    click.echo(f"demo data: {', '.join(created) if created else 'already loaded'}")


payments_cli = AppGroup("payments", help="Payment provider events.")


@payments_cli.command("sync")
@click.option("--since", "since_text", required=True, metavar="YYYY-MM-DD", help="UTC date to list the provider's events from.")
def payments_sync(since_text: str) -> None:
    """Feed the provider's events since a date through the webhook pipeline (lost webhooks); running it twice changes nothing."""
    from datetime import UTC, datetime

    from storefront.payments.providers import MalformedEvent, ProviderError, active_provider
    from storefront.payments.webhooks import process_event, retry_waiting

    try:
        since = datetime.strptime(since_text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        click.echo(f"error: --since must be a date like 2026-11-01, got {since_text!r}", err=True)
        sys.exit(2)
    provider = active_provider()
    list_events = getattr(provider, "list_events", None)
    if list_events is None:
        click.echo(f"error: the {provider.name} provider keeps no event log to sync from", err=True)
        sys.exit(1)
    seen = new = 0
    try:
        for payload in list_events(since):
            seen += 1
            try:
                result = process_event(provider, provider.translate(payload))
                db.session.commit()
            except MalformedEvent as error:
                db.session.rollback()
                click.echo(f"skipped event {payload.get('id')}: {error}", err=True)
                continue
            if not result.duplicate:
                new += 1
                click.echo(f"{payload.get('id')} {payload.get('type')}: {result.outcome}")
    except ProviderError as error:
        db.session.rollback()
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    waited = retry_waiting(provider)
    db.session.commit()
    click.echo(f"{seen} event(s) since {since:%Y-%m-%d}: {new} were missing and are now applied, {seen - new} were already here")
    if waited:
        click.echo(f"{waited} waiting event(s) could be applied now")


@payments_cli.command("work")
@click.option("--batch", type=click.IntRange(1, 1000), default=50, show_default=True,
              help="Events applied (each in its own transaction) between two reports.")
@click.option("--idle", "idle_seconds", type=click.FloatRange(0.01, 60), default=0.2, show_default=True,
              help="Seconds between looks at an empty queue.")
@click.option("--until-empty", is_flag=True, help="Apply what is due now, then stop.")
def payments_work(batch: int, idle_seconds: float, until_empty: bool) -> None:
    """Apply the payment events queued by the webhook (WEBHOOK_QUEUE=1), until stopped (SIGTERM or Ctrl-C)."""
    import signal

    from sqlalchemy.exc import DBAPIError

    from storefront.payments.queue import BatchResult, StopFlag, queue_state, work

    stop = StopFlag()
    previous = {signum: signal.signal(signum, lambda _signum, _frame: stop.set()) for signum in (signal.SIGTERM, signal.SIGINT)}

    def report(result: BatchResult) -> None:
        failed = f", {result.failed} failed and will be tried again" if result.failed else ""
        click.echo(f"applied {result.applied} payment event(s){failed}")

    try:
        applied = work(batch, idle_seconds, stop, report, until_empty=until_empty)
        state = queue_state()
    except DBAPIError as error:
        click.echo(f"error: the database failed: {error.orig or error}", err=True)
        sys.exit(1)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    waiting = f", {state.failing} of them failed before" if state.failing else ""
    click.echo(f"stopped: {applied} event(s) applied; {state.queued} still queued{waiting}")


@payments_cli.command("discard")
@click.argument("provider")
@click.argument("event_id")
@click.option("--reason", required=True, help="What was done by hand instead (kept in the audit log).")
def payments_discard(provider: str, event_id: str, reason: str) -> None:
    """Stop trying a queued payment event that keeps failing, once you have dealt with it by hand."""
    from storefront.payments.queue import NotQueued, discard_queued

    if not reason.strip():
        click.echo("error: --reason must say what was done instead", err=True)
        sys.exit(2)
    try:
        discard_queued(provider, event_id, reason=reason.strip())
    except NotQueued as error:
        db.session.rollback()
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{provider} event {event_id} discarded")


@payments_cli.command("queue")
@click.option("--max-age", "max_age_minutes", type=click.IntRange(1), default=5, show_default=True,
              help="Minutes an event may wait before the queue counts as stuck.")
def payments_queue(max_age_minutes: int) -> None:
    """How many payment events wait for `payments work`; exit 1 when the oldest waits longer than --max-age (no worker
    runs, or they cannot keep up) or an event keeps failing (flagged for operators, at /operator/payments)."""
    from datetime import timedelta

    from storefront import clock
    from storefront.payments.queue import queue_state

    state = queue_state()
    if not state.queued:
        click.echo("no payment event is queued")
        return
    waited = clock.now() - state.oldest_received_at if state.oldest_received_at else timedelta(0)
    failing = f", {state.failing} of them failed before" if state.failing else ""
    click.echo(f"{state.queued} payment event(s) queued{failing}; the oldest arrived {int(waited.total_seconds())} s ago")
    if waited > timedelta(minutes=max_age_minutes) or state.flagged:
        click.echo("error: the queue is stuck: start `flask payments work` (deploy/vitrine-payments.service), or look at the "
                   "failing events in its log", err=True)
        sys.exit(1)


def init_app(app: Flask) -> None:
    for group in (db_cli, catalog_cli, users_cli, orders_cli, demo_cli, payments_cli):
        app.cli.add_command(group)
