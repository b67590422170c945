"""The database being unreachable: which errors mean it, how long clients should wait, and how to log it safely."""
from __future__ import annotations

import contextlib

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from storefront.extensions import db

#: Connection refused or lost, server shutting down, SQLite busy or locked: the driver's errors arrive wrapped in these.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, DisconnectionError)
#: The Retry-After of a 503 while the database is away.
RETRY_AFTER_SECONDS = 30


def describe(error: BaseException) -> str:
    """The driver's own words, without the SQL statement or its parameters (which may hold personal data)."""
    original = error.orig if isinstance(error, DBAPIError) else error
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {first_line}"


def discard_transaction() -> None:
    """Roll the session back so nothing half-written stays; a connection already lost took its transaction with it."""
    with contextlib.suppress(*DATABASE_UNAVAILABLE):
        db.session.rollback()
