"""The benchmark's data set, written in bulk in the shape the app's own services leave behind.

1,000 curators with published shops of 60 items (with notes), looks and share links; 100,000 clicks
over the last 30 days, each with its attribution touch; 10,000 paid orders, each won by one of those
clicks, whose lines credit the winning shop and earn the default rate as a pending commission with
its `earn` ledger transaction; the payment, the provider's own record of it (the test provider's
log) and the webhook event that paid it. `flask commissions reconcile` over the seeded days therefore
reports nothing, which the harness checks. Curators' popularity is skewed (the n-th curator gets
clicks in proportion to 1/n^0.8), so curator 1's shop and dashboard are the busy ones measured.

Not seeded: refunds, disputes and payouts (every commission is pending), notices for past sales,
and the rollups, which `flask analytics rebuild` builds from these rows (the harness runs it). The
90,000 orders added later for the larger reconciliation are won by the same clicks (repeat buys).
Rows carry explicit ids (PostgreSQL's sequences are moved past them); COPY writes them on
PostgreSQL, executemany on SQLite, with foreign keys checked.
"""
from __future__ import annotations

import hashlib
import json
import random
import secrets
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

CURRENCY = "USD"
DEFAULT_RATE_BPS = 500
HOLD_DAYS = 30
SHIPPING_FLAT_MINOR = 990
SHIPPING_FREE_FROM_MINOR = 10_000
DAYS = 30
SEED = 20261130
#: The click endpoint's rate limit is lifted for the benchmark; everything else keeps the app's defaults.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CHANNELS = (("whatsapp", ""), ("facebook", "l.facebook.com"), ("x", "t.co"), ("copy", ""), ("email", "mail.google.com"))
ZONES = ("America/Sao_Paulo", "Asia/Shanghai", "Europe/Lisbon", "America/New_York", "UTC")
PRICES_MINOR = (1990, 2990, 3990, 4990, 5990, 7990, 9990, 12990, 15990, 19990, 24990)
ADJECTIVES = ("Linen", "Cotton", "Silk", "Denim", "Wool", "Leather", "Knit", "Pleated", "Cropped", "Oversized")
NOUNS = ("Shirt", "Dress", "Skirt", "Trousers", "Blazer", "Sandals", "Tote", "Scarf", "Cardigan", "Jacket", "Top", "Belt")
NOTES = (
    "I wear this every week: it washes well and keeps its shape.",
    "Runs a little small; take one size up. The colour is even nicer than in the photo.",
    "My favourite for travelling — light, packs flat, never looks creased.",
    "Bought it for my sister's wedding and have worn it to half a dozen dinners since.",
    "Good quality for the price. Pair it with the wide trousers further down.",
)
CURATOR_ACCOUNT_KINDS = ("pending", "held", "available", "in_payout", "paid", "receivable")


@dataclass(frozen=True)
class Sizes:
    curators: int = 1000
    items_per_shop: int = 60
    products: int = 3000
    clicks: int = 100_000
    paid_orders: int = 10_000
    #: Paid orders in the period for the second reconciliation (the extra ones are added after the HTTP runs).
    reconcile_orders: int = 100_000
    #: Pending orders whose payment events the webhook runs deliver, per server (Vitrine's own, the reference).
    webhook_orders: int = 5_500
    reference_webhook_orders: int = 22_000
    #: For the queued webhook's run (PostgreSQL only): it acknowledges faster than it applies.
    queued_webhook_orders: int = 0


QUICK_SIZES = Sizes(curators=100, products=600, clicks=10_000, paid_orders=1_000, reconcile_orders=10_000,
                    webhook_orders=2_000, reference_webhook_orders=8_000)


@dataclass(frozen=True)
class PendingOrder:
    number: str
    payment_reference: str
    total_minor: int


