"""A warehouse's content without timestamps or run ids, to compare two runs table by table."""

from __future__ import annotations

from pathlib import Path

import duckdb


def warehouse_content(path: Path) -> dict[str, list[tuple]]:
    """Rows of samples, accessions, records, attributes and annotations, sorted."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "samples": con.execute("SELECT sample_id, organism, title, sources FROM samples "
                                   "ORDER BY ALL").fetchall(),
            "accessions": con.execute("SELECT accession, sample_id, kind FROM sample_accessions "
                                      "ORDER BY ALL").fetchall(),
            "records": con.execute("SELECT source, record_accession, sample_id, content_hash "
                                   "FROM records ORDER BY ALL").fetchall(),
            "attributes": con.execute("SELECT sample_id, key, value FROM sample_attributes "
                                      "ORDER BY ALL").fetchall(),
            "annotations": con.execute(
                "SELECT sample_id, facet, term_id, round(confidence, 6), method, status, "
                "source_key, source_text FROM annotations ORDER BY ALL").fetchall(),
        }
    finally:
        con.close()
