"""A small per-process LRU for values derived from the database and keyed by its revisions.

Keys must include :func:`scheduler.services.clinic.revisions`, which the database bumps in the
same transaction as any change: an entry is then exact for as long as its key is current, with no
time-to-live and so no stale answers (the failure of TTL caches, e.g. Cal.com #10818).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable
from typing import Any
from typing import Generic
from typing import TypeVar

from flask import current_app

from scheduler.settings import settings

Value = TypeVar("Value")


class RevisionCache(Generic[Value]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()  # the development server and threaded workers share one

    def get_or_compute(self, key: Hashable, compute: Callable[[], Value]) -> Value:
        if self.size <= 0:
            return compute()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def app_cache(name: str, size: int | None = None) -> RevisionCache[Any]:
    """The named cache of the current app: ``size`` entries, or config ``CACHE_SIZE`` when not
    given (0 switches such a cache off)."""
    caches: dict[str, RevisionCache[Any]] = current_app.extensions.setdefault("scheduler_caches", {})
    if name not in caches:
        caches[name] = RevisionCache(settings().cache_size if size is None else size)
    return caches[name]
