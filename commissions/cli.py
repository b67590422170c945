"""`flask commissions mature` (cron-safe, any interval, twice at once) and `flask commissions check`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from commissions import ledger, services
from storefront.extensions import db

commissions_cli = AppGroup("commissions", help="The commission ledger.")


@commissions_cli.command("mature")
@click.option("--batch", default=500, show_default=True, help="Commissions per transaction.")
def mature(batch: int) -> None:
    """Make every commission whose hold period is over available."""
    total = 0
    while True:
        # One short transaction per batch: the curator locks are held briefly.
        matured = services.mature_due(limit=batch)
        db.session.commit()
        total += matured
        if matured < batch:
            break
    click.echo(f"{total} commission(s) became available.")


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
