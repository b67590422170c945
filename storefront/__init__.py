"""Vitrine's official store: the app factory and the commerce core."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from storefront import localtime
from storefront.config import DEFAULT_INSTANCE_PATH, REPO_ROOT, load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides settings read from the environment (tests use it)."""
    instance_path = Path((config or {}).get("INSTANCE_PATH", DEFAULT_INSTANCE_PATH))
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(REPO_ROOT / "templates"),
        static_folder="static",
    )
    app.config.update(load_config(instance_path))
    if config:
        app.config.update(config)
    if app.config["ATTRIBUTION_MODEL"] not in ("last_click", "first_click"):
        raise RuntimeError(f"ATTRIBUTION_MODEL must be last_click or first_click, got {app.config['ATTRIBUTION_MODEL']!r}")
    if app.config["STORE_TIME_ZONE"] not in localtime.all_zone_names():
        raise RuntimeError(f"STORE_TIME_ZONE must be an IANA time zone such as America/Sao_Paulo, got {app.config['STORE_TIME_ZONE']!r}")
    from storefront import i18n

    app.config["DEFAULT_LOCALE"] = i18n.normalize(app.config["DEFAULT_LOCALE"]) or ""
    if app.config["DEFAULT_LOCALE"] not in i18n.LANGUAGES:
        raise RuntimeError(f"DEFAULT_LOCALE must be one of {', '.join(i18n.LANGUAGES)}")
    from storefront.money import MoneyError, validate_currency

    try:
        app.config["CURRENCY"] = validate_currency(app.config["CURRENCY"])
    except MoneyError as error:
        raise RuntimeError(f"CURRENCY must be an ISO 4217 code such as BRL, CNY, USD, EUR or JPY: {error}") from None
    if app.config.get("PROXY_FIX_HOPS"):
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from storefront import cache, logs, requestid, throttle
    from storefront.extensions import csrf, db, login_manager

    logs.configure_logging(app)
    requestid.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    throttle.init_app(app)  # the limiter's storage, without its per-request hooks
    cache.init_app(app)
    i18n.init_app(app)

    from storefront import web
    from storefront.accounts import views as account_views
    from storefront.catalog import views as catalog_views
    from storefront.checkout import views as checkout_views
    from storefront.orders import views as order_views
    from storefront.operator import analytics as operator_analytics_views
    from storefront.operator import catalog as operator_catalog_views
    from storefront.operator import commissions as operator_commission_views
    from storefront.operator import dashboard as operator_dashboard_views
    from storefront.operator import views as operator_views
    from storefront.payments import views as payment_views
    from storefront.shops import views as shop_views
    from share import cli as share_cli
    from share import views as share_views

    from storefront.payments import registry as payment_registry

    web.init_app(app)
    share_cli.init_app(app)
    payment_registry.init_app(app)
    for module in (account_views, catalog_views, checkout_views, order_views, payment_views, shop_views, operator_views, operator_commission_views,
                   operator_dashboard_views, operator_catalog_views, operator_analytics_views, share_views):
        app.register_blueprint(module.blueprint)

    import commissions
    from storefront import api, cli

    commissions.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    return app
