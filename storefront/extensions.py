"""Extensions and the database handle, created unbound and bound to an app by the factory."""
from __future__ import annotations

import functools
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Connection, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

from storefront.sqlite_writers import WRITE_WAIT_SECONDS, QueuedConnection, WriterQueue, WriterTimeout

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_database_engine(url: str, **options: Any) -> Engine:
    """An engine with our per-backend settings: SQLite in WAL mode with foreign keys on."""
    if url.startswith("sqlite"):
        connect_args = {"timeout": WRITE_WAIT_SECONDS, "factory": QueuedConnection}
        engine = create_engine(url, connect_args=connect_args, **options)
        _configure_sqlite(engine)
        return engine
    # An unreachable server must fail fast (a 503 page), not hold the request for minutes.
    options.setdefault("connect_args", {"connect_timeout": 5})
    engine = create_engine(url, **options)
    _ping_when_idle(engine)
    if options.get("isolation_level") != "AUTOCOMMIT":
        _autocommit_when_asked(engine)
    return engine


#: A pooled connection unused for longer than this is pinged before use (see `_ping_when_idle`).
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle, instead of on every checkout (`pool_pre_ping`).

    A connection lost while idle (a server restart, a proxy's idle timeout) is then replaced without failing
    a request, and a busy worker does not pay one round trip per request for it. A server lost while busy fails
    the requests that were using it either way; the first disconnect error then invalidates the whole pool.
    """
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool replaces the connection and tries again.
            raise DisconnectionError(f"a pooled connection was lost while idle: {error}") from error


def _autocommit_when_asked(engine: Engine) -> None:
    """Connections taken in `reading_only` run each statement on its own, without BEGIN and ROLLBACK or COMMIT.

    Under READ COMMITTED every statement sees its own snapshot anyway, so a transaction around reads gains
    them nothing, and a page that only reads saves two round trips.
    """
    @event.listens_for(engine, "engine_connect")
    def on_connect(connection: Any) -> None:
        if _reading_only.get():
            connection.execution_options(isolation_level="AUTOCOMMIT")


def _configure_sqlite(engine: Engine) -> None:
    database = engine.url.database
    # A URI (`file:…?uri=true`) names its file in a syntax of its own: such a database, like an in-memory one, keeps
    # SQLite's busy handler alone.
    plain_file = database and database != ":memory:" and engine.url.query.get("uri") != "true"
    writers = WriterQueue(database) if plain_file else None

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (savepoints
        # and the test fixtures' rollback depend on it).
        dbapi_connection.isolation_level = None
        dbapi_connection.writer_queue = writers
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is crash-safe (no corruption); a power cut may lose the last commits.
        # FULL would fsync on every commit, and every share-link click commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(WRITE_WAIT_SECONDS * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails at once with SQLITE_BUSY when another worker wrote in between, whereas
        # an immediate one waits its turn (busy_timeout). Pages that only read (`reading_only`)
        # begin no transaction: each statement reads its own WAL snapshot without the write lock,
        # as each does under PostgreSQL's READ COMMITTED (see `_autocommit_when_asked`). Writers first
        # queue for their turn (`storefront.sqlite_writers`), which ends with the transaction.
        if _reading_only.get():
            return
        dbapi_connection = connection.connection.dbapi_connection
        if writers is not None:
            try:
                writers.take_turn(dbapi_connection)
            except WriterTimeout as error:
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")) from error
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if writers is not None:
                writers.end_turn(dbapi_connection)
            raise


_reading_only: ContextVar[bool] = ContextVar("reading_only", default=False)


def reads_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view that never writes for a visitor who is not signed in runs in `reading_only` for them (public catalog
    and shop pages). A signed-in visitor's page may write — a curator's own shop page makes its share links on first
    view — so it keeps its transaction."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if may_be_signed_in():
            return view(*args, **kwargs)
        with reading_only():
            return view(*args, **kwargs)
    return wrapper


def may_be_signed_in() -> bool:
    """Whether this request may have a signed-in user, asked without the database: only a session that names a user
    (Flask-Login's key; sessions are server-side, there is no remember-me cookie) can be one."""
    return "_user_id" in session


@contextmanager
def standalone_statements() -> Iterator[Connection | None]:
    """For work whose every statement stands alone — reads, and writes each atomic by itself — done for a visitor who
    is not signed in: on PostgreSQL a connection of `Database.autocommit_engine`, each statement committing by itself,
    without BEGIN or COMMIT and without the session's own work (a followed share link, a cached shop page: most
    requests); None elsewhere, where the caller uses the session as usual.

    Raises the database's error when no connection can be had, as the session's first statement would.
    """
    engine = db.autocommit_engine()
    if engine is None:
        yield None
        return
    with engine.connect() as connection:
        yield connection


@contextmanager
def reading_only() -> Iterator[None]:
    """Connections taken inside run each statement on its own, in no transaction: on SQLite without the write
    lock, on PostgreSQL without BEGIN and ROLLBACK. Each statement sees the database as it was when it began, but
    two statements may see different moments; a write would commit at once, so mark only code that never writes."""
    token = _reading_only.set(True)
    try:
        yield
    finally:
        _reading_only.reset(token)


class Database:
    """One engine and one request-scoped session per app (and on PostgreSQL a pool kept in autocommit beside the engine's)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session_factory = sessionmaker(expire_on_commit=False)
        self.session: scoped_session[Session] = scoped_session(self.session_factory)
        #: The session's engine → its twin whose connections stay in autocommit (`standalone_statements`).
        self._autocommit_twins: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
        self._twins_lock = threading.Lock()

    def autocommit_engine(self) -> Engine | None:
        """On PostgreSQL, a twin of the session's engine (the same database URL, our engine defaults) whose pooled
        connections are in autocommit for good; None on SQLite, or when the session is bound to a connection rather than an engine
        (a caller holding one transaction around everything, as the tests do), which must see every statement."""
        bind = self.session_factory.kw.get("bind")
        if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
            return None
        twin = self._autocommit_twins.get(bind)
        if twin is None:
            with self._twins_lock:
                twin = self._autocommit_twins.get(bind)
                if twin is None:
                    twin = create_database_engine(bind.url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
                    self._autocommit_twins[bind] = twin
        return twin

    def forget_pools(self) -> None:
        """After a fork: forget the pools inherited from the parent without closing its connections (see gunicorn.conf.py)."""
        for engine in [self.engine, *self._autocommit_twins.values()]:
            if engine is not None:
                engine.dispose(close=False)

    def init_app(self, app: Flask) -> None:
        self.engine = create_database_engine(app.config["DATABASE_URL"])
        self.session_factory.configure(bind=self.engine)
        app.extensions["database"] = self

        @app.teardown_appcontext
        def remove_session(_exc: BaseException | None) -> None:
            self.session.remove()


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
#: Storage from RATELIMIT_STORAGE_URI: memory by default (per worker), Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
