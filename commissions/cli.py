"""`flask commissions mature|check|reconcile` and `flask payouts run|recover`."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from commissions import ledger, payout_runs, payouts, reconciliation
from commissions.maturation import run_maturation
from commissions.models import PayoutMethod
from storefront.money import Money
from storefront.payments.providers import ProviderError, active_provider

commissions_cli = AppGroup("commissions", help="The commission ledger.")


@commissions_cli.command("mature")
def mature() -> None:
    """Make every commission whose hold period is over available."""
    result = run_maturation()
    click.echo(f"{result.matured} commission(s) became available.")
    for commission_id, problem in sorted(result.failed.items()):
        click.echo(f"error: commission {commission_id} stays pending: {problem}", err=True)
    if result.failed:
        raise SystemExit(1)


@commissions_cli.command("check")
def check() -> None:
    """Recompute every balance from the transfers and compare; exit 1 on any difference."""
    result = ledger.check_ledger()
    click.echo(f"debits {result.debits} = credits {result.credits}")
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    if not result.ok:
        raise SystemExit(1)
    click.echo("the ledger is consistent")


def _day(text: str, option: str) -> datetime:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"a date like 2026-11-01, got {text!r}", param_hint=option) from None
    if not 2000 <= day.year <= 2999:
        raise click.BadParameter("a date between 2000 and 2999", param_hint=option)
    return day


@commissions_cli.command("reconcile")
@click.option("--from", "from_text", required=True, metavar="YYYY-MM-DD", help="First day (UTC), included.")
@click.option("--to", "to_text", required=True, metavar="YYYY-MM-DD", help="Last day (UTC), included.")
def reconcile(from_text: str, to_text: str) -> None:
    """Orders and refunds, the ledger, and the provider's records for the period: every discrepancy, and the totals."""
    start, end = _day(from_text, "--from"), _day(to_text, "--to") + timedelta(days=1)
    if end <= start:
        raise click.BadParameter("--to must not be before --from", param_hint="--to")
    try:
        report = reconciliation.reconcile_with(active_provider(), start, end, currency=current_app.config["CURRENCY"],
                                               default_bps=current_app.config["COMMISSION_DEFAULT_BPS"])
    except ProviderError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    money = lambda minor: Money(minor, report.currency)  # noqa: E731
    totals = report.totals
    click.echo(f"period {start:%Y-%m-%d} to {end - timedelta(days=1):%Y-%m-%d} ({report.currency})")
    click.echo(f"gross sales {money(totals.gross_sales)}  refunds {money(totals.refunds)}  net {money(totals.net_sales)}")
    click.echo(f"commission earned {money(totals.commission_earned)}  reversed {money(totals.commission_reversed)}  "
               f"paid {money(totals.commission_paid)}")
    click.echo("provider records: " + ("compared" if report.provider_checked else "not available from this provider"))
    for item in report.discrepancies:
        click.echo(f"DISCREPANCY [{item.kind.value}] {item.subject}: {item.detail}")
    if not report.reconciles:
        click.echo(f"{len(report.discrepancies)} discrepancy(ies)", err=True)
        raise SystemExit(1)
    click.echo("everything reconciles")


payouts_cli = AppGroup("payouts", help="Paying curators.")


def _print_report(report: payout_runs.RunReport) -> None:
    for payout in report.settled:
        click.echo(f"paid {payout.reference}: {Money(payout.amount_minor, payout.currency)} to user {payout.curator_user_id}")
    for payout in report.voided:
        click.echo(f"voided {payout.reference}: {payout.failure_reason}", err=True)
    for user_id, why in sorted(report.skipped.items()):
        click.echo(f"skipped user {user_id}: {why}")


@payouts_cli.command("run")
@click.option("--method", type=click.Choice([m.value for m in PayoutMethod]), default=PayoutMethod.MANUAL.value, show_default=True)
def payouts_run(method: str) -> None:
    """One payout per curator whose available balance reaches PAYOUT_MIN_MINOR (their debt netted first)."""
    config = current_app.config
    try:
        report = payout_runs.start_run(PayoutMethod(method), currency=config["CURRENCY"], minimum_minor=config["PAYOUT_MIN_MINOR"],
                                       provider=active_provider(), started_by_user_id=None)
    except payouts.PayoutError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"run {report.run.id} ({method}): {len(report.reserved)} payout(s) reserved")
    _print_report(report)
    if report.voided:
        raise SystemExit(1)


@payouts_cli.command("recover")
def payouts_recover() -> None:
    """Finish Stripe payouts left between reserve and settle, looking their transfer up before retrying."""
    report = payout_runs.recover(active_provider())
    click.echo(f"{len(report.settled)} settled, {len(report.voided)} voided")
    _print_report(report)


def init_app(app: Flask) -> None:
    app.cli.add_command(commissions_cli)
    app.cli.add_command(payouts_cli)
