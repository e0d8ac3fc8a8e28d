"""The steps of a load, the one error an unexpected exception in any of them becomes, and what a load that
stops undoes (`LoadState`).

An exception's text can quote the data (a KeyError names a value, a pandas error a cell), so users get the
step, the file and the exception's class only; the traceback goes to the server log.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

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

    def undo(self, remove_leftovers: Callable[[Path | None], None]) -> None:
        """Drop pending encodings, the written cut and staging folders (`remove_leftovers`); put the active
        pointer back."""
        for future in self.pending:        # one already running finishes unused
            future.cancel()
        try:
            if self.written is not None:
                shutil.rmtree(self.written, ignore_errors=True)
            remove_leftovers(self.root)
            if self.previous is not _UNKNOWN and cuts.active_cut_id(self.root) != self.previous:
                if self.previous is None:
                    cuts.deactivate(self.root)
                else:
                    cuts.activate(str(self.previous), self.root)
        except Exception:
            LOG.error("a stopped load could not be undone completely", exc_info=True)
