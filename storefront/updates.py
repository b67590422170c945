"""One-row UPDATEs of objects already loaded, in Core: what a flush writes for one object, without the unit of work.

For the paths that run on every payment, where the ORM's flush machinery costs more than the statement it sends.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, Update, bindparam, inspect, update
from sqlalchemy.orm.attributes import set_committed_value


def update_loaded(obj: Any, values: Mapping[str, Any], **expected: Any) -> bool:
    """Set the columns `values` on the row of `obj`, a persistent object, where its columns still hold `expected`;
    True when the row matched (False: nothing was written).

    Changes of the object not flushed yet are flushed first, as a query would. When the row matched, the object
    takes `values` as committed ones (nothing stale, nothing left to flush); a column the table sets by itself on
    update (`onupdate`, such as `updated_at`) is expired, so it is read again if used.
    """
    state = inspect(obj)
    session = state.session
    assert session is not None, "update_loaded needs an object of a session"
    if state.modified or not state.persistent:
        session.flush()
    table = state.mapper.local_table
    params = {f"set_{key}": value for key, value in values.items()}
    params.update({f"expected_{key}": value for key, value in expected.items()})
    params["row_id"] = state.identity[0]
    result = session.connection().execute(_update_statement(table, tuple(values), tuple(expected)), params)
    if result.rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(obj, key, value)
    set_by_table = [column.key for column in table.c if column.onupdate is not None and column.key not in values]
    if set_by_table:
        session.expire(obj, set_by_table)
    return True


@functools.cache
def _update_statement(table: Table, set_keys: tuple[str, ...], expected_keys: tuple[str, ...]) -> Update:
    """Built once per table and set of columns (building costs more than running it on these paths)."""
    (primary_key,) = table.primary_key.columns
    return (
        update(table)
        .where(primary_key == bindparam("row_id"), *(table.c[key] == bindparam(f"expected_{key}") for key in expected_keys))
        .values({key: bindparam(f"set_{key}") for key in set_keys})
    )
