"""Tell the record format of a document from its first bytes."""

from __future__ import annotations

import re

from harmonize.errors import ParseError
from harmonize.parse.streams import GZIP_MAGIC

#: XML root element -> format name.
XML_ROOTS: dict[str, str] = {
    "EXPERIMENT_PACKAGE_SET": "sra",
    "EXPERIMENT_PACKAGE": "sra",
    "BioSampleSet": "biosample",
    "BioSample": "biosample",
    "MINiML": "miniml",
    # INSDC per-object files: the members of the SRA metadata dumps, ENA browser XML
    **{root: "insdc" for root in ("SAMPLE_SET", "EXPERIMENT_SET", "RUN_SET", "STUDY_SET",
                                  "SAMPLE", "EXPERIMENT", "RUN", "STUDY", "SUBMISSION",
                                  "SUBMISSION_SET", "ANALYSIS_SET", "ANALYSIS")},
}
#: Generic roots (ENA's ``<ROOT>``) whose first child element decides the format.
WRAPPER_ROOTS = ("ROOT",)
#: SOFT entity lines that may open a GEO SOFT document.
SOFT_ENTITIES = ("^DATABASE", "^SERIES", "^SAMPLE", "^PLATFORM")

_SKIP = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)", re.S)
_ROOT = re.compile(rb"\s*<([A-Za-z_][\w.:-]*)")
_CHILD = re.compile(rb"<([A-Za-z_][\w.:-]*)")
HEAD_SIZE = 1 << 16


def sniff(head: bytes, origin: str | None = None) -> str:
    """Return ``"sra"``, ``"biosample"``, ``"miniml"``, ``"soft"`` or ``"insdc"`` (per-object
    SRA/ENA XML) for a document's head; ``"sra_dump"`` (a tar) and ``"sra_accessions"``
    (SRA_Accessions.tab) name the bulk files :mod:`harmonize.dump` loads.

    Raises:
        ParseError: if ``head`` is empty, compressed or of no known format.

    Example:
        >>> sniff(b'<?xml version="1.0" ?>\\n<EXPERIMENT_PACKAGE_SET>')
        'sra'
    """
    data = head.removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        raise ParseError("empty input, nothing to parse", origin=origin)
    if data.startswith(GZIP_MAGIC):
        raise ParseError("input is gzip-compressed; decompress it before sniffing", origin=origin)
    if data[257:262] == b"ustar":
        return "sra_dump"  # a tar: NCBI_SRA_Metadata*.tar.gz, read by harmonize.dump
    if data.startswith(b"Accession\tSubmission\tStatus"):
        return "sra_accessions"
    stripped = data.lstrip()
    if stripped.startswith((b"^", b"!")):
        first = stripped.split(b"=", 1)[0].strip().decode("utf-8", "replace").upper()
        if first in SOFT_ENTITIES:
            return "soft"
        raise ParseError(f"unknown format: soft-like first line {first!r}", origin=origin)
    pos = 0
    while m := _SKIP.match(data, pos):
        if m.end() == pos:
            break
        pos = m.end()
    root = _ROOT.match(data, pos)
    if root is None:
        snippet = stripped[:40].decode("utf-8", "replace")
        raise ParseError(f"unknown format: starts with {snippet!r}", origin=origin)
    name = root.group(1).decode("utf-8", "replace").rsplit(":", 1)[-1]
    if name in WRAPPER_ROOTS and (child := _CHILD.search(data, root.end())):
        name = child.group(1).decode("utf-8", "replace").rsplit(":", 1)[-1]
    if name not in XML_ROOTS:
        raise ParseError(f"unknown format: xml root <{name}>", origin=origin)
    return XML_ROOTS[name]