@dataclass
class World:
    """What was seeded, kept in memory for the harness and for adding orders later."""

    now: datetime
    sizes: Sizes
    #: The reconciled period: the 30 whole UTC days before today.
    first_day: date
    last_day: date
    stamp: Callable[[datetime], Any]
    rng: random.Random
    next_ids: dict[str, int] = field(default_factory=dict)
    handles: list[str] = field(default_factory=list)
    shop_products: list[list[int]] = field(default_factory=list)
    products: list[tuple[str, str, str, int]] = field(default_factory=list)  # index id-1: (sku, slug, title, price)
    links: list[tuple[str, int, str]] = field(default_factory=list)  # index id-1: (code, shop id, channel)
    click_at: array = field(default_factory=lambda: array("d"))  # type: ignore[type-arg]
    click_link: array = field(default_factory=lambda: array("i"))  # type: ignore[type-arg]
    pending_account: dict[int, int] = field(default_factory=dict)
    expense_account: int = 0
    buyers: int = 0
    #: What the harness measures: the busiest curator's shop, share link, a product and signed-in session.
    handle: str = ""
    click_code: str = ""
    product_slug: str = ""
    dashboard_user_id: int = 1
    session_token: str = ""
    webhook_orders: dict[str, list[PendingOrder]] = field(default_factory=dict)
    #: Whether orders get the rows reconciliation never reads: status history, attribution, the webhook event.
    history: bool = True

    def take_ids(self, table: str, count: int) -> int:
        first = self.next_ids.get(table, 1)
        self.next_ids[table] = first + count
        return first

    @property
    def period_start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=UTC)

    @property
    def period_end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=UTC)


Rows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]


def _sqlite_stamp(value: datetime) -> str:
    """What storefront.sqltypes.UTCDateTime stores on SQLite: naive UTC in SQLAlchemy's text format."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _postgresql_stamp(value: datetime) -> datetime:
    return value


def _code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


def _visitor_id(rng: random.Random) -> str:
    return rng.randbytes(18).hex()[:24]


# ---------------------------------------------------------------------------------------------------------------
# Writing.


def write(connection: Connection, rows: Rows) -> None:
    """Insert every table's rows, in the order given (parents first)."""
    driver = connection.connection.driver_connection
    for table, (columns, values) in rows.items():
        if not values:
            continue
        if connection.dialect.name == "postgresql":
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in values:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in columns)
            driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", values)  # type: ignore[union-attr]


def move_sequences_past_rows(connection: Connection, tables: Iterable[str]) -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move them past the seeded rows."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT max(id) FROM {table}), 1))"
        ))


# ---------------------------------------------------------------------------------------------------------------
# The catalog, the curators, their shops and links.


def _catalog(world: World) -> Rows:
    rng, stamp, opened = world.rng, world.stamp, world.now - timedelta(days=400)
    categories = [(index, slug, slug.title(), index) for index, slug in
                  enumerate(("dresses", "tops", "trousers", "shoes", "bags", "accessories"), 1)]
    products = []
    for product_id in range(1, world.sizes.products + 1):
        title = f"{ADJECTIVES[product_id % len(ADJECTIVES)]} {NOUNS[(product_id * 7) % len(NOUNS)]} {product_id}"
        sku, slug, price = f"BP-{product_id:05d}", f"bench-{product_id}", rng.choice(PRICES_MINOR)
        world.products.append((sku, slug, title, price))
        description = f"{title}: a wardrobe staple from the official store. " * 3
        products.append((product_id, sku, slug, title, description, price, CURRENCY, "", 1000, True, product_id <= 12,
                         1 + product_id % len(categories), stamp(opened), stamp(opened)))
    return {
        "categories": (("id", "slug", "name", "position"), categories),
        "products": (("id", "sku", "slug", "title", "description", "price_minor", "currency", "image", "stock", "active",
                      "featured", "category_id", "created_at", "updated_at"), products),
    }


