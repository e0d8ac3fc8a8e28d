"""Pack builds outside the request: one background thread per build, its state polled by the Meeting pack page.

A build is keyed by what it produces: the pooled open pack of a cut (one for everybody, whoever asked) or a user's
closed pack. While a key is being built, a second request for it joins the running build instead of starting
another. A build writes into a fresh folder next to its target and replaces the target only when finished, so a
download never gets half a pack. A failure is kept as a message for the user (the traceback goes to the log).
The state lives in this process (a second server process sees the finished files, not the running build).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import cuts

log = logging.getLogger(__name__)
RECORD = "built.json"           # next to the PDF: access, cut, who built it and when; present only once finished
FAILED = "The pack could not be built; the error is in the server log."


@dataclass
class Job:
    """One build: what, for which cut, asked by whom; its state ('running', 'done', 'failed') and message."""

    key: tuple[str, ...]
    kind: str
    cut_id: str
    user: str
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    state: str = "running"
    message: str = ""
    done: threading.Event = field(default_factory=threading.Event, repr=False)


class Jobs:
    """The builds of this process, by key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, ...], Job] = {}

    def get(self, key: tuple[str, ...]) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def start(self, job: Job, work: Callable[[], None], *, inline: bool = False) -> tuple[Job, bool]:
        """Run `work` in a background thread (in this one when `inline`) unless the same key is running:
        (the job, whether it started now)."""
        with self._lock:
            running = self._jobs.get(job.key)
            if running is not None and running.state == "running":
                return running, False
            self._jobs[job.key] = job
        if inline:
            self._run(job, work)
        else:
            threading.Thread(target=self._run, args=(job, work), name=f"pack-{job.kind}", daemon=True).start()
        return job, True

    @staticmethod
    def _run(job: Job, work: Callable[[], None]) -> None:
        try:
            work()
            job.state = "done"
        except cuts.CutError as exc:
            job.state, job.message = "failed", f"The pack could not be built: {cuts.refusal_reason(exc)}."
        except Exception:   # noqa: BLE001 - no Chromium, a full disk...: logged, never shown raw
            log.exception("pack build failed: %s", job.key)
            job.state, job.message = "failed", FAILED
        finally:
            job.done.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for every build started so far (for tests and an orderly shutdown); False on timeout."""
        with self._lock:
            running = list(self._jobs.values())
        return all(job.done.wait(timeout) for job in running)


JOBS = Jobs()


def replace_folder(built: Path, target: Path) -> None:
    """Put a finished build in place of the previous one (each is a folder; the swap is two renames)."""
    old = target.with_name(f".{target.name}-old-{uuid.uuid4().hex}")
    if target.exists():
        os.replace(target, old)
    os.replace(built, target)
    shutil.rmtree(old, ignore_errors=True)


def staging_folder(target: Path) -> Path:
    """A fresh private folder next to `target` for a build to write into."""
    folder = target.with_name(f".{target.name}-building-{uuid.uuid4().hex}")
    folder.mkdir(mode=0o700, parents=False)
    folder.chmod(0o700)
    return folder


def write_record(folder: Path, **facts: str) -> None:
    """The finished build's facts, written last: a folder without it holds no pack."""
    (folder / RECORD).write_text(json.dumps(facts), encoding="utf-8")


def read_record(folder: Path) -> dict[str, str] | None:
    """The facts of the pack in `folder`, or None when there is no finished pack."""
    try:
        facts = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return facts if isinstance(facts, dict) and {"access", "cut_id", "cut_date"} <= facts.keys() else None
