"""Helpers shared by the parser tests."""

from __future__ import annotations

import re
from pathlib import Path

from harmonize.models import Reject, SampleRecord
from harmonize.parse import iter_file

#: Independent of the parsers: every sample-level accession written anywhere in a file.
RAW_ACCESSION = re.compile(rb"\b(GSM\d{4,}|[SED]R[XSR]\d{6,}|SAM(?:N|EA|D)\d{5,})\b")


def records(path: Path) -> list[SampleRecord]:
    """Every record of a file, asserting the file has no rejects."""
    out = list(iter_file(path))
    assert not [r for r in out if isinstance(r, Reject)], f"unexpected rejects in {path.name}"
    return out  # type: ignore[return-value]
