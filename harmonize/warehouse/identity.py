"""Identity resolution, pure: which accessions name the same biological sample, and its id.

A sample row is keyed by the highest-priority sample-level accession of everything known
about it (BioSample, else GSM, else SRS, else SRX, else SRR); ties break on the accession
string, so the chosen id depends only on the set of accessions, not on load order.
"""

from __future__ import annotations

from collections.abc import Iterable

from harmonize.models import SAMPLE_LEVEL_KINDS, SampleRecord, accession_kind

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
    return ID_PRIORITY.get(accession_kind(accession), 5), accession


def record_accessions(record: SampleRecord) -> tuple[list[str], list[tuple[str, str]]]:
    """Split what a record names into (sample-level accessions, [(accession, kind)] of all kinds).

    The record's own accession is always sample-level (it names this sample), as are its runs
    and their experiments. Accessions of unknown kind are dropped.
    """
    own = normalize_accession(record.record_accession)
    names = [own, *record.accessions]
    for run in record.runs:
        names.append(run.accession)
        if run.experiment:
            names.append(run.experiment)
    sample_level: list[str] = [own]
    kinds: dict[str, str] = {}
    for raw in names:
        acc = normalize_accession(raw)
        if not acc:
            continue
        kind = accession_kind(acc)
        if kind is None:
            continue
        kinds[acc] = kind
        if kind in SAMPLE_LEVEL_KINDS and acc != own:
            sample_level.append(acc)
    if own not in kinds:
        kinds[own] = accession_kind(own) or "other"
    return list(dict.fromkeys(sample_level)), list(kinds.items())


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
