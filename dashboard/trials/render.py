"""A drafted configuration as TOML text, each value with the comment that says where it came from."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

GUESSED = "guessed: "


@dataclass(frozen=True)
class Field:
    """One key: its value (None: left out, the note says why) and a note ("guessed: ..." or "from TS TITLE")."""

    key: str
    value: object
    note: str = ""

    @property
    def guessed(self) -> bool:
        """Whether the value was inferred from the data (to be reviewed)."""
        return self.note.startswith(GUESSED)


def guessed(key: str, value: object, why: str) -> Field:
    """A value inferred from the data, to be reviewed."""
    return Field(key, value, GUESSED + why)


@dataclass(frozen=True)
class Section:
    """A TOML table ([name]) or one element of an array of tables ([[name]])."""

    name: str
    fields: tuple[Field, ...]
    array: bool = False
    comment: tuple[str, ...] = ()          # lines written above the header
    commented_out: bool = False            # a suggestion: every line written as a comment

    def get(self, key: str) -> object:
        """The value of a key (None when absent or left out)."""
        return next((f.value for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class Draft:
    """A whole drafted configuration."""

    header: tuple[str, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, name: str) -> Section | None:
        """The first active section of that name."""
        return next((s for s in self.sections if s.name == name and not s.commented_out), None)

    def all(self, name: str) -> list[Section]:
        """Every active section of that name (the elements of an array of tables)."""
        return [s for s in self.sections if s.name == name and not s.commented_out]

    @property
    def guessed_count(self) -> int:
        """How many active values are guesses to review."""
        return sum(f.guessed for s in self.sections if not s.commented_out for f in s.fields)


def toml_value(value: object) -> str:
    """A value in TOML syntax (strings as basic strings, JSON escapes being valid TOML escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return json.dumps(value.isoformat())
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _field_line(item: Field) -> str:
    """`key = value  # note`, or a comment saying why a key is left out."""
    if item.value is None:
        return f"# {item.key}: not set; {item.note}" if item.note else f"# {item.key}: not set"
    return f"{item.key} = {toml_value(item.value)}" + (f"  # {item.note}" if item.note else "")


def render_section(section: Section) -> list[str]:
    """The lines of one section: comments, header, one line per key."""
    lines = [f"# {c}" if c else "#" for c in section.comment]
    body = [f"[[{section.name}]]" if section.array else f"[{section.name}]"]
    body += [_field_line(f) for f in section.fields]
    lines += [f"# {line}" for line in body] if section.commented_out else body
    return lines


def render(draft: Draft) -> str:
    """The whole configuration as TOML text."""
    lines = [f"# {h}" if h else "#" for h in draft.header]
    for section in draft.sections:
        lines.append("")
        lines += render_section(section)
    return "\n".join(lines) + "\n"


def sections(name: str, rows: Sequence[Sequence[Field]], comment: tuple[str, ...] = ()) -> list[Section]:
    """An array of tables, the comment above its first element."""
    return [Section(name, tuple(row), array=True, comment=comment if i == 0 else ()) for i, row in enumerate(rows)]
