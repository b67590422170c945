"""A queue for SQLite's single writer, so that a waiting writer starts the moment the lock is free.

SQLite lets one transaction write at a time. A writer that finds the lock taken waits in SQLite's busy
handler, which sleeps for growing spans (1, 2, 5 … 25, 50, 100 ms) and looks again: the lock then sits
free while writers sleep, and a click that lost a few times waits a hundred milliseconds for a lock held
a fraction of one. Here a write transaction first takes its turn: threads of one process queue on a lock
that hands over at once, and each process's next writer waits on an advisory `flock` of a file beside the
database, which it asks for every 0.1–1 ms. Only then does it `BEGIN IMMEDIATE`.

The queue never decides correctness: SQLite's own lock still does. A writer that holds no turn (a
transaction that began deferred and then wrote, another program on the same file) is waited for by
SQLite's busy handler as before, and so is every writer when the lock file cannot be used (it is then
logged once). A turn ends when its connection commits, rolls back or closes, and when the connection is
garbage collected unclosed, as SQLite's own lock would; waiting for a turn gives up after the busy
timeout with the same "database is locked" error (a writer may then wait as long again in the busy
handler for a writer that holds no turn).

Known limit: the queue is fair within a process, not between processes. A process whose threads hand
the turn to one another can keep it for a while, since the other process only looks every millisecond
(or later, when its own threads hold the GIL); under sustained writes from both, one worker's clicks
wait longer than the other's. Still far shorter than the busy handler's naps (see README, Performance).
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
import weakref
from typing import Any

log = logging.getLogger(__name__)

#: How long a writer waits for its turn, and then for SQLite's lock (the busy timeout), in seconds.
WRITE_WAIT_SECONDS = 15.0

#: Sleeps between two asks for another process's turn: short, since a write holds it for about a millisecond.
_FIRST_POLL_SECONDS = 0.0001
_LONGEST_POLL_SECONDS = 0.001


class WriterTimeout(Exception):
    """No turn to write within WRITE_WAIT_SECONDS (the caller reports it as SQLite's 'database is locked')."""


class WriterQueue:
    """The turns to write to one SQLite file, for the connections of one engine in this process."""

    def __init__(self, database_path: str) -> None:
        # Absolute, as SQLAlchemy makes the database's own path: a later chdir must not move the lock.
        self.database_path = os.path.abspath(database_path)
        self.lock_path = f"{self.database_path}-writer.lock"
        self.timeout = WRITE_WAIT_SECONDS
        self._file: int | None = None
        self._closer: weakref.finalize | None = None
        self._unusable = False
        self._begin_with_no_turn()
        _queues.add(self)

    def _begin_with_no_turn(self) -> None:
        self._in_process = threading.Lock()
        self._holder: weakref.ref[Any] | None = None

    def forget_in_child(self) -> None:
        """In a child process that inherited a copy of its parent's queue: the descriptor would share the parent's
        lock on the file, and a thread lock copied while held would never be released."""
        if self._file is not None:
            if self._closer is not None:
                self._closer.detach()
            os.close(self._file)
            self._file = None
        self._begin_with_no_turn()

    def take_turn(self, holder: Any, timeout: float | None = None) -> bool:
        """Wait for the turn to write (at most `timeout` seconds, by default the queue's), held for `holder` (a
        connection) until `end_turn(holder)` or until `holder` is garbage collected. False, holding nothing, when
        the lock file cannot be used (SQLite's own lock then orders the writers, as before the queue)."""
        if self._unusable:
            return False
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if not self._in_process.acquire(timeout=timeout):
            raise WriterTimeout(f"no turn to write to {self.database_path} within {timeout:g} s")
        try:
            if not self._lock_file(deadline):
                self._in_process.release()
                return False
            self._holder = weakref.ref(holder, self._holder_collected)
        except BaseException:
            self._release()
            raise
        return True

    def end_turn(self, holder: Any) -> None:
        """End `holder`'s turn; nothing when it holds none."""
        current = self._holder
        if current is None or current() is not holder:
            return
        self._release()

    def _holder_collected(self, reference: weakref.ref[Any]) -> None:
        if self._holder is reference:
            self._release()

    def _release(self) -> None:
        self._holder = None
        try:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._in_process.release()

    def _lock_file(self, deadline: float) -> bool:
        descriptor = self._descriptor()
        if descriptor is None:
            return False
        pause = _FIRST_POLL_SECONDS
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                pass
            except OSError as error:  # a file system without flock, say
                self._give_up(error)
                return False
            if time.monotonic() >= deadline:
                raise WriterTimeout(f"another process held {self.lock_path} too long")
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_POLL_SECONDS)

    def _descriptor(self) -> int | None:
        if self._file is None:
            try:
                self._file = _open_beside(self.database_path, self.lock_path)
            except OSError as error:
                self._give_up(error)
                return None
            self._closer = weakref.finalize(self, os.close, self._file)
        return self._file

    def _give_up(self, error: OSError) -> None:
        self._unusable = True
        log.warning("SQLite's writers of %s wait in its busy handler: cannot lock %s (%s)",
                    self.database_path, self.lock_path, error)


def _open_beside(database_path: str, lock_path: str) -> int:
    """The lock file, made like SQLite makes its -wal and -shm files: with the database's permissions and, for root,
    its owner, so that a command run as root does not lock the app's own user out. flock needs no write access:
    a file that cannot be opened for writing is opened for reading."""
    try:
        database = os.stat(database_path)
    except FileNotFoundError:
        database = None
    mode = database.st_mode & 0o666 if database is not None else 0o644
    try:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode)
    except PermissionError:
        return os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    if database is not None and os.geteuid() == 0:
        os.fchown(descriptor, database.st_uid, database.st_gid)
    return descriptor


_queues: weakref.WeakSet[WriterQueue] = weakref.WeakSet()


def _forget_in_child() -> None:
    for queue in list(_queues):
        queue.forget_in_child()


os.register_at_fork(after_in_child=_forget_in_child)


class QueuedConnection(sqlite3.Connection):
    """A sqlite3 connection that ends its writer's turn when its transaction ends (`writer_queue` is set on connect)."""

    writer_queue: WriterQueue | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()

    def _end_turn(self) -> None:
        if self.writer_queue is not None:
            self.writer_queue.end_turn(self)
