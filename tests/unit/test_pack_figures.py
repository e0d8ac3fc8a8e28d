"""The pack's figure session: identical figures drawn once, the size part of the key, a failed batch retried once
on a fresh Chromium (without Chromium: the drawing is replaced here)."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard.pack import figures

SIZE = {"width": 400, "height": 300}


def _figure(y):
    return go.Figure(go.Scatter(x=[1, 2, 3], y=y))


@pytest.fixture
def session(monkeypatch):
    """A session whose drawing is recorded instead of done by Chromium."""
    s = figures.FigureSession()
    s.batches = []

    def draw(batch):
        s.batches.append(batch)
        return [f"<svg>{figures.figure_json(f)}|{size['width']}</svg>".encode() for f, size in batch]

    monkeypatch.setattr(s, "_draw", draw)
    yield s
    s.stop()


def test_identical_figures_are_drawn_once_and_the_size_counts(session):
    a, same_as_a, b = _figure([1, 2, 3]), _figure([1, 2, 3]), _figure([3, 2, 1])
    out = session.svgs([(a, SIZE), (b, SIZE), (same_as_a, SIZE), (a, {**SIZE, "width": 800})])
    assert [len(batch) for batch in session.batches] == [3]        # a, b, a wider: one batch, a drawn once
    assert out[0] == out[2] != out[1] and out[3] != out[0]
    again = session.svgs([(b, SIZE)])
    assert again == [out[1]] and len(session.batches) == 1         # from memory, no new batch


def test_figure_json_is_the_same_for_a_figure_and_its_dict():
    figure = _figure([1, 2, 3])
    assert figures.figure_json(figure) == figures.figure_json(figure.to_plotly_json())


def test_a_failed_batch_is_retried_once_on_a_fresh_session(monkeypatch):
    s = figures.FigureSession()
    calls, stops = [], []

    def draw(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            raise RuntimeError("browser gone")
        return [b"<svg/>"] * len(batch)

    monkeypatch.setattr(s, "_draw", draw)
    monkeypatch.setattr(s, "stop", lambda: stops.append(True))
    assert s.svgs([(_figure([1]), SIZE)]) == [b"<svg/>"]
    assert calls == [1, 1] and stops == [True]


def test_a_batch_failing_twice_raises(monkeypatch):
    s = figures.FigureSession()
    monkeypatch.setattr(s, "_draw", lambda batch: (_ for _ in ()).throw(RuntimeError("no browser")))
    monkeypatch.setattr(s, "stop", lambda: None)
    with pytest.raises(RuntimeError, match="no browser"):
        s.svgs([(_figure([1]), SIZE)])