def _curators(world: World) -> Rows:
    rng, stamp, sizes = world.rng, world.stamp, world.sizes
    opened = world.now - timedelta(days=200)
    users, shops, items, looks, look_items, links, accounts = [], [], [], [], [], [], []
    codes: set[str] = set()
    popular = list(range(1, sizes.products + 1))
    popularity = [1 / rank ** 0.5 for rank in popular]
    accounts += [(1, "platform", None, "commission_expense", CURRENCY), (2, "platform", None, "payouts_clearing", CURRENCY)]
    world.expense_account = 1
    account_id = 3
    for user_id in range(1, sizes.curators + 1):
        handle = f"curator{user_id:04d}"
        world.handles.append(handle)
        users.append((user_id, f"{handle}@example.com", f"Curator {user_id}", "!", "customer", ZONES[user_id % len(ZONES)],
                      stamp(opened)))
        shops.append((user_id, user_id, handle, f"Curator {user_id}'s picks", "Pieces I wear and give: one new find a week.",
                      "#b4442f", "published", stamp(opened), None, "", 0, stamp(opened), stamp(opened)))
        chosen: list[int] = []
        seen: set[int] = set()
        while len(chosen) < sizes.items_per_shop:
            for product_id in rng.choices(popular, popularity, k=sizes.items_per_shop):
                if product_id not in seen and len(chosen) < sizes.items_per_shop:
                    seen.add(product_id)
                    chosen.append(product_id)
        world.shop_products.append(chosen)
        first_item = world.take_ids("shop_items", len(chosen))
        for position, product_id in enumerate(chosen):
            note = NOTES[(user_id + position) % len(NOTES)] if position % 4 else ""
            items.append((first_item + position, user_id, product_id, note, position, stamp(opened)))
        first_look = world.take_ids("looks", 2)
        for offset in range(2):
            looks.append((first_look + offset, user_id, f"look-{offset + 1}", f"Look {offset + 1}", "For the weekend.", offset,
                          stamp(opened)))
            for position, item in enumerate(rng.sample(range(len(chosen)), 5)):
                look_items.append((first_look + offset, first_item + item, position))
        # The whole shop on every channel, three products and a look on WhatsApp: nine links.
        targets = [("shop", 0, channel) for channel, _ in CHANNELS]
        targets += [("product", product_id, "whatsapp") for product_id in chosen[:3]] + [("look", first_look, "whatsapp")]
        first_link = world.take_ids("share_links", len(targets))
        for offset, (target_type, target_id, channel) in enumerate(targets):
            code = _code(rng, codes)
            world.links.append((code, user_id, channel))
            links.append((first_link + offset, code, user_id, target_type, target_id, channel, stamp(opened)))
        for kind in CURATOR_ACCOUNT_KINDS:
            if kind == "pending":
                world.pending_account[user_id] = account_id
            accounts.append((account_id, f"user:{user_id}", user_id, kind, CURRENCY))
            account_id += 1
    world.next_ids["ledger_accounts"] = account_id
    operator_id = sizes.curators + 1
    users.append((operator_id, "operator@example.com", "Operator", "!", "operator", "UTC", stamp(opened)))
    world.handle, world.click_code = world.handles[0], world.links[0][0]
    world.product_slug = world.products[world.shop_products[0][0] - 1][1]
    world.session_token = secrets.token_urlsafe(32)
    sessions = [(1, world.dashboard_user_id, hashlib.sha256(world.session_token.encode()).hexdigest(), stamp(world.now),
                 stamp(world.now), None)]
    return {
        "users": (("id", "email", "display_name", "password_hash", "role", "time_zone", "created_at"), users),
        "shops": (("id", "user_id", "handle", "title", "bio", "accent_colour", "status", "published_at", "suspended_at",
                   "suspension_reason", "avatar_version", "created_at", "updated_at"), shops),
        "shop_items": (("id", "shop_id", "product_id", "note", "position", "created_at"), items),
        "looks": (("id", "shop_id", "slug", "title", "description", "position", "created_at"), looks),
        "look_items": (("look_id", "shop_item_id", "position"), look_items),
        "share_links": (("id", "code", "shop_id", "target_type", "target_id", "channel", "created_at"), links),
        "ledger_accounts": (("id", "owner", "user_id", "kind", "currency"), accounts),
        "user_sessions": (("id", "user_id", "token_hash", "created_at", "authenticated_at", "revoked_at"), sessions),
    }


# ---------------------------------------------------------------------------------------------------------------
# Clicks and their touches.


