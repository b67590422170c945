"""Share-link clicks that could not be stored while the database was down: spooled to a file, replayed later.

The spool is a JSON-lines file in the instance folder, one click per line, written with the
same facts a stored click keeps (never the IP, only its keyed hash). Request threads and other
worker processes append under a lock. `flask share replay-spool` moves the file aside under
that lock, stores each click through `record_click` at its own time, committing one by one,
and puts back only what it could not store yet. A click is stored once however often it is
replayed (even after a replay cut off half-way): one already in the database, same link,
visitor and instant, is skipped.
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from share import services
from share.services import ClickFacts

SPOOL_FILE = "share-click-spool.jsonl"
#: The clicks being replayed; left behind by a replay that was cut off, and picked up by the next one.
REPLAYING_FILE = "share-click-spool.replaying.jsonl"
#: Lines that can never be stored (unreadable, or for a link that does not exist), kept for a person to look at.
REJECTED_FILE = "share-click-spool.rejected.jsonl"
LOCK_FILE = "share-click-spool.lock"
REPLAY_LOCK_FILE = "share-click-spool.replay.lock"

#: Threads of one process take this before the file lock (flock is per open file, not per thread).
_thread_lock = threading.Lock()


class SpoolBusy(Exception):
    """Another replay of this spool is running."""


@dataclass(frozen=True)
class SpooledClick:
    #: Random; names this click in the spool and in log lines.
    id: str
    code: str
    visitor_id: str
    at: datetime
    device_class: str
    referrer_host: str
    ip_hash: str

    def to_line(self) -> str:
        return json.dumps({**asdict(self), "at": self.at.isoformat()}, ensure_ascii=False) + "\n"

    @classmethod
    def from_line(cls, line: str) -> SpooledClick:
        """Raises ValueError for a line that is not a spooled click."""
        try:
            data = json.loads(line)
            at = datetime.fromisoformat(data["at"])
            fields = {name: str(data[name]) for name in ("id", "code", "visitor_id", "device_class", "referrer_host", "ip_hash")}
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a spooled click: {error}") from None
        if at.tzinfo is None:
            raise ValueError("not a spooled click: its time has no time zone")
        return cls(at=at, **fields)


def new_spooled_click(code: str, facts: ClickFacts, at: datetime) -> SpooledClick:
    return SpooledClick(
        id=uuid.uuid4().hex, code=code, visitor_id=facts.visitor_id, at=at, device_class=str(facts.device_class),
        referrer_host=facts.referrer_host[:255], ip_hash=facts.ip_hash,
    )


@dataclass(frozen=True)
class Batch:
    clicks: list[SpooledClick]
    #: Lines that could not be read.
    unreadable: list[str]


class ClickSpool:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / SPOOL_FILE
        self.replaying_path = folder / REPLAYING_FILE
        self.rejected_path = folder / REJECTED_FILE

    @contextmanager
    def _locked(self, name: str = LOCK_FILE, *, wait: bool = True) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SpoolBusy("another replay of the click spool is running") from None
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def _append(self, path: Path, lines: list[str]) -> None:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as stream:
            stream.write("".join(lines))
            stream.flush()
            os.fsync(stream.fileno())

    def append(self, click: SpooledClick) -> None:
        """Add one click, on disk before this returns; safe from several threads and processes at once."""
        with _thread_lock, self._locked():
            self._append(self.path, [click.to_line()])

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Held for a whole replay: a second replay at the same time raises SpoolBusy."""
        with self._locked(REPLAY_LOCK_FILE, wait=False):
            yield

    def claim(self) -> Batch:
        """Move the spooled clicks into the batch being replayed (joining what a cut-off replay left) and read it."""
        with _thread_lock, self._locked():
            if self.path.exists():
                if self.replaying_path.exists():
                    self._append(self.replaying_path, [self.path.read_text(encoding="utf-8")])
                    self.path.unlink()
                else:
                    os.replace(self.path, self.replaying_path)
        if not self.replaying_path.exists():
            return Batch([], [])
        clicks: list[SpooledClick] = []
        unreadable: list[str] = []
        for line in self.replaying_path.read_text(encoding="utf-8").splitlines(keepends=True):
            if not line.strip():
                continue
            try:
                clicks.append(SpooledClick.from_line(line))
            except ValueError:
                unreadable.append(line if line.endswith("\n") else line + "\n")
        return Batch(clicks, unreadable)

    def finish(self, *, unfinished: list[SpooledClick], rejected: list[str]) -> None:
        """Put back the clicks not stored yet, set aside the rejected lines, and drop the batch."""
        with _thread_lock, self._locked():
            if unfinished:
                self._append(self.path, [click.to_line() for click in unfinished])
            if rejected:
                self._append(self.rejected_path, rejected)
            self.replaying_path.unlink(missing_ok=True)


class ReplayOutcome(StrEnum):
    RECORDED = "recorded"
    #: Stored by an earlier replay: skipped.
    ALREADY_RECORDED = "already_recorded"
    #: The link now leads nowhere (suspended shop, target gone): like a live click then, it is not counted.
    NOT_COUNTED = "not_counted"
    UNKNOWN_LINK = "unknown_link"


def replay_click(spooled: SpooledClick) -> ReplayOutcome:
    """Store one spooled click and its touch at the click's own time, unless it is stored already. Flushes, never commits."""
    link = services.resolve_link(spooled.code)
    if link is None:
        return ReplayOutcome.UNKNOWN_LINK
    if services.find_click(link, spooled.visitor_id, spooled.at) is not None:
        return ReplayOutcome.ALREADY_RECORDED
    if link.destination is None:
        return ReplayOutcome.NOT_COUNTED
    facts = ClickFacts(
        visitor_id=spooled.visitor_id, referrer_host=spooled.referrer_host, device_class=spooled.device_class,
        ip_hash=spooled.ip_hash, user_id=None,
    )
    services.record_click(link, facts, at=spooled.at)
    return ReplayOutcome.RECORDED
