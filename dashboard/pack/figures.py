"""Pack figures as vector SVG through one long-lived Kaleido (Chromium) session per process.

Starting Chromium costs 2-5 s on this machine and the stock Kaleido reloads plotly.js (~4 MB) in its tab after every
figure (~0.25 s each). The session here is started once (in the background, while the displays are computed), keeps
its tab loaded for all the figures of a batch, reloads it once after the batch, and is shared by every build of the
process (the app's background builds, both packs of a command-line build). Identical figures are drawn once: the
SVG of a figure is kept in memory by the SHA-256 of the figure's JSON and size, so only a caller that already holds
the same figure can get its drawing (nothing is written to disk, nothing is shared between processes).
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import logging
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)
BATCH_TIMEOUT_S = 180          # a whole batch; Kaleido's own limit per figure is 90 s
CACHE_SIZE = 256               # SVGs kept by figure checksum (a pack has about 25 figures)
IDLE_S = 900                   # an unused Chromium is closed after this long (a server keeps no idle browser)
TABS = 2                       # Chromium tabs drawing a batch together: measured 3.4 s against 4.4 s for 33 figures (load 3-5)


def chromium_path() -> str | None:
    """The Chromium Kaleido drives: $BROWSER_PATH, else the system's (nothing is downloaded at run time)."""
    return os.environ.get("BROWSER_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


def figure_json(figure: Any) -> str:
    """The figure as plotly JSON with sorted keys: what is drawn, and what the leak tests compare."""
    import plotly.io as pio

    plain = figure if isinstance(figure, dict) else figure.to_plotly_json()
    return json.dumps(json.loads(pio.to_json(plain, validate=False)), sort_keys=True)


def _batch_kaleido() -> Any:
    """A Kaleido whose tab stays loaded between the figures of a batch (reloaded by `refresh` after it).

    Overrides `_return_kaleido_tab` of kaleido 1.5.0 (pinned in requirements.txt); with another version that lacks
    it, the stock per-figure reload stays (slower, same drawings)."""
    import kaleido

    class BatchKaleido(kaleido.Kaleido):
        async def _return_kaleido_tab(self, tab: Any) -> None:   # plotly.js purges each figure's own div
            await self.tabs_ready.put(tab)

        async def refresh(self) -> None:
            """Reload every tab once (the stock Kaleido does it after each figure)."""
            tabs = [await self.tabs_ready.get() for _ in range(self._total_tabs)]
            for tab in tabs:
                await tab.reload()
                await self.tabs_ready.put(tab)

    if not hasattr(kaleido.Kaleido, "_return_kaleido_tab"):
        log.warning("kaleido %s has no _return_kaleido_tab: figures reload plotly.js each", kaleido.__version__)
        return kaleido.Kaleido
    return BatchKaleido


class FigureSession:
    """One Chromium (one Kaleido tab) on an event loop of its own thread; batches may come from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Future[Any] | None = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._idle: threading.Timer | None = None

    def _touch(self) -> None:
        """(Re)arm the idle timer: the session closes IDLE_S after its last use."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = threading.Timer(IDLE_S, self.stop)
        self._idle.daemon = True
        self._idle.start()

    def start(self) -> None:
        """Start Chromium in the background (returns at once); a no-op while a session is up."""
        with self._lock:
            self._touch()
            if self._kaleido is not None:
                return
            path = chromium_path()
            if not path:
                raise RuntimeError("no Chromium to draw the figures: install Debian's chromium or set BROWSER_PATH")
            os.environ.setdefault("BROWSER_PATH", path)     # read by choreographer when Kaleido starts Chromium
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="pack-kaleido", daemon=True).start()
            self._loop = loop
            self._kaleido = asyncio.run_coroutine_threadsafe(self._open(), loop)

    async def _open(self) -> Any:
        # no MathJax: the stock page would fetch it from a CDN on every load; the pack has no LaTeX
        k = _batch_kaleido()(n=TABS, mathjax=False)
        await k.open()
        return k

    def svgs(self, figures: Sequence[tuple[Any, dict[str, int]]]) -> list[bytes]:
        """SVG of each (figure, size) in order; drawn once per distinct figure; one retry on a fresh Chromium."""
        keys = [hashlib.sha256((figure_json(f) + json.dumps(size, sort_keys=True)).encode()).hexdigest()
                for f, size in figures]
        with self._lock:
            todo: dict[str, Any] = {k: fs for k, fs in zip(keys, figures) if k not in self._cache}
            cached = {k: self._cache[k] for k in keys if k not in todo}
        if todo:
            try:
                drawn = self._draw(list(todo.values()))
            except Exception:   # noqa: BLE001 - a crashed or stale Chromium: start a new one once
                log.warning("pack figures: Chromium session failed, starting a new one", exc_info=True)
                self.stop()
                drawn = self._draw(list(todo.values()))
            todo = dict(zip(todo, drawn))
            self._remember(todo)
        return [todo[k] if k in todo else cached[k] for k in keys]

    def _draw(self, figures: list[tuple[Any, dict[str, int]]]) -> list[bytes]:
        self.start()
        assert self._loop is not None and self._kaleido is not None

        async def batch() -> list[bytes]:
            k = self._kaleido.result()       # type: ignore[union-attr] - already resolved or raises
            try:
                return list(await asyncio.gather(*[k.calc_fig(f, opts={"format": "svg", **size})
                                                   for f, size in figures]))
            finally:
                if hasattr(k, "refresh"):
                    await k.refresh()

        self._kaleido.result(timeout=BATCH_TIMEOUT_S)
        return asyncio.run_coroutine_threadsafe(batch(), self._loop).result(timeout=BATCH_TIMEOUT_S)

    def _remember(self, drawn: dict[str, bytes]) -> None:
        with self._lock:
            self._touch()
            self._cache.update(drawn)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def stop(self) -> None:
        """Close Chromium and the loop (a later batch starts a new session)."""
        with self._lock:
            loop, started, self._loop, self._kaleido = self._loop, self._kaleido, None, None
            if self._idle is not None:
                self._idle.cancel()
        if loop is None or started is None:
            return

        async def close() -> None:
            try:
                k = await asyncio.wrap_future(started)     # a session still starting is closed once up
            except Exception:   # noqa: BLE001 - it never came up: nothing to close
                return
            await k.close()

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=30)
        except Exception:   # noqa: BLE001 - closing a broken browser may fail; the loop goes anyway
            log.warning("pack figures: closing Chromium failed", exc_info=True)
        loop.call_soon_threadsafe(loop.stop)


SESSION = FigureSession()
atexit.register(SESSION.stop)
