"""The steps of a load, the one error an unexpected exception in any of them becomes, and what a load that
stops undoes (`LoadState`).

An exception's text can quote the data (a KeyError names a value, a pandas error a cell), so users get the
step, the file and the exception's class only; the traceback goes to the server log.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path

import pandas as pd

from dashboard import cuts
from dashboard.ingest.findings import Finding, IngestError, Severity

STEPS = ("discover", "read", "type", "check", "seal", "encode", "identify", "write", "audit", "activate")
LOG = logging.getLogger("dashboard.ingest")


class LoaderStepError(IngestError):
    """An unexpected exception in one step of a load: one error naming the step and the file, if any."""

    def __init__(self, step: str, file: str | None, error: BaseException):
        self.step, self.file, self.error_class = step, file or None, type(error).__name__
        where = f" on {file}" if file else ""
        message = f"loader step '{step}' failed{where}: {self.error_class}"
        super().__init__([Finding(Severity.ERROR, file or "", f"loader step '{step}' failed: {self.error_class}",
                                  kind="loader fault")], f"{message}; nothing was loaded")


@contextlib.contextmanager
def step(name: str, file: str | None = None) -> Iterator[None]:
    """Turn an unexpected exception inside the block into a LoaderStepError for step `name` and `file`.

    IngestError (findings) and CutError (says what happened to cuts) are meant for users and pass unchanged,
    as does an inner LoaderStepError.
    """
    try:
        yield
    except (IngestError, cuts.CutError):
        raise
    except Exception as exc:
        LOG.error("loader step %r failed on %s", name, file or "(no single file)", exc_info=exc)
        raise LoaderStepError(name, file, exc) from exc


_UNKNOWN = object()     # the active cut before a load, until it has been read


class LoadState:
    """A load in progress: the step it is in, and what to undo and record when it stops before the end."""

    def __init__(self, folder: Path, cut_date: str, loaded_by: str, root: Path | None,
                 record: Callable[..., None]):
        self.folder, self.cut_date, self.loaded_by, self.root, self.record = folder, cut_date, loaded_by, root, record
        self.step = STEPS[0]
        self.pending: list[Future] = []      # encodings started, dropped if the load stops
        self.cut_id: str | None = None
        self.written: Path | None = None     # the new cut's folder, once written
        self.marked = False                  # whether this load wrote the cut's pending marker
        self.previous: object = _UNKNOWN     # the active cut before the load

    def at(self, name: str, file: str | None = None) -> contextlib.AbstractContextManager[None]:
        """Enter step `name` (on `file`): an unexpected exception in it becomes one LoaderStepError."""
        self.step = name
        return step(name, file)

    def refused(self, cut_id: str | None, **detail: object) -> None:
        """Record a refusal (cut_rejected); a trail that cannot take it is logged, the refusal still raised."""
        try:
            self.record("cut_rejected", username=self.loaded_by, cut_id=cut_id,
                        detail={"cut_date": self.cut_date, "source": str(self.folder), **detail})
        except Exception:
            LOG.error("the refusal of a load could not be recorded in the audit trail", exc_info=True)

    def write_audited(self, manifest: cuts.CutManifest, clinical: Mapping[str, cuts.Encoded],
                      sealed: Mapping[str, cuts.Encoded], warnings: pd.DataFrame, detail: dict[str, object]) -> None:
        """Write the cut and audit it as one step: a `cut_load_pending` row first, a marker beside the cut while it
        is written, then the `cut_load` row (completed) and the marker removed. A loader killed in between leaves a
        cut that `cuts list` shows as incomplete, that is never served, and that the next load of it replaces."""
        assert self.cut_id is not None
        with self.at("audit"):
            self.record("cut_load_pending", username=self.loaded_by, cut_id=self.cut_id,
                        detail={**detail, "status": "pending"})
        with self.at("write"):
            if cuts.load_interrupted(self.cut_id, self.root):
                self.replace_interrupted()
            self.marked = True
            cuts.mark_pending(self.cut_id, self.root)
            self.written = cuts.write_snapshot(manifest, clinical, sealed, warnings, self.root)
        with self.at("audit"):
            self.record("cut_load", username=self.loaded_by, cut_id=self.cut_id,
                        detail={**detail, "status": "completed"})
        with self.at("write"):
            cuts.clear_pending(self.cut_id, self.root)

    def replace_interrupted(self) -> None:
        """Remove the folder an interrupted load of this cut left (never served, never audited as loaded); the
        removal is recorded first."""
        assert self.cut_id is not None
        self.record("cut_load_interrupted", username=self.loaded_by, cut_id=self.cut_id,
                    detail={"cut_date": self.cut_date, "status": "removed before loading it again",
                            "source": str(self.folder)})
        shutil.rmtree(cuts.cuts_dir(self.root) / self.cut_id)
        cuts.clear_pending(self.cut_id, self.root)

    def undo(self, remove_leftovers: Callable[[Path | None], None]) -> None:
        """Drop pending encodings, the written cut and staging folders (`remove_leftovers`); put the active
        pointer back."""
        for future in self.pending:        # one already running finishes unused
            future.cancel()
        try:
            if self.written is not None:
                shutil.rmtree(self.written, ignore_errors=True)
            if self.marked and self.cut_id is not None:
                cuts.clear_pending(self.cut_id, self.root)
            remove_leftovers(self.root)
            if self.previous is not _UNKNOWN and cuts.active_cut_id(self.root) != self.previous:
                if self.previous is None:
                    cuts.deactivate(self.root)
                else:
                    cuts.activate(str(self.previous), self.root)
        except Exception:
            LOG.error("a stopped load could not be undone completely", exc_info=True)
