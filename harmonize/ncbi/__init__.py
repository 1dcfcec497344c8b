"""The live NCBI harvester: configuration, a polite retrying client, E-utilities, GEO, plans.

Reading order: :mod:`~harmonize.ncbi.config` (what to harvest) ->
:mod:`~harmonize.ncbi.ratelimit` and :mod:`~harmonize.ncbi.detect` (pure helpers) ->
:mod:`~harmonize.ncbi.http` (the only network code) -> :mod:`~harmonize.ncbi.eutils` and
:mod:`~harmonize.ncbi.geo` (endpoints) -> :mod:`~harmonize.ncbi.planning` (pure) ->
:mod:`~harmonize.ncbi.harvest` (plans and batches).
"""

from harmonize.ncbi.config import HarvestConfig, load_config
from harmonize.ncbi.detect import HistoryExpiredError, detect_error
from harmonize.ncbi.eutils import SearchResult, efetch, efetch_ids, elink, esearch, esummary
from harmonize.ncbi.geo import accession_to_uid, fetch_miniml, geo_sample_uids, uid_to_accession
from harmonize.ncbi.harvest import Plan, fetch_batch, plan
from harmonize.ncbi.http import NCBIClient
from harmonize.ncbi.planning import Batch, Window, geo_term, next_window, sra_term
from harmonize.ncbi.ratelimit import RateLimiter, shared_limiter

__all__ = [
    "Batch",
    "HarvestConfig",
    "HistoryExpiredError",
    "NCBIClient",
    "Plan",
    "RateLimiter",
    "SearchResult",
    "Window",
    "accession_to_uid",
    "detect_error",
    "efetch",
    "efetch_ids",
    "elink",
    "esearch",
    "esummary",
    "fetch_batch",
    "fetch_miniml",
    "geo_sample_uids",
    "geo_term",
    "load_config",
    "next_window",
    "plan",
    "shared_limiter",
    "sra_term",
    "uid_to_accession",
]
