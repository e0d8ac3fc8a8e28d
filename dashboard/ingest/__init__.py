"""Ingest SDTM exports as data cuts: read (CSV, XPT), validate, seal allocation, write immutable snapshots."""

from dashboard.ingest.findings import AlreadyLoaded, Finding, IngestError, Severity
from dashboard.ingest.load import check_export, load_cut

__all__ = ["AlreadyLoaded", "Finding", "IngestError", "Severity", "check_export", "load_cut"]
