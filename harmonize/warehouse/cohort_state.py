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
#: Above this many samples a manifest keeps one digest per row instead of one per part.
PART_DIGEST_LIMIT = 200_000


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


def row_digests(df: pd.DataFrame, groups: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per group of columns, the digest of each row's values (aligned with ``df`` rows).

    A column ``df`` lacks counts as missing in every row.
    """
    out = {}
    for part, cols in groups.items():
        columns = [df[c].tolist() if c in df.columns else [None] * len(df) for c in cols]
        out[part] = [_digest(vals) for vals in zip(*columns)] if columns else [""] * len(df)
    return out


def digest_groups(columns: Sequence[str], n_rows: int) -> dict[str, list[str]]:
    """The parts a cohort of ``n_rows`` is digested by: :func:`parts`, or one ``row`` part
    above :data:`PART_DIGEST_LIMIT` samples (keeps a whole-warehouse manifest small)."""
    if n_rows > PART_DIGEST_LIMIT:
        return {"row": [c for c in columns if c != "sample_id"]}
    return parts(columns)


def state_digest(sample_ids: Sequence[str], digests: dict[str, list[str]]) -> str:
    """One sha256 over every (sample, part, digest): equal iff every row part is equal."""
    names = sorted(digests)
    columns = [digests[part] for part in names]
    text = "".join(f"{sid}\t{part}\t{col[i]}\n" for i, sid in enumerate(sample_ids)
                   for part, col in zip(names, columns))
    return hashlib.sha256(text.encode()).hexdigest()


def cohort_state(df: pd.DataFrame) -> dict[str, Any]:
    """The manifest's ``cohort`` section: sample ids, per-part digests, their state digest."""
    ids = [str(s) for s in df["sample_id"].tolist()]
    groups = digest_groups(list(df.columns), len(df))
    digests = row_digests(df, groups)
    return {"samples": ids, "parts": groups, "digests": digests,
            "state_sha256": state_digest(ids, digests)}


def changed_parts(recorded: dict[str, Any], df: pd.DataFrame) -> dict[str, list[str]]:
    """Samples present in both ``recorded`` (a :func:`cohort_state`) and ``df`` whose parts differ.

    ``df`` is digested by the recorded parts, so a column added or dropped since shows up as
    a change of its part.

    Returns:
        ``{sample_id: [part, ...]}``.
    """
    rec = recorded["digests"]
    groups = recorded.get("parts") or digest_groups(list(df.columns), len(recorded["samples"]))
    now = row_digests(df, {p: cols for p, cols in groups.items() if p in rec})
    index = {sid: i for i, sid in enumerate(recorded["samples"])}
    out: dict[str, list[str]] = {}
    for j, sid in enumerate(str(s) for s in df["sample_id"].tolist()):
        i = index.get(sid)
        if i is None:
            continue
        diff = [p for p in sorted(rec) if rec[p][i] != now.get(p, [None] * len(df))[j]]
        if diff:
            out[sid] = diff
    return out
