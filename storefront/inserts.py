"""Rows keyed by their cause, written once: INSERT … ON CONFLICT DO NOTHING (or DO UPDATE), on SQLite and PostgreSQL alike.

A duplicate (a replayed webhook, a concurrent delivery that committed first) is ignored by the
database itself: no read before the write, and no savepoint, since the statement never fails
on the key, so nothing poisons the caller's transaction. On PostgreSQL a concurrent writer of
the same key waits for the first one's transaction, then inserts nothing.
"""
from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import postgresql, sqlite

from storefront.extensions import db


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def insert_or_update(table: Table, key_columns: list[str], update_columns: list[str]) -> Insert:
    """INSERT into `table` that, for a row whose `key_columns` exist already, sets its `update_columns` to the new values.

    A Core statement: it does not refresh objects of that table already loaded in the session.
    """
    return _insert_or_update(_dialect(), table, tuple(key_columns), tuple(update_columns))


def insert_once(model: Any, *key_columns: str) -> Insert:
    """INSERT into `model`'s table that skips a row whose `key_columns` (a unique constraint) exist already.

    Execute it through the session with `.returning(model)` to get the rows written now as
    persistent objects (none for a duplicate); flushes pending changes first, like any query.
    """
    return _insert_once(_dialect(), model, key_columns)


def insert_once_returning_id(table: Table, *key_columns: str) -> Insert:
    """`insert_once` into a table, returning only the id of a row written now (no row for a duplicate).

    Core, not the ORM: for rows the caller needs no object of (the ORM's RETURNING of whole objects costs
    more than the INSERT itself on the paths that run on every payment).
    """
    return _returning_id(insert_once(table, *key_columns))


# Built once per dialect and table: building them costs more than running them (they are run on every payment).


@functools.cache
def _insert_once(dialect: str, model: Any, key_columns: tuple[str, ...]) -> Insert:
    return _INSERTS[dialect](model).on_conflict_do_nothing(index_elements=list(key_columns))


@functools.cache
def _insert_or_update(dialect: str, table: Table, key_columns: tuple[str, ...], update_columns: tuple[str, ...]) -> Insert:
    statement = _INSERTS[dialect](table)
    return statement.on_conflict_do_update(
        index_elements=list(key_columns), set_={column: statement.excluded[column] for column in update_columns},
    )


@functools.cache
def _returning_id(statement: Insert) -> Insert:
    return statement.returning(statement.table.c.id)  # type: ignore[attr-defined]


_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
