"""Recognise and clean the accessions that link GEO, SRA and BioSample records."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Any accession kind we track, as a whole word (GEO, INSDC/SRA, BioSample, BioProject).
ACCESSION = re.compile(
    r"\b(GS[EM]\d+|[SED]R[XSRP]\d+|SAM(?:N|EA|D)\d+|PRJ(?:NA|EB|DB)\d+|GPL\d+)\b"
)
#: GEO appends a replicate/run suffix (``GSM8551336_r1``) to the GSM in SRA experiment and run
#: aliases; the sample itself is the bare GSM.
_GEO_SUFFIX = re.compile(r"^(GSM\d+)_r\d+$")
_GSE_IN_TEXT = re.compile(r"\bGSE\d+\b")


def clean_gsm(value: str) -> str:
    """``GSM8551336_r1`` -> ``GSM8551336``; anything else is returned stripped."""
    value = value.strip()
    m = _GEO_SUFFIX.match(value)
    return m.group(1) if m else value


def find_accessions(text: str | None) -> list[str]:
    """Every tracked accession in a free text or URL, in order of appearance."""
    return ACCESSION.findall(text) if text else []


def find_gse(text: str | None) -> list[str]:
    """GSE accessions in a text such as ``GEO: GSE124227``."""
    return _GSE_IN_TEXT.findall(text) if text else []


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty values, stripped, first occurrence kept, order preserved."""
    seen: dict[str, None] = {}
    for v in values:
        if v and (v := v.strip()):
            seen.setdefault(v, None)
    return tuple(seen)