def _clicks(world: World) -> Rows:
    """Clicks spread over the last 30 days, ids in time order; each one a touch with the same id (as record_click makes)."""
    rng, stamp, sizes = world.rng, world.stamp, world.sizes
    curators = list(range(1, sizes.curators + 1))
    weights = [1 / rank ** 0.8 for rank in curators]
    links_of_shop: dict[int, list[int]] = {}
    for link_id, (_code, shop_id, _channel) in enumerate(world.links, 1):
        links_of_shop.setdefault(shop_id, []).append(link_id)
    link_weights = [4, 2, 1, 1, 1, 1, 1, 1, 1]  # the whole shop on WhatsApp is the link shared most
    start = world.now - timedelta(days=DAYS)
    span = (world.now - start).total_seconds()
    shops = rng.choices(curators, weights, k=sizes.clicks)
    times = sorted(start.timestamp() + rng.random() * span for _ in range(sizes.clicks))
    visitors_of_shop: dict[int, list[str]] = {}
    last_seen: dict[tuple[str, int], float] = {}
    clicks, touches = [], []
    referrers = dict(CHANNELS)
    first = world.take_ids("clicks", sizes.clicks)
    world.take_ids("attribution_touches", sizes.clicks)
    for index, (shop_id, at) in enumerate(zip(shops, times, strict=True)):
        link_id = rng.choices(links_of_shop[shop_id], link_weights)[0]
        known = visitors_of_shop.setdefault(shop_id, [])
        if not known or rng.random() < 0.6:
            visitor = _visitor_id(rng)
            known.append(visitor)
        else:
            visitor = known[-1 - min(int(rng.expovariate(1 / 20)), len(known) - 1)]
        previous = last_seen.get((visitor, link_id))
        last_seen[(visitor, link_id)] = at
        created = stamp(datetime.fromtimestamp(at, UTC))
        click_id = first + index
        device = "mobile" if rng.random() < 0.8 else "desktop"
        clicks.append((click_id, link_id, created, visitor, referrers[world.links[link_id - 1][2]], device,
                       rng.getrandbits(128).to_bytes(16).hex(), previous is None or at - previous >= 1800))
        touches.append((click_id, visitor, None, shop_id, click_id, "click", created))
        world.click_at.append(at)
        world.click_link.append(link_id)
    return {
        "clicks": (("id", "link_id", "created_at", "visitor_id", "referrer_host", "device_class", "ip_hash", "unique_visit"), clicks),
        "attribution_touches": (("id", "visitor_id", "user_id", "shop_id", "click_id", "kind", "created_at"), touches),
    }


# ---------------------------------------------------------------------------------------------------------------
# Orders: paid ones with everything paying them left behind, and pending ones for the webhook runs.

ORDER_COLUMNS = ("id", "number", "user_id", "email", "customer_name", "address_line1", "address_line2", "city", "region",
                 "postal_code", "country", "currency", "subtotal_minor", "shipping_minor", "total_minor", "refunded_minor",
                 "status", "created_at", "expires_at", "paid_at")
LINE_COLUMNS = ("id", "order_id", "product_id", "sku", "title", "unit_price_minor", "quantity", "line_total_minor", "shop_id")
STATUS_COLUMNS = ("id", "order_id", "from_status", "to_status", "actor", "reason", "created_at")
PAYMENT_COLUMNS = ("id", "order_id", "provider", "reference", "amount_minor", "currency", "status", "failure_reason",
                   "succeeded_at", "provider_payment_id", "paid_the_order", "created_at", "updated_at")
ATTRIBUTION_COLUMNS = ("id", "order_id", "shop_id", "touch_id", "click_id", "rule", "self_referral", "review_reasons",
                       "review_shop_ids", "explanation", "decided_at")


def _empty_order_tables() -> Rows:
    return {
        "orders": (ORDER_COLUMNS, []),
        "order_lines": (LINE_COLUMNS, []),
        "order_status_changes": (STATUS_COLUMNS, []),
        "payments": (PAYMENT_COLUMNS, []),
        "test_provider_events": (("id", "event_id", "kind", "payload", "created_at"), []),
        "webhook_events": (("id", "provider", "event_id", "kind", "outcome", "waiting_for", "needs_attention", "payload",
                            "received_at", "applied_at"), []),
        "order_attributions": (ATTRIBUTION_COLUMNS, []),
        "commissions": (("id", "order_line_id", "order_id", "payment_id", "shop_id", "curator_user_id", "currency", "base_minor",
                         "rate_bps", "rate_source", "earned_minor", "refunded_base_minor", "reversed_minor", "status", "held_from",
                         "payout_id", "status_reason", "holds", "matures_at", "created_at", "updated_at"), []),
        "ledger_transactions": (("id", "idempotency_key", "kind", "cause_type", "cause_id", "reverses_id", "memo", "created_at"), []),
        "ledger_transfers": (("id", "transaction_id", "debit_account_id", "credit_account_id", "amount_minor", "currency",
                              "commission_id"), []),
    }


