"""What a cohort's rows hold, as short digests per sample and part, to tell what changed later.

A row of an exported cohort splits into parts: ``sample`` (organism, taxon), ``accessions``
(GSM, SRX, SRR, ...) and one part per facet (its best annotation and, for filtered facets, the
annotation that matched the filter). Each (sample, part) gets a 16-hex digest of its values; the
manifest keeps them, so a rebuild can name the samples and facets that changed without the
original file. Pure functions: no I/O.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from harmonize.models import FACETS

#: Accession columns of an exported row (sample_summary's names).
ACCESSION_NAMES = ("gsm", "srx", "srs", "srr", "gse", "srp", "biosample", "bioproject")
SAMPLE_COLUMNS = ("organism", "taxon_id")
DIGEST_HEX = 16


def part_of(column: str) -> str | None:
    """The part a column belongs to (``None`` for the key ``sample_id``)."""
    if column == "sample_id":
        return None
    if column in SAMPLE_COLUMNS:
        return "sample"
    if column in ACCESSION_NAMES:
        return "accessions"
    name = column.removeprefix("matched_")
    for facet in sorted(FACETS, key=len, reverse=True):  # cell_type before a shorter prefix
        if name.startswith(facet + "_"):
            return facet
    return "other"


def parts(columns: Iterable[str]) -> dict[str, list[str]]:
    """Columns grouped by part, in column order (parts ordered by first appearance)."""
    out: dict[str, list[str]] = {}
    for col in columns:
        part = part_of(col)
        if part is not None:
            out.setdefault(part, []).append(col)
    return out


def canonical(value: Any) -> str:
    """A stable text form of one cell (``\\x00`` for missing, ``repr`` for floats)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "\x00"
    if isinstance(value, float):
        return "\x00" if math.isnan(value) else repr(value)
    return str(value)


def _digest(values: Sequence[Any]) -> str:
    text = "\x1f".join(canonical(v) for v in values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_HEX]


def row_digests(df: pd.DataFrame) -> dict[str, list[str]]:
    """Per part, the digest of each row's values (aligned with ``df`` rows)."""
    out = {}
    for part, cols in parts(df.columns).items():
        columns = [df[c].tolist() for c in cols]
        out[part] = [_digest(vals) for vals in zip(*columns)] if columns and len(df) else []
    return out


def state_digest(sample_ids: Sequence[str], digests: dict[str, list[str]]) -> str:
    """One sha256 over every (sample, part, digest): equal iff every row part is equal."""
    h = hashlib.sha256()
    for i, sid in enumerate(sample_ids):
        for part in sorted(digests):
            h.update(f"{sid}\t{part}\t{digests[part][i]}\n".encode())
    return h.hexdigest()


def cohort_state(df: pd.DataFrame) -> dict[str, Any]:
    """The manifest's ``cohort`` section: sample ids, per-part digests, their state digest."""
    ids = [str(s) for s in df["sample_id"].tolist()]
    digests = row_digests(df)
    return {"samples": ids, "parts": {p: cols for p, cols in parts(df.columns).items()},
            "digests": digests, "state_sha256": state_digest(ids, digests)}


def changed_parts(recorded: dict[str, Any], df: pd.DataFrame) -> dict[str, list[str]]:
    """Samples present in both ``recorded`` (a :func:`cohort_state`) and ``df`` whose parts differ.

    Returns:
        ``{sample_id: [part, ...]}``; a part missing on one side counts as changed.
    """
    now = row_digests(df)
    index = {sid: i for i, sid in enumerate(recorded["samples"])}
    rec = recorded["digests"]
    out: dict[str, list[str]] = {}
    for j, sid in enumerate(str(s) for s in df["sample_id"].tolist()):
        i = index.get(sid)
        if i is None:
            continue
        diff = [p for p in sorted(set(rec) | set(now))
                if (rec[p][i] if p in rec else None) != (now[p][j] if p in now else None)]
        if diff:
            out[sid] = diff
    return out
