"""Bare Flask apps doing the least each measured endpoint must do: the yardstick Vitrine's own endpoints are compared with.

bench/harness.py serves them with the same gunicorn settings as the app, on another port, on the
same seeded database (`gunicorn --pythonpath bench 'reference_apps:build_app()'`, configured by
REFERENCE_DATABASE_URL, SECRET_KEY and TEST_PAYMENT_WEBHOOK_SECRET). They use the app's engine
settings (SQLite's WAL, its queue of writers and immediate transactions, PostgreSQL's pool) and nothing
else of it; their pages read as the app's public pages do, outside a transaction (`reading_only`), so
that on SQLite they do not queue for the write lock:

- GET /s/<code>: one INSERT of the click, an itsdangerous-signed cookie, a 302. The link's
  destination comes from a dictionary of every link loaded at start-up, so the request itself
  makes no lookup.
- GET /@<handle>: one SELECT of the shop's 60 products joined to its items, and a Jinja2
  render of a page with the same markup per item (no session, no CSRF token).
- GET /products/<slug>: one SELECT, one render.
- POST /webhooks/<provider>: verify the HMAC-SHA256 signature, one INSERT of the event (its
  unique key makes a redelivery a no-op), one UPDATE of the order to paid.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, abort, jsonify, redirect, request
from itsdangerous import URLSafeSerializer
from jinja2 import DictLoader
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storefront.extensions import create_database_engine, reading_only  # noqa: E402
from storefront.sqltypes import UTCDateTime  # noqa: E402

SIGNATURE_TOLERANCE_SECONDS = 300
metadata = MetaData()
clicks = Table(
    "clicks", metadata, Column("id", Integer, primary_key=True), Column("link_id", Integer), Column("created_at", UTCDateTime),
    Column("visitor_id", String), Column("referrer_host", String), Column("device_class", String), Column("ip_hash", String),
    Column("unique_visit", Boolean),
)
webhook_events = Table(
    "webhook_events", metadata, Column("id", Integer, primary_key=True), Column("provider", String), Column("event_id", String),
    Column("kind", String), Column("outcome", String), Column("needs_attention", Boolean), Column("payload", JSON),
    Column("received_at", UTCDateTime), Column("applied_at", UTCDateTime),
)
orders = Table(
    "orders", metadata, Column("id", Integer, primary_key=True), Column("number", String), Column("status", String),
    Column("total_minor", Integer), Column("paid_at", UTCDateTime),
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · Vitrine</title><link rel="stylesheet" href="/static/css/site.css"></head>
<body><header class="site-header"><a class="brand" href="/">Vitrine</a>
<nav><a href="/discover">Discover</a> <a href="/login">Log in</a> <a href="/signup">Sign up</a> <a href="/cart">Cart</a></nav>
<form class="search" method="get" action="/search"><input type="search" name="q" maxlength="200"><button>Search</button></form></header>
<main id="main">{% block content %}{% endblock %}</main><footer><p>Vitrine — the official store, curated by its customers.</p></footer>
</body></html>"""

SHOP = """{% extends "page" %}{% block title %}{{ shop.title }} (@{{ shop.handle }}){% endblock %}
{% block content %}<div class="shop" style="--shop-accent: {{ shop.accent_colour }}">
<header class="shop-header"><img class="avatar" src="/@{{ shop.handle }}/avatar" alt="{{ shop.title }}" width="88" height="88">
<h1>{{ shop.title }}</h1><p class="meta">@{{ shop.handle }} · a personal selection from the official store</p>
{% if shop.bio %}<p class="bio">{{ shop.bio }}</p>{% endif %}</header>
<ul class="grid curated">{% for item in items %}
<li class="card curated-item"><a href="/products/{{ item.slug }}"><img src="/static/{{ item.image or 'placeholder.svg' }}" alt="" width="300" height="300" loading="lazy">
<span class="card-title">{{ item.title }}</span></a>
{% if item.note %}<p class="note">{{ item.note }}</p>{% endif %}<span class="price">{{ item.price_minor|money }}</span>
{% if item.active and item.stock > 0 %}<form method="post" action="/cart/add" class="buy-form"><input type="hidden" name="product_id" value="{{ item.id }}">
<input type="hidden" name="quantity" value="1"><input type="hidden" name="shop" value="{{ shop.handle }}">
<button type="submit" class="button primary">Add to cart</button></form>{% else %}<span class="unavailable">Sold out</span>{% endif %}</li>
{% endfor %}</ul></div>{% endblock %}"""

PRODUCT = """{% extends "page" %}{% block title %}{{ product.title }}{% endblock %}
{% block content %}<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/categories/{{ product.category_slug }}">{{ product.category_name }}</a></nav>
<article class="product"><img class="product-image" src="/static/{{ product.image or 'placeholder.svg' }}" alt="{{ product.title }}" width="600" height="600">
<div class="product-info"><h1>{{ product.title }}</h1><p class="price price-large">{{ product.price_minor|money }}</p>
{% if product.active and product.stock > 0 %}<p class="stock">In stock</p><form method="post" action="/cart/add" class="add-to-cart">
<input type="hidden" name="product_id" value="{{ product.id }}"><input id="quantity" name="quantity" type="number" min="1" value="1">
<button type="submit" class="button primary">Add to cart</button></form>{% else %}<p class="stock-out">Sold out</p>{% endif %}
<div class="description">{{ product.description }}</div><p class="meta">SKU {{ product.sku }}</p></div></article>{% endblock %}"""