def _order(world: World, tables: Rows, *, click: int, created: datetime, paid_at: datetime | None, prefix: str) -> tuple[str, int, list[tuple[Any, ...]]]:
    """An order won by `click`: one to three of the winning shop's products, with its lines, status history and attribution.

    Returns the order's number, its total and its lines.
    """
    rng, stamp = world.rng, world.stamp
    link_id = world.click_link[click]
    code, shop_id, channel = world.links[link_id - 1]
    order_id = world.take_ids("orders", 1)
    number = f"{prefix}{order_id:08d}"
    products = rng.sample(world.shop_products[shop_id - 1], rng.choices((1, 2, 3), (60, 28, 12))[0])
    first_line = world.take_ids("order_lines", len(products))
    lines = []
    for offset, product_id in enumerate(products):
        sku, _slug, title, price = world.products[product_id - 1]
        quantity = 1 if rng.random() < 0.85 else 2
        lines.append((first_line + offset, order_id, product_id, sku, title, price, quantity, price * quantity, shop_id))
    subtotal = sum(line[7] for line in lines)
    shipping = 0 if subtotal >= SHIPPING_FREE_FROM_MINOR else SHIPPING_FLAT_MINOR
    buyer = rng.randrange(max(1, world.buyers))
    placed, paid = stamp(created), stamp(paid_at) if paid_at else None
    tables["orders"][1].append((
        order_id, number, None, f"buyer{buyer:06d}@example.com", f"Buyer {buyer}", "Rua Augusta 100", "", "São Paulo", "SP",
        "01304-000", "BR", CURRENCY, subtotal, shipping, subtotal + shipping, 0, "paid" if paid_at else "pending",
        placed, stamp(created + (timedelta(minutes=30) if paid_at else timedelta(days=2))), paid,
    ))
    tables["order_lines"][1].extend(lines)
    if not world.history:
        return number, subtotal + shipping, lines
    status_id = world.take_ids("order_status_changes", 2 if paid_at else 1)
    tables["order_status_changes"][1].append((status_id, order_id, None, "pending", "customer", "order placed", placed))
    if paid_at:
        tables["order_status_changes"][1].append((status_id + 1, order_id, "pending", "paid", "provider:test", "payment confirmed", paid))
    clicked = datetime.fromtimestamp(world.click_at[click], UTC)
    tables["order_attributions"][1].append((
        world.take_ids("order_attributions", 1), order_id, shop_id, click + 1, click + 1, "last_click", "none", "[]", "[]",
        f"@{world.handles[shop_id - 1]}: click #{click + 1} on {channel} link /s/{code} at {clicked:%Y-%m-%d %H:%M} UTC; "
        f"last touch wins among 1 touch(es) in the last 30 days.", placed,
    ))
    return number, subtotal + shipping, lines


def _paid_order(world: World, tables: Rows, click: int, paid_at: datetime) -> None:
    """The order, its payment, the provider's record and the webhook event of it, and each line's commission and earning."""
    stamp = world.stamp
    clicked = datetime.fromtimestamp(world.click_at[click], UTC)
    # Checkout a few minutes before paying, after the click.
    created = paid_at - timedelta(seconds=min(300.0, (paid_at - clicked).total_seconds() * world.rng.uniform(0.1, 0.9)))
    number, total, lines = _order(world, tables, click=click, created=created, paid_at=paid_at, prefix="BV")
    order_id = lines[0][1]
    placed, paid, matures = stamp(created), stamp(paid_at), stamp(paid_at + timedelta(days=HOLD_DAYS))
    payment_id = world.take_ids("payments", 1)
    reference = f"tp_bench_{order_id}"
    tables["payments"][1].append((payment_id, order_id, "test", reference, total, CURRENCY, "succeeded", "", paid, None, True, placed, paid))
    event_id = f"evt_bench_{order_id}"
    event = json.dumps({"id": event_id, "type": "payment.succeeded", "created": int(paid_at.timestamp()), "data": {
        "order_number": number, "payment_reference": reference, "amount_minor": total, "currency": CURRENCY, "failure_reason": "",
    }}, separators=(",", ":"))
    tables["test_provider_events"][1].append((world.take_ids("test_provider_events", 1), event_id, "payment.succeeded", event, paid))
    if world.history:
        tables["webhook_events"][1].append((world.take_ids("webhook_events", 1), "test", event_id, "payment.succeeded", "applied",
                                            None, False, event, paid, paid))
    curator = lines[0][8]  # shop id == its curator's user id
    for line in lines:
        line_id, base = line[0], line[7]
        earned = base * DEFAULT_RATE_BPS // 10_000
        commission_id = world.take_ids("commissions", 1)
        tables["commissions"][1].append((
            commission_id, line_id, order_id, payment_id, curator, curator, CURRENCY, base, DEFAULT_RATE_BPS, "default rate", earned,
            0, 0, "pending", None, None, "", 0, matures, paid, paid,
        ))
        transaction_id = world.take_ids("ledger_transactions", 1)
        tables["ledger_transactions"][1].append((
            transaction_id, f"earn:line:{line_id}:payment:{payment_id}", "earn", "order_line", line_id, None,
            f"order {number}: {DEFAULT_RATE_BPS} bps of {base}", paid,
        ))
        tables["ledger_transfers"][1].append((world.take_ids("ledger_transfers", 1), transaction_id, world.expense_account,
                                              world.pending_account[curator], earned, CURRENCY, commission_id))


