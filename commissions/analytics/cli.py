"""`flask analytics rebuild|check`: recompute the rollups from raw rows, or prove the incremental ones match."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from commissions.analytics import facts
from share import rollups
from share.models import LinkDay, LinkHour
from storefront.extensions import db

analytics_cli = AppGroup("analytics", help="Dashboard rollups.")


def link_hours_snapshot() -> dict[tuple[str, int, object], tuple[int, int]]:
    """Both click rollups, keyed by ("hour", link, hour) and ("day", link, day)."""
    hours = {("hour", row.link_id, row.hour): (row.clicks, row.visitors) for row in db.session.scalars(select(LinkHour))}
    return hours | {("day", row.link_id, row.day): (row.clicks, row.visitors) for row in db.session.scalars(select(LinkDay))}


def rebuild_all() -> tuple[int, int]:
    """Recompute both rollups from clicks, orders, refunds and commissions (flush, never commit)."""
    return rollups.rebuild_link_hours(), facts.rebuild()


def differences() -> list[str]:
    """What a rebuild would change, computed inside a transaction that is rolled back."""
    before_hours, before_facts = link_hours_snapshot(), facts.stored_facts()
    try:
        rebuild_all()
        after_hours, after_facts = link_hours_snapshot(), facts.stored_facts()
    finally:
        db.session.rollback()
    found = [f"link {key[1]} {key[0]} {key[2]:%Y-%m-%d %H:00}: stored {before_hours.get(key)}, raw rows give {after_hours.get(key)}"
             for key in sorted(set(before_hours) | set(after_hours), key=str) if before_hours.get(key) != after_hours.get(key)]
    found += [f"order {key[0]} shop {key[1]}: stored {before_facts.get(key)}, raw rows give {after_facts.get(key)}"
              for key in sorted(set(before_facts) | set(after_facts)) if before_facts.get(key) != after_facts.get(key)]
    return found


@analytics_cli.command("rebuild")
def rebuild() -> None:
    """Recompute the click rollups and attributed sales from the raw rows, in one transaction."""
    hours, sales = rebuild_all()
    db.session.commit()
    click.echo(f"rebuilt {hours} link-hour row(s) and {sales} attributed sale(s)")


@analytics_cli.command("check")
def check() -> None:
    """Compare the incremental rollups with a rebuild; exit 1 on any difference."""
    found = differences()
    for line in found[:50]:
        click.echo(f"error: {line}", err=True)
    if found:
        raise SystemExit(1)
    click.echo("rollups match the raw rows")


def init_app(app: Flask) -> None:
    app.cli.add_command(analytics_cli)
