"""`make bench`: Vitrine under gunicorn beside bare reference apps, on SQLite and PostgreSQL, driven by wrk (issue 12).

For each backend: migrate an empty database (a temporary SQLite file; PostgreSQL's `vitrine_bench12`,
whose public schema is dropped first), seed it (bench/seed.py: 1,000 curators with 60-item shops,
100,000 clicks over 30 days, 10,000 paid orders with their commissions), build the rollups with
`flask analytics rebuild`, then serve the app with gunicorn and drive each endpoint with
`wrk --latency` on loopback after a short warm-up; then the same for the reference apps
(bench/reference_apps.py) on another port with the same gunicorn settings. It prints, per
endpoint, requests/s, p50 and p99 and the ratio to the reference, each gunicorn worker's peak RSS
(VmHWM, read before the server stops), and the time of `flask commissions reconcile` over the
seeded 10,000 orders and again after 90,000 more paid orders are written into the same days.
Results go to bench/results/bench-<backend>-<date>.txt with the machine, versions, date and load.

    .venv/bin/python bench/harness.py [--backend sqlite|postgresql|both] [--workers 2] [--worker-class gthread]
        [--threads 4] [--duration 10] [--connections 32] [--quick] [--reconcile-limit 45] [--postgresql-url URL]

Never point --postgresql-url at a database you care about: its public schema is dropped.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import seed  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vitrine_bench12"
SECRET_KEY = "vitrine-bench-secret"
WEBHOOK_SECRET = "vitrine-bench-webhook-secret"
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile "
         "Safari/537.36")
WRK_THREADS = 2
VISITORS = 500
#: A reconciliation still running after this long has missed its 10 s target by far: stop it, keep the run under 10 minutes
#: (--reconcile-limit 300 lets it finish).
RECONCILE_LIMIT_S = 45
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    backends: list[str]
    postgresql_url: str
    workers: int
    worker_class: str
    threads: int
    duration_s: int
    warmup_s: int
    connections: int
    sizes: seed.Sizes
    quick: bool
    reconcile_limit_s: int
    queue_workers: int = 2

    def describe(self) -> str:
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        # The app's own settings that change what is measured, as the servers get them from this environment.
        click_commit = os.environ.get("SHARE_CLICK_COMMIT") or "async"
        return (f"gunicorn {self.workers} workers ({self.worker_class}{threads}, gunicorn.conf.py, no recycling); wrk {WRK_THREADS} "
                f"threads, {self.connections} connections, {self.duration_s} s per endpoint after a {self.warmup_s} s warm-up, "
                f"on loopback; SHARE_CLICK_COMMIT={click_commit}")


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    #: What a correct answer is (wrk counts any 2xx or 3xx as success, so the harness checks one request first).
    status: int
    headers: tuple[str, ...] = ()
    script: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Options.


def postgresql_answers(url: str) -> bool:
    engine = create_engine(make_url(url).set(database="postgres"), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def parse_settings() -> Settings:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"),
                        help="default: both when PostgreSQL answers at --postgresql-url, else sqlite")
    parser.add_argument("--postgresql-url", default=os.environ.get("BENCH_POSTGRESQL_URL", DEFAULT_POSTGRESQL_URL),
                        help="a database of its own: its public schema is dropped (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn's worker class (default %(default)s)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker (default %(default)s)")
    parser.add_argument("--duration", type=int, help="seconds of wrk per endpoint (default 10; 3 with --quick)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="a smoke run: a tenth of the data, 3 s per endpoint")
    parser.add_argument("--queue-workers", type=int, default=2,
                        help="`flask payments work` processes for the queued webhook's run (PostgreSQL; default %(default)s)")
    parser.add_argument("--reconcile-limit", type=int, default=RECONCILE_LIMIT_S,
                        help="stop a reconciliation after this many seconds (default %(default)s; the target is 10)")
    args = parser.parse_args()

    url = args.postgresql_url
    database = make_url(url).database or ""
    if database == "test" or "bench" not in database:
        raise SystemExit(f"refusing PostgreSQL database {database!r}: the harness drops its schema; use one named *bench*")
    if args.backend in (None, "both"):
        answers = postgresql_answers(url)
        if args.backend == "both" and not answers:
            raise SystemExit(f"PostgreSQL does not answer at {make_url(url).render_as_string(hide_password=True)}")
        backends = ["sqlite", "postgresql"] if answers else ["sqlite"]
        if not answers:
            print("PostgreSQL does not answer: benchmarking SQLite only")
    else:
        backends = [args.backend]
    duration = args.duration or (3 if args.quick else 10)
    warmup = 1
    sizes = seed.QUICK_SIZES if args.quick else seed.Sizes()
    # Enough distinct payment events for the fastest plausible rate (a reused event would be a duplicate, not a payment).
    sizes = dataclasses.replace(sizes, webhook_orders=(duration + warmup) * 500,
                                reference_webhook_orders=(duration + warmup) * 2000,
                                queued_webhook_orders=(duration + warmup) * 1500)
    return Settings(backends=backends, postgresql_url=url, workers=args.workers, worker_class=args.worker_class,
                    threads=args.threads, duration_s=duration, warmup_s=warmup, connections=args.connections, sizes=sizes,
                    quick=args.quick, reconcile_limit_s=args.reconcile_limit)


# ---------------------------------------------------------------------------------------------------------------
# The database.


def prepare_database(backend: str, settings: Settings, workdir: Path) -> str:
    """An empty database migrated to head; returns its URL."""
    from alembic import command

    from storefront.cli import alembic_config

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        url = settings.postgresql_url
        target = make_url(url)
        server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}):
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
        server.dispose()
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    command.upgrade(alembic_config(url), "head")
    return url


def server_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return f"PostgreSQL {connection.scalar(text('SHOW server_version'))}"
            return f"SQLite {connection.scalar(text('SELECT sqlite_version()'))} (WAL)"
    finally:
        engine.dispose()


def scalar(url: str, query: str, **params: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text(query), params) or 0)
    finally:
        engine.dispose()


def analyze(url: str, command: str = "VACUUM ANALYZE") -> None:
    """PostgreSQL: statistics (and the visibility map), as autovacuum would have left a database that grew slowly."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(command))
    engine.dispose()


