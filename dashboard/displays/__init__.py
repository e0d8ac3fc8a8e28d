"""The display catalogue: every table and figure of the app, declared once (see `model.py`).

Each page declares its views in its own module (`dashboard/displays/<page>...`), next to the code that computes
them; `views()` and `displays()` gather them in page order. Nothing here reads data.
"""

from __future__ import annotations

import importlib
from functools import cache

from dashboard.displays.model import (BOTH_FORMS, BY_ARM_ONLY, POOLED_ONLY, Control, Display, Form, Out,  # noqa: F401
                                      View)

# Modules that declare `VIEWS: tuple[View, ...]`, in page order.
PAGE_MODULES = (
    "dashboard.displays.recruitment",
    "dashboard.displays.safety",
    "dashboard.displays.outcomes",
    "dashboard.displays.monitoring",
    "dashboard.displays.meetings",
    "dashboard.displays.other_pages",
)


@cache
def views() -> tuple[View, ...]:
    """Every view of the app, in page order; keys and display keys are unique (checked here)."""
    found: list[View] = []
    for name in PAGE_MODULES:
        found.extend(importlib.import_module(name).VIEWS)
    _check_unique([v.key for v in found], "view")
    _check_unique([d.key for v in found for d in v.displays], "display")
    return tuple(found)


def displays() -> tuple[Display, ...]:
    """Every display of the app, in page order."""
    return tuple(d for v in views() for d in v.displays)


def views_on(page: str) -> tuple[View, ...]:
    return tuple(v for v in views() if v.page == page)


def view_of(display_key: str) -> View:
    """The view that computes a display (KeyError for an unknown key)."""
    for view in views():
        if any(d.key == display_key for d in view.displays):
            return view
    raise KeyError(display_key)


def _check_unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    twice = {k for k in keys if k in seen or seen.add(k)}
    if twice:
        raise ValueError(f"{what} keys declared twice: {sorted(twice)}")
