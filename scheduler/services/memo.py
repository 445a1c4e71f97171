"""A small per-process LRU for values derived from the database and keyed by its revisions.

Keys must include :func:`scheduler.services.clinic.revisions`, which the database bumps in the
same transaction as any change: an entry is then exact for as long as its key is current, with no
time-to-live and so no stale answers (the failure of TTL caches, e.g. Cal.com #10818).

Caches of rendered answers (text) are bounded in bytes as well as in entries: one 62-day
availability answer is hundreds of kilobytes, so a count alone let 512 of them grow each worker
by hundreds of megabytes.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Generic
from typing import TypeVar

from flask import current_app

from scheduler.settings import settings

Value = TypeVar("Value")

# What an entry costs besides its value: the key (a tuple of a few small values), the ordered
# dict's node and the (value, size) pair. An estimate, on the high side.
ENTRY_OVERHEAD_BYTES = 512
# An answer larger than this share of the budget is returned but not kept: one such entry would
# push out many ordinary ones.
LARGEST_SHARE = 8


def text_size(value: object) -> int:
    """The memory a cached answer holds: its text (str or bytes), plus the entry's overhead."""
    if not isinstance(value, str | bytes):
        raise TypeError(f"a cache bounded in bytes holds text, not {type(value).__name__}")
    return sys.getsizeof(value) + ENTRY_OVERHEAD_BYTES


class RevisionCache(Generic[Value]):
    """At most ``size`` entries, least recently used out first; 0 keeps nothing.

    With ``max_bytes``, also at most that many bytes of entries by ``weigh`` (default
    :func:`text_size`), however large each is: an entry over ``max_bytes / LARGEST_SHARE`` is
    computed and returned but not kept.
    """

    def __init__(self, size: int, max_bytes: int | None = None, weigh: Callable[[Value], int] = text_size) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._entries: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # the development server and threaded workers share one

    @property
    def bytes(self) -> int:
        """The weight of what is kept now (0 for a cache without ``max_bytes``)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def keeps_nothing(self) -> bool:
        return self.size <= 0 or (self.max_bytes is not None and self.max_bytes <= 0)

    def holds(self, key: Hashable) -> bool:
        """Whether an entry is kept for ``key`` now (it may be gone by the time it is asked for)."""
        return key in self._entries

    def get_or_compute(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        if self.keeps_nothing:
            return compute()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        return self.keep(key, compute())

    def keep(self, key: Hashable, value: Value) -> Value:
        """Keep ``value`` for ``key`` (within the bounds) and return it."""
        if self.keeps_nothing:
            return value
        weight = 0
        if self.max_bytes is not None:
            weight = self._weigh(value)
            if weight * LARGEST_SHARE > self.max_bytes:
                return value
        with self._lock:
            replaced = self._entries.pop(key, None)  # another thread computed it meanwhile
            if replaced is not None:
                self._bytes -= replaced[1]
            self._entries[key] = (value, weight)
            self._bytes += weight
            while len(self._entries) > self.size or (self.max_bytes is not None and self._bytes > self.max_bytes):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return value


def app_cache(name: str, size: int | None = None) -> RevisionCache[Any]:
    """The named cache of the current app.

    With ``size``: at most that many entries of any kind of value (the catalog, API tokens).
    Without: a cache of rendered answers (str or bytes), at most config ``CACHE_SIZE`` entries
    and ``CACHE_MAX_BYTES`` bytes (either 0 switches it off).
    """
    caches: dict[str, RevisionCache[Any]] = current_app.extensions.setdefault("scheduler_caches", {})
    if name not in caches:
        if size is None:
            caches[name] = RevisionCache(settings().cache_size, max_bytes=settings().cache_max_bytes)
        else:
            caches[name] = RevisionCache(size)
    return caches[name]


class Throttle:
    """Says yes to a key at most once per ``every`` (per process): a cheap guard in front of
    bookkeeping writes on hot paths (when a token was last used). Keys not seen for ``every``
    are forgotten once more than ``size`` are held, so memory stays bounded."""

    def __init__(self, every: timedelta, size: int = 4096) -> None:
        self.every = every
        self.size = size
        self._last: dict[Hashable, datetime] = {}
        self._lock = threading.Lock()

    def due(self, key: Hashable, now: datetime) -> bool:
        """True (and remembered) when ``key`` was last due ``every`` or more before ``now``."""
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.every:
                return False
            self._last[key] = now
            if len(self._last) > self.size:
                self._last = {k: at for k, at in self._last.items() if now - at < self.every}
            return True


def app_throttle(name: str, every: timedelta) -> Throttle:
    """The named throttle of the current app (each app, and so each test's, has its own)."""
    throttles: dict[str, Throttle] = current_app.extensions.setdefault("scheduler_throttles", {})
    if name not in throttles:
        throttles[name] = Throttle(every)
    return throttles[name]
