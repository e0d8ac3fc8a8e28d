"""The pack's Chromium session for real: vector SVG with the figure's text, several figures in one batch on one
loaded tab, and a session closed (as after IDLE_S) starts again for the next batch."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard.pack import figures

pytestmark = pytest.mark.skipif(not figures.chromium_path(), reason="needs the system Chromium")


def test_a_batch_draws_vector_svg_and_a_stopped_session_starts_again():
    session = figures.FigureSession()
    try:
        batch = [(go.Figure(go.Bar(x=["alpha", "beta"], y=[i, 2])), {"width": 500, "height": 300}) for i in (1, 3)]
        first = session.svgs(batch)
        assert all(svg.startswith(b"<svg") and b"alpha" in svg for svg in first)
        assert first[0] != first[1]
        session.stop()
        [again] = session.svgs([(go.Figure(go.Bar(x=["gamma"], y=[1])), {"width": 500, "height": 300})])
        assert again.startswith(b"<svg") and b"gamma" in again
    finally:
        session.stop()