SHOP_QUERY = text("""
SELECT s.title AS shop_title, s.handle, s.bio, s.accent_colour, i.note, p.id, p.slug, p.title, p.price_minor, p.image, p.stock, p.active
FROM shops s JOIN shop_items i ON i.shop_id = s.id JOIN products p ON p.id = i.product_id
WHERE s.handle = :handle AND s.status = 'published' AND s.suspended_at IS NULL
ORDER BY i.position""")
PRODUCT_QUERY = text("""
SELECT p.id, p.slug, p.title, p.description, p.price_minor, p.image, p.stock, p.active, p.sku, c.slug AS category_slug,
       c.name AS category_name
FROM products p JOIN categories c ON c.id = p.category_id WHERE p.slug = :slug AND p.active""")
LINKS_QUERY = text("""
SELECT l.id, l.code, l.target_type, s.handle, p.slug AS product_slug, k.slug AS look_slug
FROM share_links l JOIN shops s ON s.id = l.shop_id
LEFT JOIN products p ON l.target_type = 'product' AND p.id = l.target_id
LEFT JOIN looks k ON l.target_type = 'look' AND k.id = l.target_id""")


def format_money(minor: int) -> str:
    return f"${minor // 100:,}.{minor % 100:02d}"


def _destination(row: object) -> str:
    if row.target_type == "product":  # type: ignore[attr-defined]
        return f"/products/{row.product_slug}"  # type: ignore[attr-defined]
    if row.target_type == "look":  # type: ignore[attr-defined]
        return f"/@{row.handle}/looks/{row.look_slug}"  # type: ignore[attr-defined]
    return f"/@{row.handle}"  # type: ignore[attr-defined]


def build_app() -> Flask:
    engine = create_database_engine(os.environ["REFERENCE_DATABASE_URL"])
    secret_key = os.environ["SECRET_KEY"]
    webhook_secret = os.environ["TEST_PAYMENT_WEBHOOK_SECRET"].encode()
    cookie_signer = URLSafeSerializer(secret_key, salt="vitrine attribution cookie")
    ip_salt = hmac.new(secret_key.encode(), b"vitrine ip hash", hashlib.sha256).digest()
    with engine.connect() as connection:
        links = {row.code: (row.id, _destination(row)) for row in connection.execute(LINKS_QUERY)}
    # gunicorn.conf.py preloads the app in the master: forked workers must not share the connection just used.
    engine.dispose()

    app = Flask(__name__)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.loader = DictLoader({"page": PAGE, "shop": SHOP, "product": PRODUCT})
    templates = {name: app.jinja_env.get_template(name) for name in ("shop", "product")}

    @app.get("/s/<code>")
    def follow(code: str) -> Response:
        found = links.get(code)
        if found is None:
            abort(404)
        link_id, destination = found
        visitor = request.cookies.get("vt_visitor") or secrets.token_urlsafe(18)[:24]
        ip_hash = hmac.new(ip_salt, (request.remote_addr or "").encode(), hashlib.sha256).hexdigest()[:32]
        with engine.begin() as connection:
            click_id = connection.execute(insert(clicks).values(
                link_id=link_id, created_at=datetime.now(UTC), visitor_id=visitor, referrer_host="", device_class="mobile",
                ip_hash=ip_hash, unique_visit=True,
            ).returning(clicks.c.id)).scalar_one()
        response = redirect(destination, 302)
        response.set_cookie("vt_visitor", visitor, max_age=730 * 86400, httponly=True, samesite="Lax")
        response.set_cookie("vt_ref", cookie_signer.dumps({"v": visitor, "f": click_id, "l": click_id}), max_age=30 * 86400,
                            httponly=True, samesite="Lax")
        return response

    @app.get("/@<handle>")
    def shop(handle: str) -> str:
        with reading_only(), engine.connect() as connection:
            items = connection.execute(SHOP_QUERY, {"handle": handle}).all()
        if not items:
            abort(404)
        first = items[0]
        shop = {"title": first.shop_title, "handle": first.handle, "bio": first.bio, "accent_colour": first.accent_colour}
        return templates["shop"].render(shop=shop, items=items)

    @app.get("/products/<slug>")
    def product(slug: str) -> str:
        with reading_only(), engine.connect() as connection:
            found = connection.execute(PRODUCT_QUERY, {"slug": slug}).first()
        if found is None:
            abort(404)
        return templates["product"].render(product=found)

    @app.post("/webhooks/<provider>")
    def webhook(provider: str) -> tuple[Response, int]:
        body = request.get_data()
        fields = dict(item.partition("=")[::2] for item in request.headers.get("Vitrine-Signature", "").split(","))
        timestamp = fields.get("t", "")
        expected = hmac.new(webhook_secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not timestamp.isdigit() or not hmac.compare_digest(expected, fields.get("v1", "")) \
                or abs(datetime.now(UTC).timestamp() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
            return jsonify(error="invalid signature"), 400
        event = json.loads(body)
        data = event["data"]
        now = datetime.now(UTC)
        try:
            with engine.begin() as connection:
                connection.execute(insert(webhook_events).values(
                    provider=provider, event_id=event["id"], kind=event["type"], outcome="applied", needs_attention=False,
                    payload=event, received_at=now, applied_at=now,
                ))
                connection.execute(update(orders).where(
                    orders.c.number == data["order_number"], orders.c.status == "pending", orders.c.total_minor == data["amount_minor"],
                ).values(status="paid", paid_at=now))
        except IntegrityError:
            return jsonify(received=True, duplicate=True), 200
        return jsonify(received=True, duplicate=False), 200

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        with engine.connect() as connection:
            connection.execute(select(1))
        return jsonify(status="ok"), 200

    return app
