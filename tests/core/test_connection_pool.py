"""PostgreSQL connections are pinged before use only after sitting idle: a lost idle one is replaced, a busy one costs nothing."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text

from storefront import extensions
from storefront.extensions import create_database_engine
from tests.conftest import TEST_DATABASE_URL, on_postgresql

pytestmark = on_postgresql


@pytest.fixture
def engine() -> Iterator[Any]:
    engine = create_database_engine(TEST_DATABASE_URL or "", pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def sent_statements(engine: Any) -> list[str]:
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: sent.append(statement))
    return sent


def backend_pid(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def terminate(pid: int) -> None:
    other = create_database_engine(TEST_DATABASE_URL or "")
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_connection_in_use_is_not_pinged(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 3600.0)
    backend_pid(engine)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
    backend_pid(engine)
    assert pings == []


def test_an_idle_connection_is_pinged_before_use(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    backend_pid(engine)
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
    backend_pid(engine)
    assert len(pings) == 1


def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the pool's only connection, lost while idle (a server restart, a proxy's timeout)
    lost = backend_pid(engine)
    terminate(lost)
    monkeypatch.setattr(extensions, "PING_AFTER_IDLE_SECONDS", 0.0)
    # when the next request takes a connection, it gets a working one
    assert backend_pid(engine) != lost
