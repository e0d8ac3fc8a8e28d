"""Test modules have unique basenames: the test folders are not packages, and pytest refuses to collect the whole
suite when two folders hold a module of the same name (it stops at collection, so no test of either runs)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_module_basename_is_unique():
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    assert not [n for n, count in names.items() if count > 1]
