"""Synthetic demonstration data: deterministic SDTM exports of a trial at any data-cut date."""

from dashboard.demo.generator import (DEFAULT_SEED, Trajectory, build_trajectory, cut_export, generate_export,
                                      write_demo_exports, write_export)
from dashboard.demo.messy import VARIANTS as MESSY_VARIANTS
from dashboard.demo.messy import messy_variant

__all__ = ["DEFAULT_SEED", "MESSY_VARIANTS", "Trajectory", "build_trajectory", "cut_export", "generate_export",
           "messy_variant", "write_demo_exports", "write_export"]