# ---------------------------------------------------------------------------------------------------------------
# Servers and wrk.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_overrides(url: str) -> dict[str, object]:
    """The settings app_environment gives the servers, for an app made in this process."""
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "PAYMENT_PROVIDER": "test", "TEST_PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CURRENCY": seed.CURRENCY, "COMMISSION_DEFAULT_BPS": seed.DEFAULT_RATE_BPS, "COMMISSION_HOLD_DAYS": seed.HOLD_DAYS}


def app_environment(url: str, base_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "PROXY_FIX_HOPS", "STRIPE_SECRET_KEY")}
    env.update({
        "FLASK_APP": "wsgi", "DATABASE_URL": url, "REFERENCE_DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "BASE_URL": base_url,
        "PAYMENT_PROVIDER": "test", "TEST_PAYMENT_WEBHOOK_SECRET": WEBHOOK_SECRET, "CURRENCY": seed.CURRENCY,
        "COMMISSION_DEFAULT_BPS": str(seed.DEFAULT_RATE_BPS), "COMMISSION_HOLD_DAYS": str(seed.HOLD_DAYS),
        "SHIPPING_FLAT_MINOR": str(seed.SHIPPING_FLAT_MINOR), "SHIPPING_FREE_FROM_MINOR": str(seed.SHIPPING_FREE_FROM_MINOR),
        # 500 phones on one loopback address would otherwise be one over-eager visitor.
        "SHARE_CLICK_RATE_LIMIT": "1000000000 per minute",
    })
    return env


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "flask"), *args], cwd=REPO, env=env, capture_output=True, text=True)


