"""SQLite's writers take turns through a queue: a waiting writer starts when the turn ends, not after a busy-handler nap."""
from __future__ import annotations

import gc
import multiprocessing
import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storefront.extensions import create_database_engine, reading_only
from storefront.sqlite_writers import QueuedConnection, WriterQueue, WriterTimeout

WAIT = 10.0  # seconds a test waits for a thread before failing; a passing test never waits this long


@pytest.fixture
def database(notes_database: Path) -> Path:
    return notes_database


@pytest.fixture
def engine(notes_engine: Any) -> Any:
    return notes_engine


class Holder:
    """Stands for a connection: a queue keeps only a weak reference to its holder."""


def queue_is_free(database: Path) -> bool:
    other = WriterQueue(str(database))
    try:
        other.take_turn(Holder(), timeout=0)
    except WriterTimeout:
        return False
    return True


def writer_thread(engine: Any, body: str) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    started, errors = threading.Event(), []

    def write() -> None:
        try:
            started.set()
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO notes VALUES (:body)"), {"body": body})
        except BaseException as error:  # reported to the test
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    assert started.wait(WAIT)
    return thread, started, errors


def test_a_write_transaction_holds_the_turn_until_it_commits(engine: Any, database: Path) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('mine')"))
        assert not queue_is_free(database)
    assert queue_is_free(database)


def test_a_rolled_back_transaction_ends_its_turn(engine: Any, database: Path) -> None:
    connection = engine.connect()
    connection.begin()
    connection.execute(text("INSERT INTO notes VALUES ('undone')"))
    connection.rollback()
    assert queue_is_free(database)
    connection.close()


def test_a_reading_only_connection_takes_no_turn(engine: Any, database: Path) -> None:
    with reading_only(), engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM notes"))
        assert queue_is_free(database)


def test_a_writer_of_this_process_waits_for_the_turn_and_then_writes(engine: Any) -> None:
    first = engine.connect()
    first.begin()
    first.execute(text("INSERT INTO notes VALUES ('first')"))
    thread, _, errors = writer_thread(engine, "second")
    thread.join(0.05)
    assert thread.is_alive()  # waiting for the turn
    first.commit()
    first.close()
    thread.join(WAIT)
    assert not thread.is_alive() and errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT body FROM notes ORDER BY rowid")).scalars().all() == ["first", "second"]


def test_a_writer_of_another_process_waits_for_the_file_lock(engine: Any, database: Path) -> None:
    # Another engine on the same file has a queue of its own: only the lock on the file stands between them.
    other = create_database_engine(f"sqlite:///{database}")
    first = other.connect()
    first.begin()
    first.execute(text("INSERT INTO notes VALUES ('other process')"))
    thread, _, errors = writer_thread(engine, "this process")
    thread.join(0.05)
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(WAIT)
    other.dispose()
    assert not thread.is_alive() and errors == []


def test_waiting_too_long_for_the_turn_is_sqlite_busy_error(engine: Any, database: Path) -> None:
    holder = Holder()
    blocking = WriterQueue(str(database))
    blocking.take_turn(holder)
    try:
        connection = engine.connect()
        connection.connection.dbapi_connection.writer_queue.timeout = 0.01
        with pytest.raises(OperationalError, match="database is locked"):
            connection.begin()
        connection.close()
    finally:
        blocking.end_turn(holder)
    assert queue_is_free(database)


def test_the_turn_ends_when_its_holder_is_collected(database: Path) -> None:
    queue = WriterQueue(str(database))
    holder = Holder()
    queue.take_turn(holder)
    del holder
    gc.collect()
    assert queue_is_free(database)


def test_ending_a_turn_one_does_not_hold_changes_nothing(database: Path) -> None:
    queue = WriterQueue(str(database))
    holder = Holder()
    queue.take_turn(holder)
    queue.end_turn(Holder())
    assert not queue_is_free(database)
    queue.end_turn(holder)
    assert queue_is_free(database)


def _take_turns_in_child(queue: WriterQueue, parent_done: Any, answers: Any) -> None:
    for timeout in (0, WAIT):
        holder = Holder()
        try:
            queue.take_turn(holder, timeout=timeout)
            answers.put("took the turn")
            queue.end_turn(holder)
        except WriterTimeout:
            answers.put("waited")
        parent_done.wait(WAIT)


def test_a_forked_worker_shares_neither_its_parents_turn_nor_its_lock_on_the_file(database: Path) -> None:
    queue = WriterQueue(str(database))
    holder = Holder()
    queue.take_turn(holder)
    context = multiprocessing.get_context("fork")
    parent_done, answers = context.Event(), context.Queue()
    child = context.Process(target=_take_turns_in_child, args=(queue, parent_done, answers))
    child.start()
    try:
        # An inherited descriptor would share the parent's lock on the file: the child would write beside it.
        assert answers.get(timeout=WAIT) == "waited"
        queue.end_turn(holder)
        parent_done.set()
        # A copy of the parent's held thread lock would never be released in the child.
        assert answers.get(timeout=WAIT) == "took the turn"
    finally:
        parent_done.set()
        child.join(WAIT)


def test_closing_a_connection_mid_transaction_ends_its_turn(engine: Any, database: Path) -> None:
    connection = engine.connect()
    connection.begin()
    connection.execute(text("INSERT INTO notes VALUES ('lost')"))
    connection.invalidate()  # closes the driver's connection
    assert queue_is_free(database)
    connection.close()


def test_a_connection_collected_mid_transaction_ends_its_turn(database: Path) -> None:
    queue = WriterQueue(str(database))
    raw = sqlite3.connect(database, factory=QueuedConnection, isolation_level=None)
    raw.writer_queue = queue
    assert queue.take_turn(raw)
    raw.execute("BEGIN IMMEDIATE")
    del raw
    gc.collect()
    assert queue_is_free(database)


def test_the_lock_file_has_the_databases_permissions(engine: Any, database: Path) -> None:
    lock_file = Path(f"{database}-writer.lock")
    lock_file.unlink()
    database.chmod(0o640)
    fresh = create_database_engine(f"sqlite:///{database}")
    with fresh.begin() as connection:
        connection.execute(text("INSERT INTO notes VALUES ('x')"))
    fresh.dispose()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o640 & ~umask


def test_a_relative_database_path_locks_beside_the_database_whatever_the_directory(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    relative = create_database_engine("sqlite:///relative.sqlite3")
    monkeypatch.chdir(tmp_path.parent)
    with relative.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    relative.dispose()
    assert (tmp_path / "relative.sqlite3-writer.lock").exists()


def test_writes_go_on_without_the_queue_when_the_lock_file_cannot_be_used(
    database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Path(f"{database}-writer.lock").mkdir()  # a directory cannot be opened for writing
    engine = create_database_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('still written')"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT body FROM notes")).scalars().all() == ["still written"]
    engine.dispose()
    assert "wait in its busy handler" in caplog.text


def test_a_uri_database_keeps_sqlites_busy_handler_alone(database: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = create_database_engine(f"sqlite:///file:{database}?uri=true")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    engine.dispose()
    assert database.exists() and not Path(f"{database}-writer.lock").exists()
    assert "busy handler" not in caplog.text  # not even tried
