"""The demo cuts' coding key, read from the committed export (coding.csv), for tests that need the board's labels:
the trial configuration no longer holds them (docs/security.md, "coding key")."""

from __future__ import annotations

import pandas as pd
from support import DEMO_EXPORTS

from dashboard.config import TrialConfig, load_trial_config

DEMO_CODING = DEMO_EXPORTS / "final" / "coding.csv"


def demo_coding() -> dict[str, str]:
    """Arm code -> coded label, as delivered with the demo's randomization list."""
    key = pd.read_csv(DEMO_CODING, dtype=str, keep_default_na=False)
    return dict(zip(key["ARMCD"], key["CODED_LABEL"], strict=True))


def coded_demo_config() -> TrialConfig:
    """NCT05019287's configuration with the demo key filled in, as armed trial data of a demo cut carries it."""
    return load_trial_config().with_coding(demo_coding())
