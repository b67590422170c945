"""A real gunicorn server on loopback, with its own migrated SQLite database and the demo catalog."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The live server's settings; commissions mature at once and small balances are paid, so a journey fits in a test."""
    workdir = tmp_path_factory.mktemp("live")
    port = free_port()
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'live.sqlite3'}",
        "SECRET_KEY": "live-server-secret",
        "PAYMENT_PROVIDER": "test",
        "FLASK_APP": "wsgi",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "COMMISSION_HOLD_DAYS": "0",
        "PAYOUT_MIN_MINOR": "100",
        "LIVE_WORKDIR": str(workdir),
    }


@pytest.fixture(scope="session")
def live_flask(live_env: dict[str, str]) -> Any:
    """Run a `flask` command against the live server's database, as cron would."""
    def run(*command: str) -> str:
        done = subprocess.run([str(BIN / "flask"), *command], cwd=REPO, env=live_env, check=True, capture_output=True, text=True)
        return done.stdout
    return run


@contextmanager
def gunicorn(env: dict[str, str], port: int, log_path: Path) -> Iterator[str]:
    """The app under gunicorn as `make serve` runs it (two gthread workers) on loopback, once it answers /healthz."""
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "4",
             "wsgi:app"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(base_url + "/healthz", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(f"gunicorn did not start: {log_path.read_text()[-2000:]}") from None
                    time.sleep(0.1)  # waiting for a process to bind its port
            yield base_url
        finally:
            server.terminate()
            server.wait(10)


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[str]:
    env = live_env
    workdir = Path(env["LIVE_WORKDIR"])
    base_url = env["BASE_URL"]
    port = int(base_url.rsplit(":", 1)[1])
    for command in (["db", "upgrade"], ["catalog", "load-demo"], ["demo", "load"]):
        subprocess.run([str(BIN / "flask"), *command], cwd=REPO, env=env, check=True, capture_output=True)
    with gunicorn(env, port, workdir / "gunicorn.log") as served:
        yield served


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


#: Headless Chromium names itself "HeadlessChrome", which share links rightly do not count as a person.
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
)


def new_phone_context(chromium: Any, base_url: str) -> Any:
    return chromium.new_context(
        base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        device_scale_factor=2, user_agent=PHONE_USER_AGENT,
    )


@pytest.fixture
def phone(chromium: Any, live_server: str) -> Iterator[Any]:
    """A fresh phone-sized browser context (390 × 844, touch) on the live server."""
    context = new_phone_context(chromium, live_server)
    page = context.new_page()
    yield page
    context.close()
