"""Build one pack (open or closed) of one cut into a folder: the PDF and, next to it, tables/<display>.csv."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask

from dashboard import audit, blinding, cuts
from dashboard.blinding import Access, TrialData
from dashboard.config import TrialConfig
from dashboard.exports import stamped_csv
from dashboard.pack import content, outline, render
from dashboard.pack.content import Display
from dashboard.pack.figures import SESSION, figure_json


@dataclass(frozen=True)
class BuiltPack:
    """Where a pack was written and the checksums that identify it."""

    kind: str               # "open" or "closed"
    pdf: Path
    tables: Path
    content_checksum: str   # SHA-256 over the tables as data (name and bytes, in name order)
    file_checksum: str      # SHA-256 of the PDF file
    # (display name, figure JSON, SVG) of each figure: the data behind the drawings, for the leak tests
    figures: tuple[tuple[str, str, str], ...] = ()


def pack_kind(access: Access) -> str:
    return "closed" if access.sees_arms else "open"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def _app_context(config: TrialConfig, root: Path | None) -> Iterator[None]:
    """The page helpers read the data root from the Flask app; outside a request give them a minimal one."""
    if flask.has_app_context():
        yield
        return
    app = flask.Flask("dashboard.pack")
    app.config.update(DSMB_DATA_ROOT=root, DSMB_TRIAL=config)
    with app.app_context():
        yield


def _previous(cut_id: str, previous_id: str | None, access: Access, config: TrialConfig,
              root: Path | None) -> tuple[TrialData | None, str | None]:
    """The cut to compare with (given, else the one before); one that fails its checks is named, not hidden."""
    try:
        previous_id = previous_id or cuts.previous_cut_id(cut_id, root)
        return (blinding.trial_data(previous_id, access, config, root) if previous_id else None), None
    except (cuts.CutError, OSError) as exc:
        return None, f"The previous cut cannot be read, so no changes are shown: {cuts.refusal_reason(exc)}."


def _write_tables(displays: Sequence[Display], folder: Path, data: TrialData) -> tuple[list[str], str]:
    """Each display's table as stamped, formula-safe CSV; the content checksum over all of them."""
    folder.mkdir(parents=True, exist_ok=True)
    names, digest = [], hashlib.sha256()
    for d in displays:
        name = content.csv_name(d)
        names.append(name)
        if d.table is None:
            continue
        text = stamped_csv(d.table, study_id=data.config.study_id, cut_date=data.cut.cut_date,
                           sees_arms=data.access.sees_arms, title=d.title)
        (folder / name).write_text(text, encoding="utf-8")
        digest.update(name.encode() + b"\0" + text.encode("utf-8") + b"\0")
    return names, digest.hexdigest()


def collect(cut_id: str, access: Access, config: TrialConfig, root: Path | None,
            previous_id: str | None = None, database_url: str | None = None) -> tuple[TrialData, list[Display], str]:
    """The trial data at `access` and the displays of the pack (with the previous cut's id, '' when none): the
    pages' displays (content.py) with the outline's further parts in their sections (outline.py)."""
    with _app_context(config, root):
        data = blinding.trial_data(cut_id, access, config, root)
        previous, problem = _previous(cut_id, previous_id, access, config, root)
        shown = outline.merged(content.displays(data, previous, problem), outline.extra_displays(data, database_url))
    return data, shown, previous.cut.cut_id if previous is not None else ""


def build_all(cut_id: str, packs: Sequence[tuple[Access, Path]], *, config: TrialConfig, root: Path | None,
              user: str, previous_id: str | None = None, database_url: str | None = None,
              timings: dict[str, float] | None = None) -> list[BuiltPack]:
    """Write `<folder>/<kind>.pdf` and `<folder>/tables/` for each (access, folder), the figures of all of them
    drawn in one batch of the process's Chromium session; each build is an audit event (its checksum is closed
    detail when closed). `timings`, when given, receives the seconds of each stage (for the benchmark)."""
    clock = _Clock(timings)
    SESSION.start()             # Chromium starts while the displays are computed
    prepared = [(access, folder, *collect(cut_id, access, config, root, previous_id, database_url))
                for access, folder in packs]
    clock.tick("displays")
    figures = [d for *_, shown, _ in prepared for d in shown if d.figure is not None]
    rendered = iter(render.figure_svgs(figures))
    clock.tick("figures")
    built = []
    for access, folder, data, shown, previous in prepared:
        svgs: list[Any] = [next(rendered) if d.figure is not None else None for d in shown]
        built.append(_write_pack(access, folder, data, shown, previous, svgs, user=user, database_url=database_url))
    clock.tick("typeset")
    return built


def _write_pack(access: Access, folder: Path, data: TrialData, shown: list[Display], previous: str,
                svgs: list[Any], *, user: str, database_url: str | None) -> BuiltPack:
    """Tables, PDF and the audit row of one pack."""
    folder.mkdir(parents=True, exist_ok=True)
    names, checksum = _write_tables(shown, folder / "tables", data)
    meta = render.PackMeta(data.config.study_id, data.config.title, data.cut.cut_id, data.cut.cut_date, checksum,
                           user, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), access.sees_arms,
                           previous)
    pdf = folder / f"{pack_kind(access)}.pdf"
    render.write_pdf(meta, shown, svgs, names, pdf)
    # the build row names the content checksum (the same for the same clinical cut, whenever built); the
    # checksum of a file goes with the event that hands the file over (pack_download, pack_export)
    audit.record("pack_build", username=user, cut_id=data.cut.cut_id, database_url=database_url,
                 detail={"file": pdf.name, "access": access.value, "content_sha256": checksum})
    figures = tuple((d.name, figure_json(d.figure), svg.decode("utf-8"))
                    for d, svg in zip(shown, svgs) if d.figure is not None)
    return BuiltPack(pack_kind(access), pdf, folder / "tables", checksum, sha256_file(pdf), figures)


class _Clock:
    """Seconds per stage into a dict, when one is given."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into, self.last = into, time.perf_counter()

    def tick(self, stage: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[stage] = self.into.get(stage, 0.0) + now - self.last
        self.last = now
