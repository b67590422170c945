"""Command-line tools for share links: `flask share replay-spool`."""
from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from share.spool import ClickSpool, ReplayOutcome, SpoolBusy, replay_click
from storefront import outage
from storefront.extensions import db

log = logging.getLogger(__name__)
share_cli = AppGroup("share", help="Share links and their clicks.")


@share_cli.command("replay-spool")
def replay_spool() -> None:
    """Store the clicks spooled while the database was down, at their own time; each is stored once however often this runs."""
    spool = ClickSpool(Path(current_app.instance_path))
    counts: Counter[ReplayOutcome] = Counter()
    try:
        with spool.replaying():
            batch = spool.claim()
            rejected = list(batch.unreadable)
            for index, spooled in enumerate(batch.clicks):
                try:
                    outcome = replay_click(spooled)
                    db.session.commit()
                except outage.DATABASE_UNAVAILABLE as error:
                    db.session.rollback()
                    spool.finish(unfinished=batch.clicks[index:], rejected=rejected)
                    click.echo(f"error: the database is unavailable ({outage.describe(error)}); "
                               f"{len(batch.clicks) - index} click(s) stay in the spool", err=True)
                    sys.exit(1)
                counts[outcome] += 1
                if outcome is ReplayOutcome.UNKNOWN_LINK:
                    log.warning("spooled click %s is for an unknown link; set aside in %s", spooled.id, spool.rejected_path.name)
                    rejected.append(spooled.to_line())
            spool.finish(unfinished=[], rejected=rejected)
    except SpoolBusy as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(
        f"{counts[ReplayOutcome.RECORDED]} click(s) recorded, {counts[ReplayOutcome.ALREADY_RECORDED]} already recorded, "
        f"{counts[ReplayOutcome.NOT_COUNTED]} not counted (link no longer active)"
        + (f", {len(rejected)} set aside in {spool.rejected_path}" if rejected else "")
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(share_cli)
