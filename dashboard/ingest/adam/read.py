"""Read one ADaM dataset (XPT or CSV) into a pandas frame: text ('' missing), numbers as float64, and SAS dates
and datetimes as ISO 8601 text, decided by the variable's format (DATE9., DATETIME20.), never by its name."""

from __future__ import annotations

import datetime as dt
import io
import re

import numpy as np
import pandas as pd
import pyreadstat

from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.readers import RawFile, read_csv

_EPOCH = np.datetime64("1960-01-01T00:00:00", "s")
# SAS formats of dates (days since 1960-01-01) and datetimes (seconds since then). TIME/TOD stay numbers.
_DATE_FORMATS = ("DATE", "YYMMDD", "E8601DA", "B8601DA", "MMDDYY", "DDMMYY", "YYMMDDN", "WORDDATE", "MONYY")
_DATETIME_FORMATS = ("DATETIME", "E8601DT", "B8601DT", "DATEAMPM", "E8601DZ")
_SAS_DATE_TEXT = re.compile(r"^\d{2}[A-Z]{3}\d{4}(:\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_ISO_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
# CSV has no formats: these names (ADaM conventions, and the shortened TRTxxSDT of random.cdisc.data) are read as
# dates or datetimes written as text.
_CSV_DATE_NAME = re.compile(r"^[A-Z0-9]*(DT|DTM|SDT|EDT)$")


def format_kind(sas_format: str | None) -> str | None:
    """'date', 'datetime' or None for a SAS format name such as 'DATE9' or 'DATETIME20.'."""
    name = re.sub(r"[\d.]+$", "", (sas_format or "").strip().upper())
    if name in _DATETIME_FORMATS:
        return "datetime"
    return "date" if name in _DATE_FORMATS else None


def sas_to_iso(values: pd.Series, kind: str) -> pd.Series:
    """SAS numeric dates (days) or datetimes (seconds) since 1960-01-01 as ISO 8601 text; missing stays missing."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    known = np.isfinite(numbers)
    seconds = np.where(known, numbers * (86400 if kind == "date" else 1), 0).astype("int64")
    stamps = pd.Series(_EPOCH + seconds.astype("timedelta64[s]"), index=values.index)
    text = stamps.dt.strftime("%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%S")
    return text.where(known, None).astype("str")


def _text_date(value: str) -> str | None:
    """One date written as text in ISO 8601 or SAS style (02JAN2014, 02JAN2014:10:05:00) as ISO; None if neither."""
    value = value.strip().upper()
    if _ISO_TEXT.match(value):
        try:
            dt.datetime.fromisoformat(value.replace(" ", "T"))     # a real day and time, not 2014-13-45
        except ValueError:
            return None
        return value.replace(" ", "T")
    if _SAS_DATE_TEXT.match(value):
        stamp = pd.to_datetime(value, format="%d%b%Y" if len(value) == 9 else "%d%b%Y:%H:%M:%S", errors="coerce")
        if stamp is not pd.NaT:
            return stamp.strftime("%Y-%m-%d" if len(value) == 9 else "%Y-%m-%dT%H:%M:%S")
    return None


def text_dates(frame: pd.DataFrame, name: str, findings: Findings) -> pd.Series:
    """A CSV date column as ISO text; a value that is neither ISO nor SAS text is an error naming its rows."""
    values = frame[name]
    parsed = values.map(lambda v: _text_date(v) if isinstance(v, str) else None)
    bad = np.flatnonzero((values.notna() & parsed.isna()).to_numpy())
    if len(bad):
        findings.rows(Severity.ERROR, findings_file(frame), bad,
                      [f"unparseable date {values.iloc[i]!r}" for i in bad[:200]],
                      usubjid=_subjects(frame, bad), column=name, kind="unparseable date")
    return parsed.astype("str")


def findings_file(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("file", "?"))


def _subjects(frame: pd.DataFrame, rows: np.ndarray) -> list[str | None] | None:
    if "USUBJID" not in frame:
        return None
    return [None if pd.isna(v) else str(v) for v in frame["USUBJID"].iloc[rows[:200]]]


def _read_xpt(raw: RawFile, findings: Findings) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """The frame (dates still numbers) and the SAS format of each column; None (an error) when unreadable."""
    data = bytes(raw.data)
    try:
        try:
            frame, meta = pyreadstat.read_xport(io.BytesIO(data), disable_datetime_conversion=True)
        except UnicodeDecodeError:
            frame, meta = pyreadstat.read_xport(io.BytesIO(data), disable_datetime_conversion=True,
                                                encoding="cp1252")
            findings.warning(raw.name, "text is not valid UTF-8; read as cp1252", kind="cp1252 fallback")
    except (pyreadstat.ReadstatError, UnicodeDecodeError) as exc:
        findings.error(raw.name, f"not a readable SAS transport (XPT) file: {exc}", kind="bad XPT")
        return None
    formats = {str(k).strip().upper(): v for k, v in (meta.original_variable_types or {}).items()}
    return frame, formats


def read_frame(raw: RawFile, findings: Findings) -> pd.DataFrame | None:
    """One ADaM file as a frame with upper-case column names, ISO text dates, '' as missing; None on error."""
    if raw.kind == "xpt":
        read = _read_xpt(raw, findings)
        if read is None:
            return None
        frame, formats = read
        frame.columns = [str(c).strip().upper() for c in frame.columns]
        frame.attrs["file"] = raw.name
        for name in frame.columns:
            kind = format_kind(formats.get(name))
            if kind and frame[name].dtype.kind == "f":
                frame[name] = sas_to_iso(frame[name], kind)
            elif frame[name].dtype.kind not in "fiub":
                frame[name] = frame[name].astype("str").replace("", None)
        return frame
    table = read_csv(raw, findings)
    if table is None:
        return None
    frame = table.to_pandas()
    frame.attrs["file"] = raw.name
    for name in frame.columns:
        if _CSV_DATE_NAME.match(name):
            frame[name] = text_dates(frame, name, findings)
    return frame