def balanced_connections(settings: Settings) -> tuple[str, ...]:
    """wrk opens all its connections at once and keeps them: uncapped, one gthread worker could accept nearly all of
    them and leave the other idle (seen: the same server at 530 and at 1,400 requests/s from one run to the next,
    half the CPU idle in the slow one). A cap of an even share plus the worker's threads keeps every worker busy."""
    if settings.worker_class != "gthread":
        return ()
    return ("--worker-connections", str(-(-settings.connections // settings.workers) + settings.threads))


@contextmanager
def serving(application: str, env: dict[str, str], settings: Settings, log: Path, extra: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Production's gunicorn.conf.py (preloaded app, timeouts, keep-alive), with the chosen workers and no recycling:
    # each worker lives through every run, so its peak RSS is the whole run's.
    command = [str(BIN / "gunicorn"), "--config", str(REPO / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(settings.workers), "--worker-class", settings.worker_class, "--threads", str(settings.threads),
               "--max-requests", "0", "--log-level", "warning", *balanced_connections(settings), *extra, application]
    server = subprocess.Popen(command, cwd=REPO, env={**env, "BASE_URL": base_url}, stdout=subprocess.DEVNULL,
                              stderr=log.open("a"))
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn ({application}) exited before it answered; see {log}")
            try:
                urllib.request.urlopen(base_url + "/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn ({application}) did not answer within 60 s; see {log}") from None
                time.sleep(0.2)
        yield base_url, server
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def worker_peak_rss_mb(server: subprocess.Popen[bytes]) -> list[float]:
    """VmHWM of each gunicorn worker (the master's children), read while they still run."""
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return []
    peaks = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return sorted(peaks)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def check_once(base_url: str, endpoint: Endpoint, body: tuple[str, bytes] | None = None) -> str:
    """One request before the run: the status must be the endpoint's (a 302 to the log-in page would pass in wrk)."""
    headers = dict(header.split(": ", 1) for header in endpoint.headers)
    data = None
    if body is not None:
        headers.update({"Content-Type": "application/json", "Vitrine-Signature": body[0]})
        data = body[1]
    request = urllib.request.Request(base_url + endpoint.path, data=data, headers=headers)
    try:
        response = urllib.request.build_opener(NoRedirect).open(request, timeout=30)
        status = response.status
        response.close()
    except urllib.error.HTTPError as error:
        status = error.code
    if status != endpoint.status:
        return f"answered {status}, not {endpoint.status}"
    return ""


#: How long the harness waits, after wrk stops, for the workers to empty the queue.
QUEUE_DRAIN_LIMIT_S = 240


def wait_until_idle(base_url: str) -> None:
    """wrk stops sending, but the server still works through the requests it queued: let it finish before the next run."""
    for _ in range(3):
        urllib.request.urlopen(base_url + "/healthz", timeout=120).close()


def drive(base_url: str, endpoint: Endpoint, settings: Settings, seconds: int, script_args: tuple[str, ...] = ()) -> report.WrkRun:
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{settings.connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for header in endpoint.headers:
        command += ["-H", header]
    if endpoint.script:
        command += ["-s", str(BENCH / "wrk" / endpoint.script)]
    command.append(base_url + endpoint.path)
    if script_args:
        command += ["--", *script_args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise report.WrkOutputError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
    return report.parse_wrk(result.stdout)


# ---------------------------------------------------------------------------------------------------------------
# Payment events for the webhook runs.


def write_events(path: Path, orders: list[seed.PendingOrder], tag: str) -> tuple[str, bytes]:
    """Signed `payment.succeeded` events for these pending orders, one "<signature>\\t<body>" line each, signed now."""
    from storefront.payments.signatures import sign

    lines, first = [], None
    for order in orders:
        body = json.dumps({"id": f"evt_{tag}_{order.number}", "type": "payment.succeeded", "created": int(time.time()), "data": {
            "order_number": order.number, "payment_reference": order.payment_reference, "amount_minor": order.total_minor,
            "currency": seed.CURRENCY,
        }}, separators=(",", ":"))
        signature = sign(WEBHOOK_SECRET, body.encode())
        first = first or (signature, body.encode())
        lines.append(f"{signature}\t{body}")
    path.write_text("\n".join(lines) + "\n")
    assert first is not None
    return first


def signed_in_cookie(url: str, world: seed.World) -> str:
    """The Flask session cookie of the busiest curator, signed in with the server-side session the seed opened."""
    from storefront import create_app
    from storefront.accounts.views import SESSION_TOKEN
    from storefront.extensions import login_manager

    app = create_app(app_overrides(url))
    with app.test_request_context("/", headers={"User-Agent": PHONE}, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = login_manager._session_identifier_generator()
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    # With the session's identifier and a CSRF token already in it, pages leave the cookie alone (no Set-Cookie per request).
    return serializer.dumps({"_user_id": str(world.dashboard_user_id), "_fresh": True, "_id": identifier,
                             SESSION_TOKEN: world.session_token, "csrf_token": secrets.token_hex(20)})


# ---------------------------------------------------------------------------------------------------------------
# One backend.


def endpoints(world: seed.World, cookie: str) -> list[Endpoint]:
    return [
        Endpoint("click", "GET /s/<code> (click + redirect)", f"/s/{world.click_code}", 302,
                 (f"User-Agent: {PHONE}", "Sec-Fetch-Dest: document"), "click.lua"),
        Endpoint("shop", "GET /@<handle> (shop page, 60 items)", f"/@{world.handle}", 200),
        Endpoint("product", "GET /products/<slug>", f"/products/{world.product_slug}", 200),
        Endpoint("webhook", "POST /webhooks/test (payment event)", "/webhooks/test", 200, (), "webhook.lua"),
        Endpoint("webhook_queued", "POST /webhooks/test (WEBHOOK_QUEUE: stored, applied by workers)", "/webhooks/test", 200,
                 (), "webhook.lua"),
        Endpoint("dashboard", "GET /me/dashboard?days=30 (signed in)", "/me/dashboard?days=30", 200,
                 (f"User-Agent: {PHONE}", f"Cookie: session={cookie}")),
    ]


def measure_server(base_url: str, targets: list[Endpoint], settings: Settings, world: seed.World, tag: str,
                   workdir: Path) -> dict[str, report.WrkRun | str]:
    """Warm up and drive each endpoint; a failed check or run gives its reason instead of figures."""
    found: dict[str, report.WrkRun | str] = {}
    for endpoint in targets:
        warm_args: tuple[str, ...] = ()
        run_args: tuple[str, ...] = ()
        first_body = None
        if endpoint.key.startswith("webhook"):
            orders = world.webhook_orders[tag]
            warm = min(len(orders) // 5, settings.warmup_s * 1000)
            first_body = write_events(workdir / f"events-{tag}-check.txt", orders[:1], f"{tag}check")
            write_events(workdir / f"events-{tag}-warm.txt", orders[1:warm], tag)
            write_events(workdir / f"events-{tag}.txt", orders[warm:], tag)
            warm_args = (str(workdir / f"events-{tag}-warm.txt"), str(WRK_THREADS))
            run_args = (str(workdir / f"events-{tag}.txt"), str(WRK_THREADS))
        elif endpoint.key == "click":
            warm_args = run_args = (str(VISITORS),)
        problem = check_once(base_url, endpoint, first_body)
        if problem:
            found[endpoint.key] = problem
            print(f"  {endpoint.label}: {problem}; not measured")
            continue
        try:
            drive(base_url, endpoint, settings, settings.warmup_s, warm_args)
            wait_until_idle(base_url)
            found[endpoint.key] = run = drive(base_url, endpoint, settings, settings.duration_s, run_args)
            wait_until_idle(base_url)
        except (report.WrkOutputError, subprocess.TimeoutExpired) as error:
            found[endpoint.key] = str(error)
            print(f"  {endpoint.label}: {error}")
            continue
        print(f"  {endpoint.label}: {run.requests_per_second:.0f} requests/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms"
              + (f", {run.bad_responses} errors" if run.bad_responses else ""))
    return found


def measure_queued_webhooks(env: dict[str, str], endpoint: Endpoint, settings: Settings, world: seed.World,
                            workdir: Path, run: report.BackendRun) -> tuple[report.WrkRun | str, report.QueueDrain | None]:
    """The webhook with WEBHOOK_QUEUE=1: the app only stores each event, and `settings.queue_workers` worker processes
    (`flask payments work`), running beside it the whole time, apply them. wrk measures the acknowledgements; the
    database, once the queue is empty again, how fast events were applied from the first one received."""
    queued_env = {**env, "WEBHOOK_QUEUE": "1"}
    url = env["DATABASE_URL"]
    log = workdir / "payments-work.log"
    since = scalar(url, "SELECT coalesce(max(id), 0) FROM webhook_events")
    workers = [subprocess.Popen([str(BIN / "flask"), "payments", "work"], cwd=REPO, env=queued_env, stdout=subprocess.DEVNULL,
                                stderr=log.open("a")) for _ in range(settings.queue_workers)]
    print(f"  Vitrine, WEBHOOK_QUEUE=1 with {settings.queue_workers} `flask payments work` processes")
    try:
        with serving("wsgi:app", queued_env, settings, workdir / "gunicorn-queued.log") as (base_url, _server):
            found = measure_server(base_url, [endpoint], settings, world, "queued", workdir)[endpoint.key]
        stopped = time.monotonic()
        deadline = stopped + QUEUE_DRAIN_LIMIT_S
        while (left := scalar(url, "SELECT count(*) FROM webhook_events WHERE applied_at IS NULL AND id > :since", since=since)) \
                and time.monotonic() < deadline and all(worker.poll() is None for worker in workers):
            time.sleep(0.2)
        drained_after = time.monotonic() - stopped
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            applied, first, last, paid, failed = connection.execute(text(
                "SELECT count(*) FILTER (WHERE applied_at IS NOT NULL), min(received_at), max(applied_at), "
                "count(*) FILTER (WHERE outcome = 'applied'), count(*) FILTER (WHERE attempts > 0) "
                "FROM webhook_events WHERE id > :since"), {"since": since}).one()
    finally:
        engine.dispose()
    drain = report.QueueDrain(applied=applied, paid=paid, left=left, failed=failed, workers=settings.queue_workers,
                              seconds=(last - first).total_seconds() if applied else 0.0, drained_after_s=drained_after)
    if failed:
        errors = [line for line in log.read_text(errors="replace").splitlines() if "failed (attempt" in line]
        run.notes.append(f"{failed} queued events failed at least once; the workers' log said, e.g.: {(errors or ['nothing'])[-1][:300]}")
    print(f"  {endpoint.label}: {drain.describe()}")
    return found, drain


def reconcile(env: dict[str, str], world: seed.World, label: str, limit_s: int) -> report.Timed:
    """Time `flask commissions reconcile` over the seeded days (bench/time_reconcile.py: the command, and apart from it
    the app's start-up), stopping it after `limit_s`."""
    command = [sys.executable, str(BENCH / "time_reconcile.py"), f"{world.first_day}", f"{world.last_day}"]
    try:
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        outcome = f"stopped after {limit_s} s"
        print(f"  reconcile {label}: {outcome}")
        return report.Timed(label, None, outcome)
    try:
        figures = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        outcome = f"failed (exit {result.returncode}): {(result.stderr.strip().splitlines() or ['no output'])[-1][:200]}"
        print(f"  reconcile {label}: {outcome}")
        return report.Timed(label, None, outcome)
    seconds, tail = figures["command_s"], figures["output_tail"]
    if figures["exit_code"] == 0:
        outcome = "reconciles"
    elif figures["discrepancies"]:
        outcome = f"{figures['discrepancies']} discrepancies, e.g. {next(line for line in tail if 'DISCREPANCY' in line)[:160]}"
    else:
        outcome = f"failed after {seconds:.1f} s: {(tail or ['no output'])[-1][:200]}"
        print(f"  reconcile {label}: {outcome}")
        return report.Timed(label, None, outcome)
    outcome += f"; starting the app adds {figures['start_up_s']:.1f} s"
    print(f"  reconcile {label}: {seconds:.1f} s, {outcome}")
    return report.Timed(label, seconds, outcome)


def timed(run: report.BackendRun, label: str, action: Callable[..., T], *args: object) -> T:
    """Run one preparation step, printing and keeping how long it took."""
    started = time.perf_counter()
    value = action(*args)
    seconds = time.perf_counter() - started
    run.preparation.append(report.Timed(label, seconds, ""))
    print(f"  {label}: {seconds:.1f} s")
    return value


def run_backend(backend: str, settings: Settings) -> report.BackendRun:
    workdir = Path(tempfile.mkdtemp(prefix=f"vitrine-bench-{backend}-"))
    started = datetime.now(UTC)
    print(f"\n== {backend}")
    run = report.BackendRun(backend=backend, server_version="", settings=settings.describe(), started=started)
    run.load_averages.append(("at the start", os.getloadavg()))
    sizes = settings.sizes if backend == "postgresql" else dataclasses.replace(settings.sizes, queued_webhook_orders=0)
    url = timed(run, "migrate", prepare_database, backend, settings, workdir)
    run.server_version = server_version(url)
    world = timed(run, f"seed ({sizes.curators:,} curators, {sizes.clicks:,} clicks, {sizes.paid_orders:,} paid orders)",
                  seed.seed, url, sizes, started)
    env = app_environment(url, "http://127.0.0.1")
    rebuilt = timed(run, "flask analytics rebuild", flask, env, "analytics", "rebuild")
    if rebuilt.returncode != 0:
        raise SystemExit(f"flask analytics rebuild failed:\n{rebuilt.stderr}")
    run.preparation[-1].outcome = rebuilt.stdout.strip()
    if backend == "postgresql":
        timed(run, "VACUUM ANALYZE", analyze, url)
    cookie = signed_in_cookie(url, world)
    targets = endpoints(world, cookie)
    clicks_before = scalar(url, "SELECT count(*) FROM clicks")

    print(f"  Vitrine ({settings.describe()})")
    with serving("wsgi:app", env, settings, workdir / "gunicorn-app.log") as (base_url, server):
        app_runs = measure_server(base_url, [t for t in targets if t.key != "webhook_queued"], settings, world, "app", workdir)
        run.app_rss_mb = worker_peak_rss_mb(server)
    clicks_after_app = scalar(url, "SELECT count(*) FROM clicks")
    paid_by_app = scalar(url, "SELECT count(*) FROM orders WHERE number LIKE 'BW%' AND status = 'paid'")
    commissions_by_app = scalar(url, "SELECT count(*) FROM commissions c JOIN orders o ON o.id = c.order_id WHERE o.number LIKE 'BW%'")
    queued = None
    if backend == "postgresql":
        queued_endpoint = next(t for t in targets if t.key == "webhook_queued")
        app_runs["webhook_queued"], queued = measure_queued_webhooks(env, queued_endpoint, settings, world, workdir, run)
    paid_by_queued = scalar(url, "SELECT count(*) FROM orders WHERE number LIKE 'BW%' AND status = 'paid'") - paid_by_app
    run.load_averages.append(("after Vitrine's runs", os.getloadavg()))

    print("  reference apps")
    with serving("reference_apps:build_app()", env, settings, workdir / "gunicorn-reference.log", ("--pythonpath", str(BENCH))) \
            as (base_url, server):
        measured_by_reference = [t for t in targets if t.key not in ("dashboard", "webhook_queued")]
        reference_runs = measure_server(base_url, measured_by_reference, settings, world, "reference", workdir)
        run.reference_rss_mb = worker_peak_rss_mb(server)
    paid_by_reference = scalar(url, "SELECT count(*) FROM orders WHERE number LIKE 'BW%' AND status = 'paid'") - paid_by_app \
        - paid_by_queued
    run.load_averages.append(("after the references' runs", os.getloadavg()))

    for endpoint in targets:
        if endpoint.key not in app_runs:
            continue
        app_run = app_runs[endpoint.key]
        # The reference applies each payment as it answers: no reference for an endpoint that only stores it.
        reference_run = reference_runs.get(endpoint.key)
        measured = report.Measured(endpoint.key, endpoint.label, app_run if isinstance(app_run, report.WrkRun) else None,
                                   reference_run if isinstance(reference_run, report.WrkRun) else None,
                                   error=app_run if isinstance(app_run, str) else "")
        if endpoint.key == "click" and measured.run is not None:
            measured.check = (f"{clicks_after_app - clicks_before:,} clicks recorded: the {measured.run.requests:,} measured "
                              f"requests, the warm-up's, and those still queued when wrk stopped")
        if endpoint.key == "webhook" and measured.run is not None:
            sent = measured.run.requests
            measured.check = (f"Vitrine paid {paid_by_app:,} orders and earned {commissions_by_app:,} commissions: the {sent:,} "
                              f"measured events, the warm-up's, and those still queued when wrk stopped")
            if measured.reference is not None:
                measured.check += f"; the reference paid {paid_by_reference:,} for {measured.reference.requests:,}"
            if sent > len(world.webhook_orders["app"]):
                run.notes.append("webhook run outran its pending orders: some events were sent twice (answered as duplicates)")
        if endpoint.key == "webhook_queued" and queued is not None:
            measured.check = queued.describe()
            run.queue_drain = queued
            if measured.run is not None and measured.run.requests > len(world.webhook_orders["queued"]):
                run.notes.append("queued webhook run outran its pending orders: some events were sent twice (duplicates)")
        run.measured.append(measured)

    print("  reconciliation")
    run.reconciliations.append(reconcile(env, world, f"{sizes.paid_orders:,} paid orders", settings.reconcile_limit_s))
    extra = sizes.reconcile_orders - sizes.paid_orders
    timed(run, f"seed {extra:,} more paid orders", seed.add_paid_orders, url, world, extra)
    if backend == "postgresql":
        timed(run, "ANALYZE", analyze, url, "ANALYZE")
    run.reconciliations.append(reconcile(env, world, f"{sizes.reconcile_orders:,} paid orders", settings.reconcile_limit_s))
    run.load_averages.append(("at the end", os.getloadavg()))
    if settings.quick:
        run.notes.append("--quick: a smoke run on a tenth of the data; these figures are not the issue's")
    shutil.rmtree(workdir, ignore_errors=True)
    return run


def main() -> None:
    started = time.monotonic()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    settings = parse_settings()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it when run as root)")
    postgresql = None
    runs = []
    for backend in settings.backends:
        run = run_backend(backend, settings)
        if backend == "postgresql":
            postgresql = run.server_version.removeprefix("PostgreSQL ")
        runs.append(run)
    total = time.monotonic() - started
    verdict = "met" if total < report.RUNTIME_TARGET_S else "MISSED"
    header = "\n".join([
        f"Vitrine benchmark (make bench), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {report.machine()}",
        f"versions: {report.versions(postgresql)}",
        f"total run time {total / 60:.1f} min for {' and '.join(settings.backends)} "
        f"(target < {report.RUNTIME_TARGET_S / 60:.0f} min, wrk install excluded): {verdict}",
    ])
    paths = [report.write_results(run, header) for run in runs]
    print("\n" + header + "\n")
    for run in runs:
        print(report.render(run) + "\n")
    for path in paths:
        print(f"results written to {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
