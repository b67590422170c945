"""Pytest fixtures for the local Stripe: `stripe_server` (session-scoped process) and `stripe_client` (stripe-python).

Use them from any conftest.py with `from tests.stripe_server.fixtures import stripe_client, stripe_server  # noqa: F401`.
Only urllib is used to talk to the server; localstripe is never imported into the test process.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

REPO_ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk_test_vitrine"
START_TIMEOUT = 10.0
POLL_INTERVAL = 0.02


class StripeServerError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def _form_pairs(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: nested dicts as a[b]=c, lists as a[0]=c, booleans as true/false."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict):
            pairs += _form_pairs(value, name)
        elif isinstance(value, list | tuple):
            pairs += _form_pairs({str(i): item for i, item in enumerate(value)}, name)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


class StripeServer:
    """What the customer, the connected account's owner and the dashboard do, done over HTTP to the local Stripe."""

    def __init__(self, base_url: str, api_key: str = API_KEY) -> None:
        self.base_url = base_url
        self.api_key = api_key

    def request(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        encoded = urllib.parse.urlencode(_form_pairs(params or {}))
        url = self.base_url + path
        data = None
        if method in ("GET", "DELETE"):
            url += f"?{encoded}" if encoded else ""
        else:
            data = encoded.encode()
        request = urllib.request.Request(url, data=data, method=method, headers={"Authorization": f"Bearer {self.api_key}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            with error:
                raise StripeServerError(error.code, json.loads(error.read() or b"null")) from None
        return json.loads(body) if body else None

    def pay(self, session_id: str, *, async_: bool = False) -> dict[str, Any]:
        """The customer pays the Checkout Session: by card, or (`async_`) by a delayed method settled by `async_result`."""
        return self.request("POST", f"/_test/checkout/sessions/{session_id}/pay", {"async": async_})

    def async_result(self, session_id: str, succeeded: bool) -> dict[str, Any]:
        return self.request("POST", f"/_test/checkout/sessions/{session_id}/async_result", {"succeeded": succeeded})

    def expire(self, session_id: str) -> dict[str, Any]:
        return self.request("POST", f"/_test/checkout/sessions/{session_id}/expire")

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        return self.request("POST", f"/_test/accounts/{account_id}/complete_onboarding")

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> dict[str, Any]:
        """Reversed from the dashboard: the whole remainder unless `amount` is given. Returns the transfer."""
        return self.request("POST", f"/_test/transfers/{transfer_id}/reverse", {"amount": amount})

    def refund_directly(self, payment_intent_id: str, amount: int) -> dict[str, Any]:
        """A refund made outside our code, as from the Stripe dashboard. Returns the refund."""
        return self.request("POST", "/v1/refunds", {"payment_intent": payment_intent_id, "amount": amount})

    def events(self, since: int | None = None, type: str | None = None) -> list[dict[str, Any]]:  # noqa: A002
        """Every event (all pages), oldest first; `since` is `created[gte]`, `type` may use Stripe's `*` wildcard."""
        params: dict[str, Any] = {"limit": 100}
        if since is not None:
            params["created"] = {"gte": since}
        if type is not None:
            params["type"] = type
        found: list[dict[str, Any]] = []
        while True:
            page = self.request("GET", "/v1/events", params)
            found += page["data"]
            if not page["has_more"]:
                return list(reversed(found))
            params["starting_after"] = page["data"][-1]["id"]

    def register_webhook(self, url: str, secret: str, events: list[str] | None = None, name: str = "vitrine") -> None:
        """Deliver events (signed with `secret`, about 1 s after they happen) to `url`; localstripe's own feature."""
        self.request("POST", f"/_config/webhooks/{name}", {"url": url, "secret": secret, "events": events})

    def unregister_webhook(self, name: str = "vitrine") -> None:
        self.request("DELETE", f"/_config/webhooks/{name}")

    def reset(self) -> None:
        """Forget every object, event and idempotency record."""
        self.request("DELETE", "/_config/data")

    def answers(self) -> bool:
        try:
            self.request("GET", "/v1/events", {"limit": 1})
        except (urllib.error.URLError, ConnectionError):
            return False
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeServer]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("stripe_server") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.stripe_server.server", "--port", str(port)],
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        server = StripeServer(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + START_TIMEOUT
        while not server.answers():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local Stripe did not start on port {port}:\n{log_path.read_text()}")
            time.sleep(POLL_INTERVAL)
        yield server
    finally:
        _stop(process)


@pytest.fixture
def stripe_client(stripe_server: StripeServer) -> Iterator[stripe.StripeClient]:
    http_client = stripe.new_default_http_client()
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": stripe_server.base_url}, max_network_retries=0, http_client=http_client,
    )
    yield client
    http_client.close()
