"""A small cache for analysis results, held by the trial-data object they were computed from.

`dashboard.blinding.trial_data` gives one object per (cut, access level, configuration, data root), so a
result is never served to another access level, another trial configuration or another installation
in the same process: a blinded user can never get an armed result. `pooled` is the one exception, in one direction:
a result computed from the cut's blinded trial data (so free of allocation by construction) is held there and read
by every access level of the cut, instead of one copy per level.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from dashboard.blinding import TrialData

T = TypeVar("T")
_MAX_ENTRIES = 256                  # per trial-data object (and `blinding` holds at most 16 of those)
_MAX_KEY_ITEMS = 256                # a key with more values (a huge filter) is computed, never kept
_lock = threading.Lock()
_holders: weakref.WeakSet[TrialData] = weakref.WeakSet()


def _entries(data: TrialData) -> OrderedDict[tuple[Hashable, ...], Any]:
    entries = data.__dict__.get("_memo")
    if entries is None:
        entries = data.__dict__["_memo"] = OrderedDict()
        _holders.add(data)
    return entries


def key_items(key: object) -> int:
    """How many values a key holds, counting inside tuples and frozensets."""
    if isinstance(key, (tuple, frozenset)):
        return sum(key_items(part) for part in key)
    return 1


def memoized(data: TrialData, name: str, compute: Callable[[], T], *key: Hashable) -> T:
    """`compute()` once per (trial-data object, name, key); bounded by entries and by the size of each key, so
    what a request sends can never grow a worker (one over `_MAX_KEY_ITEMS` values is computed each time)."""
    full_key = (name, *key)
    if key_items(full_key) > _MAX_KEY_ITEMS:
        return compute()
    with _lock:
        entries = _entries(data)
        if full_key in entries:
            entries.move_to_end(full_key)
            return entries[full_key]
    value = compute()
    with _lock:
        entries[full_key] = value
        while len(entries) > _MAX_ENTRIES:
            entries.popitem(last=False)
    return value


def pooled(data: TrialData, name: str, compute: Callable[[TrialData], T], *key: Hashable) -> T:
    """`compute(blinded)` once per cut for every access level, for results that are the same pooled or by arm
    (readiness, the rows a display starts from): computed from and held by the cut's blinded trial data
    (`data.blinded`), so it cannot hold anything from allocation, and an armed level reuses it instead of keeping
    its own copy. A blinded caller gets the same entries as `memoized` on itself."""
    source = data.blinded
    return memoized(source, name, lambda: compute(source), *key)


def clear() -> None:
    """Forget every cached result (tests)."""
    with _lock:
        for data in list(_holders):
            data.__dict__.get("_memo", {}).clear()
