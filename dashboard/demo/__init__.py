"""Synthetic demonstration data: deterministic SDTM exports of a trial at any data-cut date."""

from dashboard.demo.generator import (DEFAULT_SEED, Trajectory, build_trajectory, cut_export, generate_export,
                                      write_demo_exports, write_export)

__all__ = ["DEFAULT_SEED", "Trajectory", "build_trajectory", "cut_export", "generate_export", "write_demo_exports",
           "write_export"]
