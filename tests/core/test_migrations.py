"""The schema comes only from migrations, and they agree with the models."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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


def migrate_down(url: str) -> None:
    from alembic import command

    from storefront.cli import alembic_config

    command.downgrade(alembic_config(url), "base")
