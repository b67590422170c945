"""The schema comes only from migrations, and they agree with the models."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from storefront.extensions import create_database_engine
from storefront.models import Base
from tests.conftest import migrate


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    migrate(url)
    migrate_down(url)
    migrate(url)


def migrate_down(url: str, revision: str = "base") -> None:
    from alembic import command

    from storefront.cli import alembic_config

    command.downgrade(alembic_config(url), revision)


def store_event(url: str, *, applied_at: str | None = "the column's default") -> None:
    """A payment event as a release's code writes it: with `applied_at` named only when `applied_at` is given."""
    columns = "id, provider, event_id, kind, outcome, needs_attention, payload, received_at"
    values = "1, 'test', 'evt_1', 'payment.succeeded', 'applied', 0, '{}', '2026-11-30 10:00:00.000000'"
    if applied_at != "the column's default":
        columns, values = f"{columns}, applied_at", f"{values}, {'NULL' if applied_at is None else repr(applied_at)}"
    engine = create_database_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"INSERT INTO webhook_events ({columns}) VALUES ({values})"))
    engine.dispose()


def read_applied_at(url: str) -> str | None:
    engine = create_database_engine(url)
    with engine.connect() as connection:
        found = connection.scalar(text("SELECT applied_at FROM webhook_events"))
    engine.dispose()
    return found


def test_events_stored_before_the_queue_count_as_applied_when_received(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    migrate(url, "0013")
    store_event(url)
    migrate(url)
    assert read_applied_at(url) == "2026-11-30 10:00:00.000000"


def test_an_event_stored_by_a_release_that_does_not_queue_counts_as_applied(tmp_path: Path) -> None:
    """Between the migration and the restart, the older code still serves webhooks and applies what it stores."""
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    migrate(url)
    store_event(url)
    assert read_applied_at(url) is not None


def test_downgrading_past_the_queue_refuses_while_events_are_queued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    migrate(url)
    store_event(url, applied_at=None)
    with pytest.raises(RuntimeError, match="1 payment event"):
        migrate_down(url, "0013")
