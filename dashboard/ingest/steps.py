"""The steps of a load, and the one error an unexpected exception in any of them becomes.

An exception's text can quote the data (a KeyError names a value, a pandas error a cell), so users get the
step, the file and the exception's class only; the traceback goes to the server log.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from dashboard.cuts import CutError
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
    except (IngestError, CutError):
        raise
    except Exception as exc:
        LOG.error("loader step %r failed on %s", name, file or "(no single file)", exc_info=exc)
        raise LoaderStepError(name, file, exc) from exc
