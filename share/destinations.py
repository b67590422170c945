"""Where each share link led last time, kept per worker process, so that /s/<code> still redirects while the database is down."""
from __future__ import annotations

import threading
from collections import OrderedDict

#: Enough for every link that is being shared right now; older entries make room (least recently used first).
MAX_ENTRIES = 10_000


class DestinationCache:
    """A bounded, thread-safe LRU map of link code -> site path."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._paths: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, code: str, path: str) -> None:
        with self._lock:
            self._paths[code] = path
            self._paths.move_to_end(code)
            while len(self._paths) > self.max_entries:
                self._paths.popitem(last=False)

    def forget(self, code: str) -> None:
        with self._lock:
            self._paths.pop(code, None)

    def find(self, code: str) -> str | None:
        with self._lock:
            path = self._paths.get(code)
            if path is not None:
                self._paths.move_to_end(code)
            return path

    def clear(self) -> None:
        with self._lock:
            self._paths.clear()

    def __len__(self) -> int:
        return len(self._paths)


#: This worker's cache, filled by every successful lookup of a link.
recent_destinations = DestinationCache()
