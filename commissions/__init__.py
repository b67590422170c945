"""Commissions: rules, the double-entry ledger, payouts and reconciliation."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commissions import cli, listeners, notifications, views
    from commissions.analytics import cli as analytics_cli
    from commissions.analytics import views as analytics_views

    listeners.connect()
    cli.init_app(app)
    app.register_blueprint(views.blueprint)
    notifications.init_app(app)
    analytics_cli.init_app(app)
    app.register_blueprint(analytics_views.blueprint)
