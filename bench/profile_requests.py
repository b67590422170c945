"""Per-request cost of the benchmarked endpoints, in process: SQL statements and milliseconds per request.

Seeds a database (bench/seed.py, the quick sizes unless --full) once into a directory, then drives
GET /s/<code>, GET /@<handle>, GET /products/<slug> and POST /webhooks/test with Flask's test client,
counting the statements SQLAlchemy sends (an engine event) and timing each request; --profile prints
cProfile's top functions for one endpoint. No server, no wrk: a quick measure while changing the app.

    .venv/bin/python bench/profile_requests.py [--database PATH] [--requests 300] [--profile click]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import seed  # noqa: E402
from sqlalchemy import event  # noqa: E402

#: "queued" posts payment events with WEBHOOK_QUEUE on (stored only); "apply" then applies them one by one as
#: `flask payments work` does (run it after "queued", with no more --requests).
ENDPOINTS = ("click", "shop", "product", "webhook", "queued", "apply")


def prepare(path: Path, full: bool, reseed: bool = False, postgresql_url: str | None = None) -> tuple[str, seed.World]:
    """A seeded database (SQLite at `path`, or the PostgreSQL one given) and the world it holds, pickled beside
    `path` (seeded once, reused)."""
    import pickle

    from alembic import command

    from storefront.cli import alembic_config

    url = postgresql_url or f"sqlite:///{path}"
    world_file = path.with_suffix(".pg.world" if postgresql_url else ".world")
    if reseed:
        if not postgresql_url:
            path.unlink(missing_ok=True)
        world_file.unlink(missing_ok=True)
    if world_file.exists() and (postgresql_url or path.exists()):
        command.upgrade(alembic_config(url), "head")  # the tree may have gained a migration since the seeding
        return url, pickle.loads(world_file.read_bytes())
    if postgresql_url:
        url = harness.prepare_database(
            "postgresql", SimpleNamespace(postgresql_url=postgresql_url), path.parent)  # type: ignore[arg-type]
    else:
        path.unlink(missing_ok=True)  # seeded only in part: begin again
        command.upgrade(alembic_config(url), "head")
    sizes = seed.Sizes() if full else seed.QUICK_SIZES
    world = seed.seed(url, sizes, datetime.now(UTC))
    world.stamp = None  # type: ignore[assignment]  # a module function: not needed after seeding
    world_file.write_bytes(pickle.dumps(world))
    return url, world


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default="/tmp/vitrine-profile.sqlite3")
    parser.add_argument("--postgresql-url", help="profile on this PostgreSQL database instead (its name must contain "
                        "'bench': its schema is dropped when seeding)")
    parser.add_argument("--full", action="store_true", help="the full data set (default: the quick one)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", choices=ENDPOINTS, action="append")
    parser.add_argument("--profile", choices=ENDPOINTS)
    parser.add_argument("--profile-sort", default="cumulative", help="pstats sort key for --profile (e.g. tottime)")
    parser.add_argument("--profile-lines", type=int, default=45)
    parser.add_argument("--show-sql", choices=ENDPOINTS)
    parser.add_argument("--sql-width", type=int, default=300, help="characters of each statement --show-sql prints")
    parser.add_argument("--reseed", action="store_true", help="seed the database anew (each webhook run pays seeded orders for good)")
    args = parser.parse_args()

    path = Path(args.database)
    if args.postgresql_url and "bench" not in (harness.make_url(args.postgresql_url).database or ""):
        sys.exit("refusing a PostgreSQL database whose name lacks 'bench': seeding drops its schema")
    url, world = prepare(path, args.full, args.reseed, args.postgresql_url)
    os.environ.pop("REDIS_URL", None)
    from storefront import create_app
    from storefront.extensions import db

    overrides = harness.app_overrides(url)
    # An instance folder of its own: a secret key file and any spooled clicks stay out of the working tree.
    overrides.update({"SHARE_CLICK_RATE_LIMIT": "1000000000 per minute", "BASE_URL": "http://127.0.0.1",
                      "INSTANCE_PATH": str(path.with_suffix(".instance"))})
    app = create_app(overrides)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    client = app.test_client()
    with app.app_context():
        from sqlalchemy import text

        pending = set(db.session.scalars(text("SELECT number FROM orders WHERE status = 'pending'")))
    events = iter([order for order in world.webhook_orders["app"] if order.number in pending])
    # Each webhook request pays one seeded pending order for good: 5 warm-ups, the run, one more for --show-sql.
    if {"webhook", "queued"} & set(args.only or ENDPOINTS) and len(pending) < 5 + min(args.requests, 1) + 1:
        sys.exit(f"only {len(pending)} seeded orders are left to pay in {path}: run again with --reseed")
    tag = f"p{int(time.time())}"
    headers = {"User-Agent": harness.PHONE, "Sec-Fetch-Dest": "document"}

    def click(number: int) -> Any:
        client.set_cookie("vt_visitor", f"benchvisitor{number % 500:012d}")
        return client.get(f"/s/{world.click_code}", headers=headers)

    def webhook(_number: int) -> Any:
        order = next(events, None)
        if order is None:
            raise SystemExit(f"the seeded pending orders in {path} are used up: run again with --reseed or fewer --requests")
        body = json.dumps({"id": f"evt_{tag}_{order.number}", "type": "payment.succeeded", "created": int(time.time()), "data": {
            "order_number": order.number, "payment_reference": order.payment_reference, "amount_minor": order.total_minor,
            "currency": seed.CURRENCY}}, separators=(",", ":")).encode()
        from storefront.payments.signatures import sign

        return client.post("/webhooks/test", data=body, headers={"Content-Type": "application/json",
                                                                  "Vitrine-Signature": sign(harness.WEBHOOK_SECRET, body)})

    def queued(number: int) -> Any:
        app.config["WEBHOOK_QUEUE"] = True
        try:
            return webhook(number)
        finally:
            app.config["WEBHOOK_QUEUE"] = False

    def apply(_number: int) -> Any:
        from storefront.payments.queue import apply_queued

        with app.app_context():
            applied = apply_queued(limit=1).applied
        return SimpleNamespace(status_code=200 if applied else 404, get_data=lambda as_text: "nothing was queued")

    requests: dict[str, tuple[Callable[[int], Any], int]] = {
        "click": (click, 302),
        "shop": (lambda _n: client.get(f"/@{world.handle}"), 200),
        "product": (lambda _n: client.get(f"/products/{world.product_slug}"), 200),
        "webhook": (webhook, 200),
        "queued": (queued, 200),
        "apply": (apply, 200),
    }
    for key in args.only or ENDPOINTS:
        send, status = requests[key]
        count_requests = min(args.requests, len(pending) - 6) if key in ("webhook", "queued") else args.requests
        for number in range(5):  # warm caches: templates, the shop page, compiled statements
            response = send(number)
            assert response.status_code == status, (key, response.status_code, response.get_data(as_text=True)[:500])
        statements.clear()
        profiler = cProfile.Profile() if args.profile == key else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for number in range(count_requests):
            send(number)
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(f"{key:8} {elapsed / count_requests * 1000:7.2f} ms/request ({cpu / count_requests * 1000:.2f} ms CPU)  "
              f"{len(statements) / count_requests:6.1f} statements/request")
        if args.show_sql == key:
            statements.clear()
            send(count_requests + 7)
            for statement in statements:
                print("   ", " ".join(statement.split())[:args.sql_width])
        if profiler:
            pstats.Stats(profiler).sort_stats(args.profile_sort).print_stats(args.profile_lines)


if __name__ == "__main__":
    main()
