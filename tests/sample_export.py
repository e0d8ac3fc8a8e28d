"""A small, valid, synthetic SDTM export for the loader's tests and benchmark (any size, vectorized).

Clinical values come from `seed`, allocation from `allocation_seed`: two exports that differ only in
`allocation_seed` hold the same clinical data under different randomizations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

STUDY = "NCT05019287"
ARMS = {"MENSC": ("MenSC secretome", "MenSC secretome 5 mL", 5.0, "MENSC INFUSION"),
        "PBO": ("Saline placebo", "Normal saline", 0.0, "SALINE INFUSION")}
LAB_TESTS = ["ALT", "AST", "BILI", "CREAT", "CRP", "FERRITIN", "DDIMER", "LYM", "CD4", "CD8", "IL6"]
# Each outcome test in the unit NCT05019287's configuration names (`cuts load` refuses another unit).
LAB_UNITS = {"BILI": "umol/L", "CREAT": "umol/L", "CRP": "mg/L", "FERRITIN": "ng/mL", "DDIMER": "ug/mL FEU",
             "LYM": "10^9/L", "CD4": "cells/uL", "CD8": "cells/uL", "IL6": "pg/mL"}
VISITS = [(1.0, "SCREENING", -1), (2.0, "DAY 1", 1), (3.0, "DAY 3", 3), (4.0, "DAY 5", 5), (5.0, "DAY 7", 7),
          (6.0, "DAY 14", 14), (7.0, "DAY 28", 28)]
FIRST_DAY = np.datetime64("2021-04-17")


def _dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(FIRST_DAY + days.astype("timedelta64[D]"), unit="D")


def _text(values: np.ndarray) -> np.ndarray:
    return np.char.mod("%g", values) if values.dtype.kind == "f" else values.astype(str)


def write_csv(folder: Path, name: str, columns: dict[str, object], rows: int) -> None:
    """Write columns (arrays or scalars, '' = missing) as an all-string CSV."""
    arrays = {k: pa.array(np.broadcast_to(_text(np.asarray(v)), (rows,)), type=pa.string())
              for k, v in columns.items()}
    pcsv.write_csv(pa.table(arrays), folder / name)


def _per_subject(ids: np.ndarray, starts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat every subject n times: ids, start days, and a 1-based sequence number."""
    return np.repeat(ids, n), np.repeat(starts, n), np.tile(np.arange(1, n + 1), len(ids))


