"""Harvest plans: search once, cut the result into batches, fetch each batch as parser-ready bytes.

A flow calls :func:`plan` once per source and window, skips the batches whose
``(plan_key, index)`` it already committed, and hands every body of :func:`fetch_batch` to
:func:`harmonize.parse.parse_bytes`. The pure parts (windows, terms, keys, batches) live in
:mod:`harmonize.ncbi.planning` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harmonize.models import accession_kind
from harmonize.ncbi.config import HarvestConfig
from harmonize.ncbi.eutils import SearchResult, efetch, efetch_ids, esearch
from harmonize.ncbi.geo import fetch_samples, geo_sample_uids, uid_to_accession
from harmonize.ncbi.http import NCBIClient
from harmonize.ncbi.planning import (
    Batch,
    HarvestSource,
    Window,
    biosample_term,
    geo_term,
    make_batches,
    make_plan_key,
    next_window,
    sra_term,
)

__all__ = [
    "Batch",
    "Plan",
    "Window",
    "fetch_batch",
    "geo_term",
    "next_window",
    "plan",
    "sra_term",
]


@dataclass
class Plan:
    """What one source/window harvest will fetch.

    Attributes:
        source: ``sra``, ``geo`` or ``biosample``.
        term: the Entrez term (or the accession list stand-in for explicit plans).
        window: the date window searched (``None`` for explicit accession lists).
        count: number of records planned.
        search: the esearch history handle (SRA), else ``None``.
        batches: the batches, in order; each carries :attr:`key` as its ``plan_key``.
        accessions: the explicit accessions planned (GEO GSMs, BioSample SAMN...), else empty.
        key: the stable plan key (source + term + window + count + batch size).
    """

    source: str
    term: str
    window: Window | None
    count: int
    search: SearchResult | None
    batches: tuple[Batch, ...]
    accessions: tuple[str, ...] = ()
    key: str = ""

    @property
    def plan_key(self) -> str:
        """Alias of :attr:`key`, the name batches use."""
        return self.key


def _explicit(
    source: str, term: str, window: Window | None, accessions: Sequence[str], batch_size: int
) -> Plan:
    """A plan over a known accession list (deduplicated, order kept).

    The key covers the list itself, so a resumed run never skips a batch whose accessions
    changed upstream (same count, other records).
    """
    unique = tuple(dict.fromkeys(a.strip() for a in accessions if a and a.strip()))
    key = make_plan_key(source, term + "\x1f" + ",".join(unique), window, len(unique), batch_size)
    batches = make_batches(source, key, len(unique), batch_size)
    return Plan(source, term, window, len(unique), None, batches, unique, key)


def plan(
    client: NCBIClient,
    config: HarvestConfig,
    source: HarvestSource,
    window: Window | None,
    accessions: Sequence[str] | None = None,
) -> Plan:
    """Search ``source`` for ``window`` (or take ``accessions``) and cut the result into batches.

    * ``sra``: esearch with history over :func:`sra_term` and the window's date field.
    * ``geo``: the GSMs of :func:`~harmonize.ncbi.geo.geo_sample_uids`, or the given GSMs.
    * ``biosample``: the given BioSample accessions (found in SRA/GEO records); required.

    Raises:
        ValueError: an unknown source, a missing window, or biosample without accessions.
    """
    size = config.batch_size
    if source == "biosample":
        if not accessions:
            raise ValueError("a biosample plan needs the accessions to fetch")
        kept = sorted({a.strip() for a in accessions if accession_kind(a) == "biosample"})
        return _explicit("biosample", biosample_term(kept), window, kept, size)
    if source == "geo":
        if accessions is not None:
            gsms = sorted({a.strip().upper() for a in accessions if accession_kind(a) == "gsm"})
            return _explicit("geo", "accessions:" + ",".join(gsms), window, gsms, size)
        if window is None:
            raise ValueError("a geo plan needs a window or accessions")
        gsms = [uid_to_accession(uid) for uid in geo_sample_uids(client, config, window)]
        return _explicit("geo", geo_term(config), window, gsms, size)
    if source == "sra":
        if window is None:
            raise ValueError("an sra plan needs a window")
        term = sra_term(config)
        search = esearch(
            client,
            "sra",
            term,
            datetype=config.datetype,
            mindate=window.mindate,
            maxdate=window.maxdate,
        )
        key = make_plan_key("sra", term, window, search.count, size)
        batches = make_batches("sra", key, search.count, size)
        return Plan("sra", term, window, search.count, search, batches, (), key)
    raise ValueError(f"unknown harvest source {source!r} (expected sra, geo or biosample)")


def fetch_batch(client: NCBIClient, plan: Plan, batch: Batch) -> list[bytes]:
    """Fetch one batch as bodies ready for ``harmonize.parse.parse_bytes``.

    Returns one ``EXPERIMENT_PACKAGE_SET`` document for SRA, one ``BioSampleSet`` for BioSample,
    and for GEO MINiML documents that together hold each planned GSM exactly once: one per
    series, trimmed to the planned GSMs, plus one per GSM its series did not deliver
    (:func:`~harmonize.ncbi.geo.fetch_samples`: one esummary + about one request per series).

    Raises:
        ValueError: the batch belongs to another plan.
        FetchError: from the client, after its retries.
    """
    if batch.plan_key != plan.key:
        raise ValueError(f"batch {batch.index} belongs to plan {batch.plan_key}, not {plan.key}")
    if plan.source == "sra":
        if plan.search is None:
            raise ValueError(f"sra plan {plan.key} has no search")
        return [efetch(client, "sra", plan.search, batch.start, batch.size)]
    chunk = plan.accessions[batch.start : batch.start + batch.size]
    if plan.source == "biosample":
        return [efetch_ids(client, "biosample", chunk)]
    if plan.source == "geo":
        return fetch_samples(client, chunk)
    raise ValueError(f"unknown harvest source {plan.source!r} in plan {plan.key}")
