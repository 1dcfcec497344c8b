"""Identity resolution, pure: which accessions name the same biological sample, and its id.

A sample row is keyed by the highest-priority sample-level accession of everything known
about it (BioSample, else GSM, else SRS, else SRX, else SRR); ties break on the accession
string, so the chosen id depends only on the set of accessions, not on load order.
"""

from __future__ import annotations

from collections.abc import Iterable

from harmonize.models import SAMPLE_LEVEL_KINDS, SampleRecord, record_sample

#: Sample id priority by accession kind (lower wins).
ID_PRIORITY: dict[str | None, int] = {"biosample": 0, "gsm": 1, "srs": 2, "srx": 3, "srr": 4}


def normalize_accession(accession: str) -> str:
    """Accessions are compared stripped and upper-case."""
    return accession.strip().upper()


def id_rank(accession: str) -> tuple[int, str]:
    """Sort key of a candidate sample id (smaller is preferred).

    >>> sorted(["SRS1", "GSM2", "SAMN3"], key=id_rank)[0]
    'SAMN3'
    """
    return ID_PRIORITY.get(fast_kind(accession), 5), accession


_KIND3 = {"GSM": "gsm", "GSE": "gse", "SRS": "srs", "ERS": "srs", "DRS": "srs", "SRX": "srx",
          "ERX": "srx", "DRX": "srx", "SRR": "srr", "ERR": "srr", "DRR": "srr", "SRP": "srp",
          "ERP": "srp", "DRP": "srp", "GPL": "gpl"}


def fast_kind(acc: str) -> str | None:
    """:func:`accession_kind` for an already normalized accession (a dict lookup, no copies)."""
    kind = _KIND3.get(acc[:3])
    if kind is not None:
        return kind
    if acc.startswith(("SAMN", "SAMEA", "SAMD")):
        return "biosample"
    if acc.startswith(("PRJNA", "PRJEB", "PRJDB")):
        return "bioproject"
    return None


def record_accessions(record: SampleRecord) -> tuple[list[str], dict[str, str]]:
    """Split what a record names into (sample-level accessions, {accession: kind} of all kinds).

    The record's own accession comes first and is always sample-level (it names this sample),
    as are its runs and their experiments; a contribution key (``GDS507/GSM11815``) counts as
    the sample it names. Accessions of unknown kind are dropped.
    """
    own = record_sample(record.record_accession).strip().upper()
    kinds: dict[str, str] = {own: fast_kind(own) or "other"}
    sample_level = [own]
    names = list(record.accessions)
    for run in record.runs:
        names.append(run.accession)
        if run.experiment:
            names.append(run.experiment)
    for raw in names:
        acc = raw.strip().upper()
        if acc in kinds:
            continue
        kind = fast_kind(acc)
        if kind is None:
            continue
        kinds[acc] = kind
        if kind in SAMPLE_LEVEL_KINDS:
            sample_level.append(acc)
    return sample_level, kinds


class Components:
    """Union-find over accession strings."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        """Root of ``x`` (path halving)."""
        parent = self.parent
        if x not in parent:
            parent[x] = x
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union_all(self, items: Iterable[str]) -> None:
        """Put every item in one component."""
        it = iter(items)
        first = next(it, None)
        if first is None:
            return
        root = self.find(first)
        for x in it:
            other = self.find(x)
            if other != root:
                self.parent[other] = root
