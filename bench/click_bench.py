"""Benchmark of GET /s/<code> (record a click, set the cookies, redirect) under gunicorn, driven by wrk.

Run by hand: `make bench` or `.venv/bin/python bench/click_bench.py [--database-url URL] [--seconds 10]`.
It seeds its own database (SQLite in a temporary folder unless --database-url is given: that
database's tables are created by the migrations and must be empty), serves the app with gunicorn
on loopback, drives it with wrk, prints requests/s and p50/p99 latency, and writes them to
bench/results/.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(BIN / "flask"), *args], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return result.stdout


def make_link(env: dict[str, str]) -> str:
    code = subprocess.run(
        [str(BIN / "python"), "-c", (
            "from storefront import create_app\n"
            "from storefront.extensions import db\n"
            "from share.models import Channel, LinkTarget\n"
            "from share.services import get_or_create_link\n"
            "from storefront.shops.services import find_shop_by_handle\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    link = get_or_create_link(find_shop_by_handle('ana'), LinkTarget.SHOP, 0, Channel.WHATSAPP)\n"
            "    db.session.commit()\n"
            "    print(link.code)\n"
        )],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    return code


def count_clicks(env: dict[str, str]) -> int:
    out = subprocess.run(
        [str(BIN / "python"), "-c", (
            "from sqlalchemy import func, select\n"
            "from storefront import create_app\n"
            "from storefront.extensions import db\n"
            "from share.models import Click\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    print(db.session.scalar(select(func.count()).select_from(Click)))\n"
        )],
        cwd=REPO, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()
    return int(out)


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before it answered")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer within 30 s")


def parse_wrk(output: str) -> dict[str, str]:
    figures = {"requests_per_second": re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)}  # type: ignore[union-attr]
    for percentile in ("50", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+([\d.]+\w+)", output, re.MULTILINE)
        figures[f"p{percentile}"] = match.group(1) if match else "?"
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non_3xx"] = errors.group(1) if errors else "0"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="benchmark on this (empty) database instead of a fresh SQLite file")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    workdir = Path(tempfile.mkdtemp(prefix="vitrine-bench-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {
        **os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret",
        "BASE_URL": base_url, "SHARE_CLICK_RATE_LIMIT": "100000000 per minute",
    }
    flask(env, "db", "upgrade")
    flask(env, "catalog", "load-demo")
    flask(env, "demo", "load")
    code = make_link(env)

    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", "gthread",
         "--threads", str(args.threads), "--log-level", "warning", "wsgi:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=(workdir / "gunicorn.log").open("w"),
    )
    try:
        wait_until_up(base_url, server)
        wrk = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", "-H", f"User-Agent: {PHONE}",
             "-H", "Sec-Fetch-Dest: document", f"{base_url}/s/{code}"],
            check=True, capture_output=True, text=True, timeout=args.seconds + 60,
        ).stdout
    finally:
        server.terminate()
        server.wait(15)
    figures = parse_wrk(wrk)
    clicks = count_clicks(env)
    backend = database_url.split(":", 1)[0]
    report = "\n".join([
        f"GET /s/<code> (click + cookies + 302) on {backend}, gunicorn {args.workers} workers x {args.threads} threads, "
        f"wrk {args.connections} connections for {args.seconds} s",
        f"  requests/s: {figures['requests_per_second']}",
        f"  latency p50: {figures['p50']}   p99: {figures['p99']}",
        f"  responses that were not a redirect: {figures['non_3xx']}",
        f"  clicks recorded: {clicks}",
        f"  machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"  date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    ])
    print(report)
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"click-{backend}-{datetime.now(UTC):%Y%m%d-%H%M%S}.txt").write_text(report + "\n\n" + wrk)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
