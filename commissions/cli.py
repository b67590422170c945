"""`flask commissions mature` (cron-safe, any interval, twice at once) and `flask commissions check`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from commissions import ledger, services
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


def init_app(app: Flask) -> None:
    app.cli.add_command(commissions_cli)
