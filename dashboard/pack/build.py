"""Build one pack (open or closed) of one cut into a folder: the PDF and, next to it, tables/<display>.csv."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import multiprocessing
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

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


def _tables(pack: Collected) -> tuple[list[str], dict[str, str], str]:
    """Each display's CSV name, its table as stamped, formula-safe CSV text, and the content checksum over all."""
    names, texts, digest = [], {}, hashlib.sha256()
    for d in pack.displays:
        name = content.csv_name(d)
        names.append(name)
        if d.table is None:
            continue
        text = texts[name] = stamped_csv(d.table, study_id=pack.study_id, cut_date=pack.cut_date,
                                         sees_arms=pack.access.sees_arms, title=d.title)
        digest.update(name.encode() + b"\0" + text.encode("utf-8") + b"\0")
    return names, texts, digest.hexdigest()


def collect(cut_id: str, access: Access, config: TrialConfig, root: Path | None,
            previous_id: str | None = None, database_url: str | None = None) -> tuple[TrialData, list[Display], str]:
    """The trial data at `access` and the displays of the pack (with the previous cut's id, '' when none): the
    pages' displays (content.py) with the outline's further parts in their sections (outline.py)."""
    with _app_context(config, root):
        data = blinding.trial_data(cut_id, access, config, root)
        previous, problem = _previous(cut_id, previous_id, access, config, root)
        shown = outline.merged(content.displays(data, previous, problem), outline.extra_displays(data, database_url))
    return data, shown, previous.cut.cut_id if previous is not None else ""


@dataclass(frozen=True)
class Collected:
    """One pack's content ready to draw and typeset: the facts of its cut and access, and its displays (figures as
    plain plotly dicts, so that a pack collected in another process comes back as data)."""

    access: Access
    folder: Path
    study_id: str
    title: str
    cut_id: str
    cut_date: str
    displays: list[Display]
    previous: str


def collected(cut_id: str, access: Access, folder: Path, config: TrialConfig, root: Path | None,
              previous_id: str | None = None, database_url: str | None = None) -> Collected:
    """`collect` as data (no TrialData: it stays in the process that loaded it)."""
    data, shown, previous = collect(cut_id, access, config, root, previous_id, database_url)
    plain = [d if d.figure is None or isinstance(d.figure, dict) else replace(d, figure=d.figure.to_plotly_json())
             for d in shown]
    return Collected(access, folder, data.config.study_id, data.config.title, data.cut.cut_id, data.cut.cut_date,
                     plain, previous)


def _second_process(count: int) -> ProcessPoolExecutor | None:
    """A forked process for the packs after the first (None when fork is not available): the second pack is
    collected there while the first is drawn and typeset here (the displays are pure Python and hold the GIL, so
    a thread would not help). The child inherits the loaded modules, the read cut and the memo cache; the
    database pools are dropped in it (dashboard.db registers that at fork)."""
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))


def build_all(cut_id: str, packs: Sequence[tuple[Access, Path]], *, config: TrialConfig, root: Path | None,
              user: str, previous_id: str | None = None, database_url: str | None = None,
              timings: dict[str, float] | None = None, parallel: bool = False) -> list[BuiltPack]:
    """Write `<folder>/<kind>.pdf` and `<folder>/tables/` for each (access, folder); each build is an audit event
    (its checksum is closed detail when closed). `parallel`: once the first pack is collected, the others are
    collected in a forked process while the first is drawn and typeset (for a single-threaded caller such as the
    command line; the app builds in threads and does not fork). A pack's figures are drawn by the process's
    Chromium session as soon as its displays are ready and it is typeset on a thread (Typst releases the GIL)
    while the next pack is drawn. `timings`, when given, receives the seconds of each stage on this thread."""
    clock = _Clock(timings)
    pool = _second_process(len(packs)) if parallel else None
    try:
        if pool is None:
            SESSION.start()         # Chromium starts while the displays are computed
        ready = [collected(cut_id, access, folder, config, root, previous_id, database_url)
                 for access, folder in (packs if pool is None else packs[:1])]
        # forked only now: the child inherits the first pack's memoized work (the closed pack reuses the pooled
        # parts), and this process is still single-threaded (Chromium's thread starts after the fork)
        pending: list[Collected | Future[Collected]] = [
            pool.submit(collected, cut_id, access, folder, config, root, previous_id, database_url)
            for access, folder in packs[1:]] if pool is not None else []
        SESSION.start()
        clock.tick("displays")
        return _draw_and_typeset([*ready, *pending], clock, user=user, database_url=database_url)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


@dataclass(frozen=True)
class _Typeset:
    """A pack drawn and being typeset, not yet written: nothing reaches the disk before every pack is ready."""

    pack: Collected
    tables: dict[str, str]
    checksum: str
    svgs: list[bytes | None]
    pdf: Future[bytes]


def _draw_and_typeset(packs: Sequence[Collected | Future[Collected]], clock: _Clock, *, user: str,
                      database_url: str | None) -> list[BuiltPack]:
    """Draw each pack's figures, then typeset it on a thread while the next one is drawn; once every pack is
    ready (a failing one writes nothing of any), write them and their audit rows in order."""
    done: list[_Typeset] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pack-typeset") as typesetter:
        for item in packs:
            if isinstance(item, Future):
                item = item.result()
                clock.tick("waiting for the second process")
            svgs = render.figure_svgs_by_display(item.displays)
            clock.tick("figures")
            names, tables, checksum = _tables(item)
            meta = render.PackMeta(item.study_id, item.title, item.cut_id, item.cut_date, checksum, user,
                                   dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                                   item.access.sees_arms, item.previous)
            done.append(_Typeset(item, tables, checksum, svgs,
                                 typesetter.submit(render.pdf_bytes, meta, item.displays, svgs, names)))
            clock.tick("tables")
        pdfs = [typeset.pdf.result() for typeset in done]
    clock.tick("typeset")
    return [_write(typeset, pdf, user=user, database_url=database_url) for typeset, pdf in zip(done, pdfs)]


def _write(typeset: _Typeset, pdf_bytes: bytes, *, user: str, database_url: str | None) -> BuiltPack:
    """The tables and the PDF of a pack into its folder, and the audit row of the build."""
    item = typeset.pack
    (item.folder / "tables").mkdir(parents=True, exist_ok=True)
    for name, text in typeset.tables.items():
        (item.folder / "tables" / name).write_text(text, encoding="utf-8")
    pdf = item.folder / f"{pack_kind(item.access)}.pdf"
    pdf.write_bytes(pdf_bytes)
    # the build row names the content checksum (the same for the same clinical cut, whenever built); the
    # checksum of a file goes with the event that hands the file over (pack_download, pack_export)
    audit.record("pack_build", username=user, cut_id=item.cut_id, database_url=database_url,
                 detail={"file": pdf.name, "access": item.access.value, "content_sha256": typeset.checksum})
    figures = tuple((d.name, figure_json(d.figure), svg.decode("utf-8"))
                    for d, svg in zip(item.displays, typeset.svgs) if d.figure is not None and svg is not None)
    return BuiltPack(pack_kind(item.access), pdf, item.folder / "tables", typeset.checksum, sha256_file(pdf),
                     figures)


class _Clock:
    """Seconds per stage into a dict, when one is given."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into, self.last = into, time.perf_counter()

    def tick(self, stage: str) -> None:
        now = time.perf_counter()
        if self.into is not None:
            self.into[stage] = self.into.get(stage, 0.0) + now - self.last
        self.last = now
