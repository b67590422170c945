"""Fixtures for the core tests: a SQLite file of their own, apart from the suite's database."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storefront.extensions import create_database_engine


@pytest.fixture
def notes_database(tmp_path: Path) -> Path:
    return tmp_path / "notes.sqlite3"


@pytest.fixture
def notes_engine(notes_database: Path) -> Iterator[Any]:
    """An engine with our SQLite settings on `notes_database`, which holds one table: notes (body TEXT)."""
    engine = create_database_engine(f"sqlite:///{notes_database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    yield engine
    engine.dispose()
