"""Read-only numbers about a warehouse for run summaries and harvest planning."""

from __future__ import annotations

from typing import Any

import duckdb


def overview(con: duckdb.DuckDBPyConnection, cohort_sql: str) -> dict[str, Any]:
    """Samples, accessions, runs, rejects, per-facet annotation figures, the top unmapped
    values and the rows of ``cohort_sql`` (an example query), in plain Python values."""
    facets = con.execute("""
        SELECT facet, count(*) AS n, count(DISTINCT sample_id) AS samples,
               count(*) FILTER (WHERE term_id IS NOT NULL) AS mapped,
               count(*) FILTER (WHERE status = 'accepted') AS accepted,
               avg(confidence) FILTER (WHERE term_id IS NOT NULL) AS mean_conf
        FROM annotations GROUP BY 1 ORDER BY 1""").fetchall()
    return {
        "samples": con.execute("SELECT count(*) FROM samples").fetchone()[0],
        "samples_by_source": dict(con.execute(
            "SELECT source, count(DISTINCT sample_id) FROM records GROUP BY 1 ORDER BY 1"
        ).fetchall()),
        "accessions_by_kind": dict(con.execute(
            "SELECT kind, count(DISTINCT accession) FROM sample_accessions GROUP BY 1 ORDER BY 1"
        ).fetchall()),
        "runs": con.execute("SELECT count(*) FROM runs").fetchone()[0],
        "rejects": con.execute("SELECT count(*) FROM rejects").fetchone()[0],
        "facets": facets,
        "top_unmapped": con.execute("""
            SELECT facet, source_text, count(DISTINCT sample_id) AS n FROM annotations
            WHERE term_id IS NULL GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 10""").fetchall(),
        "cohort_rows": con.execute(cohort_sql).fetchall(),
    }


def missing_biosamples(con: duckdb.DuckDBPyConnection, limit: int = 10_000) -> list[str]:
    """BioSample accessions named by SRA/GEO records whose BioSample record is not loaded."""
    rows = con.execute(
        """SELECT DISTINCT a.accession FROM sample_accessions a
           WHERE a.kind = 'biosample'
             AND NOT EXISTS (SELECT 1 FROM records r
                             WHERE r.source = 'biosample' AND r.record_accession = a.accession)
           ORDER BY 1 LIMIT ?""", [limit]).fetchall()
    return [r[0] for r in rows]


def loaded_ontology_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """``{ontology: version}`` currently in ontology_terms."""
    rows = con.execute("SELECT ontology, any_value(version) FROM ontology_terms GROUP BY 1"
                       ).fetchall()
    return {name: version for name, version in rows}