def write_sample_export(folder: Path | str, n_subjects: int = 8, n_screen_failures: int = 2, *, seed: int = 1,
                        allocation_seed: int = 7, lab_tests: int = len(LAB_TESTS), aes_per_subject: int = 3) -> Path:
    """Write dm, randomization, ds, ie, ex, ae, lb, vs, ct, pr, ho, se and suppdm files into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng, alloc = np.random.default_rng(seed), np.random.default_rng(allocation_seed)
    n, total = n_subjects, n_subjects + n_screen_failures
    ids = np.array([f"{STUDY}-01-{i:03d}" for i in range(1, total + 1)])
    rand_ids = ids[:n]
    arms = alloc.permutation(np.array(["MENSC", "PBO"] * (n // 2 + 1))[:n])
    labels = np.array([ARMS[a][0] for a in arms])
    start = np.sort(rng.integers(0, 50, total))
    rand_start = start[:n]

    armcd = np.concatenate([arms, np.full(n_screen_failures, "SCRNFAIL")])
    arm = np.concatenate([labels, np.full(n_screen_failures, "Screen Failure")])
    randomized = np.arange(total) < n
    write_csv(folder, "dm.csv", {
        "STUDYID": STUDY, "DOMAIN": "DM", "USUBJID": ids, "SUBJID": np.char.mod("%03d", np.arange(1, total + 1)),
        "SITEID": "01", "RFICDTC": _dates(start - 1), "RFSTDTC": np.where(randomized, _dates(start), ""),
        "RFENDTC": np.where(randomized, _dates(start + 4), ""), "DMDTC": _dates(start - 1), "DTHDTC": "",
        "DTHFL": "", "AGE": rng.integers(25, 76, total).astype(float), "AGEU": "YEARS",
        "SEX": rng.choice(["M", "F"], total), "RACE": "WHITE", "COUNTRY": "IRN",
        "ARMCD": armcd, "ARM": arm, "ACTARMCD": armcd, "ACTARM": arm}, total)
    write_csv(folder, "randomization.csv", {"USUBJID": rand_ids, "ARMCD": arms, "ARM": labels,
                                            "RANDDTC": _dates(rand_start),
                                            "RANDNO": np.char.mod("R%04d", np.arange(1, n + 1))}, n)
    ds_ids = np.concatenate([ids, rand_ids, ids[n:]])
    ds_decod = np.concatenate([np.full(total, "INFORMED CONSENT OBTAINED"), np.full(n, "RANDOMIZED"),
                               np.full(n_screen_failures, "SCREEN FAILURE")])
    ds_days = np.concatenate([start - 1, rand_start, start[n:]])
    write_csv(folder, "ds.csv", {"STUDYID": STUDY, "DOMAIN": "DS", "USUBJID": ds_ids,
                                 "DSSEQ": np.arange(1, len(ds_ids) + 1).astype(float), "DSTERM": ds_decod,
                                 "DSDECOD": ds_decod, "DSCAT": "DISPOSITION EVENT", "DSSTDTC": _dates(ds_days)},
              len(ds_ids))
    write_csv(folder, "ie.csv", {"STUDYID": STUDY, "DOMAIN": "IE", "USUBJID": ids[n:], "IESEQ": 1.0,
                                 "IETESTCD": "IN03", "IETEST": "Age 25 to 75", "IECAT": "INCLUSION", "IEORRES": "N",
                                 "IEDTC": _dates(start[n:])}, n_screen_failures)

    ex_ids, ex_start, ex_seq = _per_subject(rand_ids, rand_start, 5)
    ex_arm = np.repeat(arms, 5)
    write_csv(folder, "ex.csv", {
        "STUDYID": STUDY, "DOMAIN": "EX", "USUBJID": ex_ids, "EXSEQ": ex_seq.astype(float),
        "EXTRT": np.array([ARMS[a][1] for a in ex_arm]), "EXDOSE": np.array([ARMS[a][2] for a in ex_arm]),
        "EXDOSU": "mL", "EXROUTE": "INTRAVENOUS", "EXSTDTC": _dates(ex_start + ex_seq - 1),
        "EXENDTC": _dates(ex_start + ex_seq - 1), "EXSTDY": ex_seq.astype(float), "VISITNUM": ex_seq.astype(float)},
        len(ex_ids))

    ae_ids, ae_start, ae_seq = _per_subject(rand_ids, rand_start, aes_per_subject)
    m = len(ae_ids)
    onset = rng.integers(1, 28, m)
    write_csv(folder, "ae.csv", {
        "STUDYID": STUDY, "DOMAIN": "AE", "USUBJID": ae_ids, "AESEQ": ae_seq.astype(float),
        "AETERM": rng.choice(["Headache", "Fever", "Nausea", "Rash"], m), "AEDECOD": rng.choice(
            ["HEADACHE", "PYREXIA", "NAUSEA", "RASH"], m), "AEBODSYS": "GENERAL DISORDERS",
        "AESEV": rng.choice(["MILD", "MODERATE", "SEVERE"], m), "AESER": rng.choice(["N", "Y"], m, p=[0.9, 0.1]),
        "AEREL": rng.choice(["RELATED", "NOT RELATED"], m), "AEOUT": "RECOVERED/RESOLVED",
        "AESTDTC": _dates(ae_start + onset - 1), "AEENDTC": _dates(ae_start + onset + 2),
        "AESTDY": onset.astype(float), "AEENDY": (onset + 3).astype(float)}, m)

    tests = (LAB_TESTS + [f"T{i:02d}" for i in range(lab_tests)])[:lab_tests]
    per_subject = len(VISITS) * len(tests)
    lb_ids, lb_start, lb_seq = _per_subject(rand_ids, rand_start, per_subject)
    k = len(lb_ids)
    visit = np.tile(np.repeat(np.arange(len(VISITS)), len(tests)), n)
    day = np.array([v[2] for v in VISITS])[visit]
    value = np.round(rng.gamma(4.0, 10.0, k), 1)
    units = np.array([LAB_UNITS.get(t, "U/L") for t in tests])[np.tile(np.arange(len(tests)), len(VISITS) * n)]
    write_csv(folder, "lb.csv", {
        "STUDYID": STUDY, "DOMAIN": "LB", "USUBJID": lb_ids, "LBSEQ": lb_seq.astype(float),
        "LBTESTCD": np.tile(np.array(tests), len(VISITS) * n), "LBTEST": np.tile(np.array(tests), len(VISITS) * n),
        "LBCAT": "CHEMISTRY", "LBORRES": _text(value), "LBORRESU": units, "LBORNRLO": "5", "LBORNRHI": "40",
        "LBSTRESC": _text(value), "LBSTRESN": value, "LBSTRESU": units, "LBSTNRLO": 5.0, "LBSTNRHI": 40.0,
        "LBNRIND": np.where(value > 40, "HIGH", "NORMAL"), "VISITNUM": np.array([v[0] for v in VISITS])[visit],
        "VISIT": np.array([v[1] for v in VISITS])[visit], "LBDTC": _dates(lb_start + day),
        "LBDY": day.astype(float), "LBBLFL": np.where(visit == 0, "Y", "")}, k)

    vs_ids, vs_start, vs_seq = _per_subject(rand_ids, rand_start, 2 * len(VISITS))
    v = np.tile(np.repeat(np.arange(len(VISITS)), 2), n)
    oxy = np.tile(np.array([True, False]), n * len(VISITS))
    vital = np.where(oxy, rng.integers(80, 99, len(v)), rng.integers(18, 40, len(v)))
    write_csv(folder, "vs.csv", {
        "STUDYID": STUDY, "DOMAIN": "VS", "USUBJID": vs_ids, "VSSEQ": vs_seq.astype(float),
        "VSTESTCD": np.where(oxy, "OXYSAT", "RESP"), "VSTEST": np.where(oxy, "Oxygen Saturation", "Respiratory Rate"),
        "VSORRES": vital.astype(str), "VSSTRESN": vital.astype(float),
        "VSSTRESU": np.where(oxy, "%", "breaths/min"), "VISITNUM": np.array([x[0] for x in VISITS])[v],
        "VISIT": np.array([x[1] for x in VISITS])[v], "VSDTC": _dates(vs_start + np.array([x[2] for x in VISITS])[v]),
        "VSDY": np.array([x[2] for x in VISITS], dtype=float)[v]}, len(v))
    write_csv(folder, "ct.csv", {"STUDYID": STUDY, "DOMAIN": "CT", "USUBJID": rand_ids, "CTSEQ": 1.0,
                                 "CTTESTCD": "PULMINV", "CTTEST": "Pulmonary involvement",
                                 "CTORRES": rng.integers(10, 90, n).astype(str), "CTSTRESN": rng.integers(10, 90, n)
                                 .astype(float), "CTSTRESU": "%", "VISITNUM": 1.0, "VISIT": "SCREENING",
                                 "CTDTC": _dates(rand_start - 1), "CTDY": -1.0, "CTBLFL": "Y"}, n)
    write_csv(folder, "pr.csv", {"STUDYID": STUDY, "DOMAIN": "PR", "USUBJID": rand_ids[:1], "PRSEQ": 1.0,
                                 "PRTRT": "Intubation", "PRDECOD": "INTUBATION", "PRSTDTC": _dates(rand_start[:1] + 3),
                                 "PRSTDY": 4.0}, min(n, 1))
    write_csv(folder, "ho.csv", {"STUDYID": STUDY, "DOMAIN": "HO", "USUBJID": rand_ids, "HOSEQ": 1.0,
                                 "HOTERM": "Hospitalization", "HODECOD": "HOSPITAL", "HOSTDTC": _dates(rand_start - 1),
                                 "HOENDTC": _dates(rand_start + 10), "HOSTDY": -1.0, "HOENDY": 11.0}, n)
    write_csv(folder, "se.csv", {"STUDYID": STUDY, "DOMAIN": "SE", "USUBJID": rand_ids, "SESEQ": 1.0,
                                 "ETCD": arms, "ELEMENT": np.array([ARMS[a][3] for a in arms]),
                                 "SESTDTC": _dates(rand_start), "SEENDTC": _dates(rand_start + 4)}, n)
    supp_ids = np.repeat(rand_ids, 2)
    write_csv(folder, "suppdm.csv", {
        "STUDYID": STUDY, "RDOMAIN": "DM", "USUBJID": supp_ids, "IDVAR": "", "IDVARVAL": "",
        "QNAM": np.tile(np.array(["TRT01P", "HCWFL"]), n), "QLABEL": np.tile(np.array(["Planned treatment",
                                                                                     "Health care worker"]), n),
        "QVAL": np.ravel(np.column_stack([labels, rng.choice(["Y", "N"], n)])), "QORIG": "CRF"}, 2 * n)
    return folder
