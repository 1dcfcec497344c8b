"""NCBI's ``biosample_set.xml.gz``, streamed (iterparse + clear) in flat memory and filtered.

A record is kept when an SRA sample already in the warehouse names it (SAMN/SAMEA/SAMD) or
its organism passes the filter; the rest are counted as skipped. Load the SRA dump first so
its BioSample links are known.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import duckdb

from harmonize.dump.filters import DumpFilter
from harmonize.models import Reject, SampleRecord
from harmonize.parse import iter_file
from harmonize.warehouse.arrow import register
from harmonize.warehouse.load import LoadStats, add_rejects, upsert_records

BATCH = 20_000


def load_biosample_dump(con: duckdb.DuckDBPyConnection, path: Path, filt: DumpFilter,
                        run_id: str | None, on_batch: Callable[[int], None] | None = None
                        ) -> tuple[LoadStats, Counter, int, int]:
    """Stream, filter and load one BioSample dump.

    Returns:
        (load stats, skip reasons, records kept, rejects).
    """
    stats, skipped = LoadStats(), Counter()
    kept = rejected = 0
    items = iter_file(path, fmt="biosample")
    while chunk := list(islice(items, BATCH)):
        records = [r for r in chunk if isinstance(r, SampleRecord)]
        rejects = [r for r in chunk if isinstance(r, Reject)]
        keep = _linked(con, records) if filt.organisms else {r.record_accession for r in records}
        batch = [r for r in records if r.record_accession in keep or filt.organism_ok(r.organism)]
        skipped["biosample: not linked to a kept SRA sample, other organism"] += (
            len(records) - len(batch))
        if batch:
            stats += upsert_records(con, batch, run_id=run_id, batch_size=len(batch) + 1)
        if rejects:
            con.execute("BEGIN")
            add_rejects(con, rejects, run_id)
            con.execute("COMMIT")
        kept += len(batch)
        rejected += len(rejects)
        if on_batch:
            on_batch(len(chunk))
    return stats, skipped, kept, rejected


def _linked(con: duckdb.DuckDBPyConnection, records: list[SampleRecord]) -> set[str]:
    """The records' accessions that a stored sample already names."""
    if not records:
        return set()
    register(con, "_b_bs", {"accession": [r.record_accession.strip().upper() for r in records]})
    found = {r[0] for r in con.execute(
        "SELECT DISTINCT b.accession FROM _b_bs b SEMI JOIN sample_accessions a "
        "ON a.accession = b.accession").fetchall()}
    con.unregister("_b_bs")
    return found
