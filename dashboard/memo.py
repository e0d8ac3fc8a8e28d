"""A small per-process cache for analysis results, always keyed by cut id and access level."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from dashboard.blinding import TrialData

T = TypeVar("T")
_MAX_ENTRIES = 256
_entries: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_lock = threading.Lock()


def memoized(data: TrialData, name: str, compute: Callable[[], T], *key: Hashable) -> T:
    """`compute()` once per (cut, access, name, key): a blinded user can never get an armed result."""
    full_key = (data.cut.cut_id, data.access.value, name, *key)
    with _lock:
        if full_key in _entries:
            _entries.move_to_end(full_key)
            return _entries[full_key]
    value = compute()
    with _lock:
        _entries[full_key] = value
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
