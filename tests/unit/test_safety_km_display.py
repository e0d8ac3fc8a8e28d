"""Issue 12: Safety's numbers at risk are legible (axis-label size), run to the end of follow-up, the legend never
covers the curves, and the log-rank p-value is nominal and unadjusted, with none below the minimum of events."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import survival as SV
from dashboard.displays.safety.overview import km_days
from dashboard.figures import safety as F
from dashboard.figures.survival import survival_figure

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]


def _tte() -> tuple[pd.DataFrame, pd.Series]:
    ids = [f"S{i:02d}" for i in range(12)]
    arm_of = pd.Series([ARMS[i % 3] for i in range(12)], index=ids, dtype=pd.CategoricalDtype(ARMS))
    time = [20.0, 35.0, 60.0, 90.0, 120.0, 150.0, 170.0, 182.0, 196.0, 203.0, 210.0, 215.0]
    event = [1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0]
    return SV.times_frame(ids, time, event).assign(EVENT=event), arm_of


def _figure(min_events: int = 5):
    tte, arm_of = _tte()
    days = km_days(int(tte["TIME"].max()))
    return survival_figure(SV.by_arm(tte, days, arm_of=arm_of, min_events=min_events), F.KM_STYLE, "stamp"), tte, days


def test_numbers_at_risk_are_a_row_per_arm_at_axis_label_size_to_the_end_of_follow_up():
    fig, tte, days = _figure()
    rows = [t for t in fig.data if t.mode == "text"]
    assert [r.y[0] for r in rows] == ARMS
    tick_size = fig.layout.xaxis.tickfont.size or fig.layout.font.size
    assert all(r.textfont.size == tick_size >= 12 for r in rows)
    assert max(days) >= tte["TIME"].max() and max(rows[0].x) == max(days)
    # reference, plain pandas: subjects with TIME >= day, per arm, at the last day shown
    arm = tte["USUBJID"].map(dict(zip(tte["USUBJID"], [ARMS[i % 3] for i in range(12)])))
    last = int(((tte["TIME"] >= max(days)) & (arm == ARMS[0])).sum())
    assert rows[0].text[-1] == str(last)


def test_legend_sits_below_the_curves_never_on_them():
    fig, _, _ = _figure()
    curve_bottom = fig.layout.yaxis.domain[0]
    legend = fig.layout.legend
    assert legend.yanchor == "top" and legend.y < 0 <= curve_bottom
    assert fig.layout.yaxis2.domain[1] < curve_bottom            # the at-risk table is under the curve panel


def test_logrank_p_is_nominal_and_withheld_below_the_minimum_of_events():
    fig, _, _ = _figure(min_events=3)
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "nominal, unadjusted" in texts and "p = 0.00" not in texts
    few, tte, _ = _figure(min_events=10)
    texts = " ".join(a.text for a in few.layout.annotations)
    assert f"too few events ({int(tte['EVENT'].sum())} < 10)" in texts and "χ²" not in texts
