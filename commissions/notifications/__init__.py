"""Curator notifications: an in-app notice and an e-mail through the outbox for each money event, per-kind opt-outs."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from commissions.notifications import cli, views

    cli.init_app(app)
    app.register_blueprint(views.blueprint)
