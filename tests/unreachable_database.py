"""The database going away mid-run: the session is bound to a PostgreSQL address where nothing listens (loopback only)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from storefront.extensions import create_database_engine, db

UNREACHABLE_URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"


@contextmanager
def unreachable_database() -> Iterator[None]:
    """Every query inside fails to connect (sqlalchemy.exc.OperationalError); the test's own binding comes back after."""
    previous = db.session_factory.kw.get("bind")
    unreachable = create_database_engine(UNREACHABLE_URL, connect_args={"connect_timeout": 1})
    db.session.remove()
    db.session_factory.configure(bind=unreachable)
    try:
        yield
    finally:
        db.session.remove()
        db.session_factory.configure(bind=previous)
        unreachable.dispose()
