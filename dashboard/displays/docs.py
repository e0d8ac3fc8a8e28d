"""docs/displays.md, generated from the display catalogue: for each page, each display with its four pieces (analysis
functions, figure or table builder, component ids, and the view whose callback fills them).

`python -m dashboard displays docs` (or `make docs`) writes it; `--check` exits 1 when the file is stale, and
`tests/unit/test_displays_doc.py` fails then too, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dashboard.config import PROJECT_ROOT
from dashboard.displays.model import Display, Form, View

DOC_PATH = PROJECT_ROOT / "docs" / "displays.md"
HEADER = """# Displays: the catalogue, page by page

Generated from `dashboard/displays/` by `make docs` (`python -m dashboard displays docs`); do not edit by hand,
`tests/unit/test_displays_doc.py` fails when this file is stale. How the pieces fit: `docs/architecture.md`.

Each row is one display (a table, figure, listing, tile group, note or control choice). **Forms**: *pooled* is served
to every role that may open the page, *by arm* only to roles that see arms (coded for the board until it unmasks).
**View** is the audit trail's view name and the function `callbacks/views.py` registers as its one callback;
**Component ids** are the `id.property` pairs that callback fills. Readiness badges count missing values in
**Fields**.
"""
COLUMNS = ("Display", "Title", "Kind", "Forms", "Domains", "Fields", "Analysis", "Builder", "Component ids", "View")


def qualified(fn: Callable[..., Any] | None) -> str:
    """`module.function` of a callable, as a newcomer would search for it."""
    if fn is None:
        return ""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{getattr(fn, '__module__', '')}.{name}".lstrip(".")


def forms_text(display: Display) -> str:
    """'pooled', 'by arm' or 'pooled + by arm'."""
    return " + ".join(form.value for form in (Form.POOLED, Form.BY_ARM) if form in display.forms)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def display_row(view: View, display: Display) -> list[str]:
    """One table row: the display and its four pieces."""
    key = f"`{display.key}`" + (f" (tab {display.tab})" if display.tab else "")
    outputs = ", ".join(f"`{out.component_id}.{out.prop}`" for out in display.outputs.values())
    analysis = "<br>".join(f"`{qualified(fn)}`" for fn in display.analysis)
    builder = f"`{qualified(display.builder)}`" if display.builder else ""
    view_text = f"`{view.key}` → `{qualified(view.compute)}`"
    return [key, _cell(display.title), display.kind, forms_text(display), ", ".join(display.domains),
            ", ".join(display.fields), analysis, builder, outputs, view_text]


def page_section(page: str, title: str, views: tuple[View, ...]) -> list[str]:
    """The heading and table of one page."""
    lines = [f"## {title} (`{page}`)", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for view in views:
        for display in view.displays:
            lines.append("| " + " | ".join(display_row(view, display)) + " |")
    return lines + [""]


def render() -> str:
    """The whole of docs/displays.md: one section per page, in navigation order."""
    from dashboard.displays import views
    from dashboard.pages import all_pages

    titles = {p.path: p.title for p in all_pages()}
    order = [p.path for p in all_pages()]
    pages = sorted({v.page for v in views()}, key=lambda p: (order.index(p) if p in order else len(order), p))
    lines = [HEADER]
    for page in pages:
        lines += page_section(page, titles.get(page, page), tuple(v for v in views() if v.page == page))
    return "\n".join(lines).rstrip("\n") + "\n"


def write(path: Path = DOC_PATH) -> bool:
    """Write the file; whether it changed."""
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main_check(path: Path) -> int:
    """1 (and says so) when the file at `path` differs from what the catalogue renders, else 0."""
    stale = not path.exists() or path.read_text(encoding="utf-8") != render()
    print(f"{path} is {'stale: run make docs' if stale else 'up to date'}", file=sys.stderr if stale else sys.stdout)
    return 1 if stale else 0


def _docs_command(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if args.check:
        return main_check(path)
    print(f"{path} {'written' if write(path) else 'already up to date'}")
    return 0


def register(groups: argparse._SubParsersAction) -> None:
    """`python -m dashboard displays docs [--check] [--output PATH]`."""
    displays = groups.add_parser("displays", help="the display catalogue").add_subparsers(dest="action",
                                                                                           required=True)
    docs = displays.add_parser("docs", help="write docs/displays.md from the catalogue")
    docs.add_argument("--output", default=str(DOC_PATH), help="where to write (default: docs/displays.md)")
    docs.add_argument("--check", action="store_true", help="only say whether the file is stale (exit 1 if so)")
    docs.set_defaults(handler=_docs_command)
