"""`flask commissions mature` (cron-safe, any interval, twice at once) and `flask commissions check`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from commissions import ledger, payout_runs, payouts, services
from commissions.models import PayoutMethod
from storefront.money import Money
from storefront.payments.providers import active_provider
from storefront.extensions import db

commissions_cli = AppGroup("commissions", help="The commission ledger.")


def run_maturation() -> services.Maturation:
    """Each curator in its own short transaction: one curator's lock at a time, one bad commission stops nothing."""
    total = services.Maturation()
    for user_id, currency in services.curators_with_due_commissions():
        one = services.mature_for_curator(user_id, currency)
        db.session.commit()
        total.matured += one.matured
        total.failed.update(one.failed)
    return total


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
