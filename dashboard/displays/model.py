"""What the display catalogue is made of: a `Display` (one table, figure, listing or note) and a `View` (the one
callback that computes the outputs of one or more displays from the same controls).

A display is declared once, next to the code that computes it, with everything the rest of the app needs to know
about it: where it appears, what it reads, whether it exists pooled, by arm or both, which pure functions make it
and which component properties it fills. Pages register views, the meeting pack draws views, the audit trail names
views, the documentation tables and the leak and permission tests walk the catalogue.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dashboard.permissions import Permission


class Form(enum.Enum):
    """A display's two possible forms: pooled (every role that may open the page) or by arm (roles that see arms)."""

    POOLED = "pooled"
    BY_ARM = "by arm"


POOLED_ONLY = frozenset({Form.POOLED})
BY_ARM_ONLY = frozenset({Form.BY_ARM})      # blinded roles get a notice in its place, never a by-arm value
BOTH_FORMS = frozenset({Form.POOLED, Form.BY_ARM})


@dataclass(frozen=True)
class Out:
    """A component property a view fills: `Out("safety-km", "figure")`."""

    component_id: str
    prop: str


@dataclass(frozen=True)
class Control:
    """A component property a view reads: an Input (its change runs the view) or, with `state=True`, a State."""

    component_id: str
    prop: str
    state: bool = False


@dataclass(frozen=True)
class Display:
    """One table, figure, listing or note as a user meets it."""

    key: str                                   # unique, dotted: "safety.ae_overview"
    title: str
    kind: str                                  # figure | table | listing | tiles | note | choice | download | modal
    domains: tuple[str, ...]                   # domains it reads ("DM", "AE", ...; ADaM maps onto them)
    outputs: Mapping[str, Out]                 # output name (as the view's compute returns it) -> property
    forms: frozenset[Form] = BOTH_FORMS
    analysis: tuple[Callable[..., Any], ...] = ()   # the pure analysis functions (pooled, then by arm)
    builder: Callable[..., Any] | None = None  # the figure or table builder
    fields: tuple[str, ...] = ()               # "AE.AESEV": fields whose missing values the readiness badge counts
    tab: str = ""                              # the page's tab it sits on ("" when the page has no tabs)
    in_pack: bool = True                       # drawn in the meeting pack


@dataclass(frozen=True)
class View:
    """One callback: authorize, fetch the user's trial data, `compute(data, **controls)`, return named outputs.

    `compute` returns a dict keyed by output names (those of its displays and `state_outputs`); Dash's dict form
    of outputs makes a misplaced value impossible. Calls by users who see arms are audited as closed views under
    `key` (on by default). Before any cut is loaded, `no_cut(sees_arms)` answers (default: an empty, stamped
    figure, empty grids and a notice, by property). With `tabs`, it computes only while its displays' tab is shown.
    """

    key: str                                   # the audit trail's view name: "safety:overview"
    page: str                                  # the page path
    permission: Permission
    compute: Callable[..., dict[str, Any]]
    displays: tuple[Display, ...]
    controls: Mapping[str, Control] = field(default_factory=dict)
    state_outputs: Mapping[str, Out] = field(default_factory=dict)   # UI state, not data (expanded rows, styles)
    no_cut: Callable[[bool], dict[str, Any]] | None = None
    prevent_initial_call: bool = False
    audited: bool = True                       # a closed view: recorded for users who see arms
    reads_trial_data: bool = True              # False: `compute(**controls)` (cut list, audit trail, users)
    tabs: str = ""                             # id of the page's tabs: compute only while the displays' tab is shown

    def __post_init__(self) -> None:
        if self.tabs and (not self.tab or self.prevent_initial_call):
            raise ValueError(f"view {self.key}: `tabs` needs displays on one tab and a view that runs on page open")

    @property
    def tab(self) -> str:
        """The tab its displays sit on; "" when the page has no tabs or they sit on different tabs."""
        tabs = {display.tab for display in self.displays}
        return tabs.pop() if len(tabs) == 1 else ""

    @property
    def shown_by(self) -> Control | None:
        """The page's tabs value as an input, for a view that computes only while its tab is shown (else None).

        Opening its tab runs it with the controls as they are then (a filter changed on another tab included);
        on any other tab it answers nothing at all: no data read, no computation, no audit row.
        """
        return Control(self.tabs, "active_tab") if self.tabs else None

    @property
    def outputs(self) -> dict[str, Out]:
        """Every output of the view by name: its displays' outputs and its UI-state outputs."""
        merged: dict[str, Out] = {}
        for display in self.displays:
            clash = set(merged) & set(display.outputs)
            if clash:
                raise ValueError(f"view {self.key}: output names used twice: {sorted(clash)}")
            merged.update(display.outputs)
        merged.update(self.state_outputs)
        return merged