def paid_orders(world: World, count: int) -> Rows:
    """`count` orders paid within the period, two minutes to five days after the click that won them."""
    rng, tables = world.rng, _empty_order_tables()
    start, end = world.period_start.timestamp(), world.period_end.timestamp()
    clicks = len(world.click_at)
    made = 0
    while made < count:
        click = rng.randrange(clicks)
        delay = rng.expovariate(1 / 1200) + 120 if rng.random() < 0.7 else rng.uniform(3600, 5 * 86400)
        paid = world.click_at[click] + delay
        if not start <= paid < end:
            continue
        _paid_order(world, tables, click, datetime.fromtimestamp(paid, UTC))
        made += 1
    return tables


def pending_orders(world: World, count: int, tag: str) -> Rows:
    """Orders placed in the last minutes, awaiting their payment event, with the attempt the event will name."""
    rng, stamp, tables = world.rng, world.stamp, _empty_order_tables()
    waiting = world.webhook_orders.setdefault(tag, [])
    for _ in range(count):
        created = world.now - timedelta(seconds=rng.uniform(60, 600))
        number, total, lines = _order(world, tables, click=rng.randrange(len(world.click_at)), created=created, paid_at=None,
                                      prefix="BW")
        reference = f"tp_hook_{lines[0][1]}"
        tables["payments"][1].append((world.take_ids("payments", 1), lines[0][1], "test", reference, total, CURRENCY, "started", "",
                                      None, None, False, stamp(created), stamp(created)))
        waiting.append(PendingOrder(number, reference, total))
    return tables


SEQUENCED_TABLES = ("users", "categories", "products", "shops", "shop_items", "looks", "share_links", "clicks",
                    "attribution_touches", "orders", "order_lines", "order_status_changes", "payments", "test_provider_events",
                    "webhook_events", "order_attributions", "commissions", "ledger_accounts", "ledger_transactions",
                    "ledger_transfers", "user_sessions")


def bulk_engine(url: str) -> Engine:
    """An engine for loading: on SQLite a big page cache and no fsync or foreign-key checks while writing (reconciliation
    then proves the rows consistent); the database stays in WAL mode, as the app leaves it."""
    if not url.startswith("sqlite"):
        return create_engine(url)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-262144"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def seed(url: str, sizes: Sizes, now: datetime) -> World:
    """Write the whole data set into the empty, migrated database at `url`; returns what the harness measures."""
    engine = bulk_engine(url)
    today = now.astimezone(UTC).date()
    world = World(now=now, sizes=sizes, first_day=today - timedelta(days=DAYS), last_day=today - timedelta(days=1),
                  stamp=_postgresql_stamp if engine.dialect.name == "postgresql" else _sqlite_stamp, rng=random.Random(SEED))
    world.buyers = int(sizes.paid_orders * 0.8)
    try:
        with engine.begin() as connection:
            write(connection, _catalog(world))
            write(connection, _curators(world))
            write(connection, _clicks(world))
            write(connection, paid_orders(world, sizes.paid_orders))
            write(connection, pending_orders(world, sizes.webhook_orders, "app"))
            write(connection, pending_orders(world, sizes.reference_webhook_orders, "reference"))
            if sizes.queued_webhook_orders:
                write(connection, pending_orders(world, sizes.queued_webhook_orders, "queued"))
            move_sequences_past_rows(connection, SEQUENCED_TABLES)
    finally:
        engine.dispose()
    return world


def add_paid_orders(url: str, world: World, count: int) -> None:
    """More paid orders in the same period, for the larger reconciliation: with everything it reads (lines, payments, the
    provider's records, commissions and the ledger), without the status history, attribution and webhook event it never reads."""
    world.buyers = int((world.sizes.paid_orders + count) * 0.8)
    world.history = False
    engine = bulk_engine(url)
    try:
        with engine.begin() as connection:
            # The app wrote rows of its own meanwhile (clicks, payments, commissions): continue after them.
            for table in SEQUENCED_TABLES:
                highest = connection.scalar(text(f"SELECT max(id) FROM {table}")) or 0
                world.next_ids[table] = max(world.next_ids.get(table, 1), highest + 1)
            write(connection, paid_orders(world, count))
            move_sequences_past_rows(connection, SEQUENCED_TABLES)
    finally:
        engine.dispose()
