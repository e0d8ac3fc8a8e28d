"""The manifest's source of a derived DS names only the ADSL variables it was derived from."""

from __future__ import annotations

from concurrent.futures import Future

from dashboard.ingest.adam.sources import domain_sources, page_sources
from dashboard.ingest.readers import RawFile


def _raw(name: str, domain: str) -> RawFile:
    return RawFile(domain=domain, name=name, data=b"", digest=Future())


def test_derived_ds_names_the_variables_adsl_gives():
    raws = {"ADSL": _raw("adsl.xpt", "DM"), "ADAE": _raw("adae.xpt", "AE")}
    # pharmaverse-adam's ADSL has EOSSTT but no DCSREAS: the source must not name a variable the cut lacks
    assert domain_sources(raws, ["USUBJID", "EOSSTT"])["DS"] == "derived from ADSL (EOSSTT)"
    both = domain_sources(raws, ["USUBJID", "EOSSTT", "DCSREAS"])
    assert both["DS"] == "derived from ADSL (EOSSTT, DCSREAS)" and page_sources(both)["Recruitment"] == "ADaM"
    assert "DS" not in domain_sources(raws, ["USUBJID"])
