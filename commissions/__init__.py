"""Commissions: rules, the double-entry ledger, payouts and reconciliation."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commissions import cli, listeners, views

    listeners.connect()
    cli.init_app(app)
    app.register_blueprint(views.blueprint)
