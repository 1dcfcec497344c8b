"""Rows precomputed at every publish: ``sample_summary``, the review queue, the cohort index.

Aggregating 10 M annotations and 19 M accessions takes seconds; users wait for a summary row,
the top of the review queue or a cohort in well under one. :func:`refresh` rebuilds the tables of
migrations 005 and 007 from the live tables in the writer's transaction just before publishing, and
stamps ``meta.materialized_snapshot``; :func:`is_current` tells a reader whether it may use them
(a warehouse published by an older harmonize has no such rows yet).

The ``LIVE_*`` queries are the definitions: the tables hold exactly their rows.
"""

from __future__ import annotations

import duckdb

from harmonize.models import FACETS

_ACC_KINDS = ("biosample", "gsm", "srs", "srx", "srr", "gse", "srp", "bioproject")

#: Temporary table of the writer: each tissue term's place in a depth-first walk of the tissue
#: ontology (:func:`tissue_ranks`), so the samples of a tissue and the tissues below it get
#: neighbouring keys.
TISSUE_RANKS = "_harmonize_tissue_ranks"

#: sample_summary computed from the live tables, with an integer key that orders the samples by
#: their tissue (ontology walk order), then sample_id: a cohort of a tissue (with the tissues
#: below it) then reads a few row groups of the key-sorted tables instead of all of them.
LIVE_SUMMARY = f"""
WITH piv AS (
    SELECT sample_id, {", ".join(
        f"max({col}) FILTER (WHERE facet = '{f}') AS {f}_{name}"
        for f in FACETS for name, col in (("id", "term_id"), ("label", "term_label"),
                                          ("confidence", "confidence")))}
    FROM best_annotations GROUP BY sample_id
), acc AS (  -- = string_agg(DISTINCT accession, ';' ORDER BY accession), 6x less CPU
    SELECT sample_id, {", ".join(
        f"array_to_string(list_sort(list_distinct(list(accession) FILTER (WHERE kind = '{k}'))),"
        f" ';') AS {k}" for k in _ACC_KINDS)}
    FROM sample_accessions GROUP BY sample_id
)
SELECT CAST(row_number() OVER (ORDER BY o.rank NULLS LAST, s.sample_id) AS INTEGER) AS sample_key,
       s.sample_id, s.organism, s.taxon_id, s.sources,
       {", ".join(f"acc.{k}" for k in _ACC_KINDS)},
       {", ".join(f"piv.{f}_{n}" for f in FACETS for n in ("id", "label", "confidence"))}
FROM samples s LEFT JOIN acc USING (sample_id) LEFT JOIN piv USING (sample_id)
LEFT JOIN {TISSUE_RANKS} o ON o.term_id = coalesce(piv.tissue_id, piv.origin_tissue_id)
ORDER BY sample_key
"""

#: The review queue computed from the live tables, most samples touched first.
LIVE_REVIEW = """
SELECT a.facet, a.source_text,
       count(DISTINCT a.sample_id) AS n_samples,
       CASE WHEN bool_or(a.term_id IS NOT NULL) THEN 'needs_review' ELSE 'unmapped' END AS status,
       arg_max(a.term_id, coalesce(a.confidence, 0)) AS term_id,
       arg_max(a.term_label, coalesce(a.confidence, 0)) AS term_label,
       max(a.confidence) AS confidence,
       arg_max(a.candidates, coalesce(a.confidence, 0)) AS candidates
FROM annotations a
WHERE a.status IN ('needs_review', 'unmapped')
  AND NOT EXISTS (
      SELECT 1 FROM curator_overrides o
      WHERE o.facet = a.facet AND lower(trim(o.text)) = lower(trim(a.source_text)))
GROUP BY a.facet, a.source_text
ORDER BY n_samples DESC, a.facet, a.source_text
"""

_FACET_INDEX = """
SELECT a.facet, a.term_id, r.sample_key, a.confidence, a.status, a.term_label, a.source_text
FROM annotations a JOIN summary_rows r USING (sample_id)
WHERE a.term_id IS NOT NULL
ORDER BY a.facet, a.term_id, r.sample_key
"""

_FACET_TERMS = """
SELECT i.facet, i.term_id, coalesce(any_value(t.label), any_value(i.term_label)) AS label,
       count(DISTINCT i.sample_key) AS n_samples
FROM facet_index i LEFT JOIN ontology_terms t USING (term_id)
GROUP BY i.facet, i.term_id ORDER BY i.facet, i.term_id
"""

#: Per facet, the fields of its best annotation an export writes (``<facet>_<name>``).
BEST_FIELDS = (("id", "term_id"), ("label", "term_label"), ("confidence", "confidence"),
               ("status", "status"), ("source_text", "source_text"))
#: How an export ranks a facet's annotations: accepted before needs_review, then confidence;
#: ties broken by term id, then source text, so every run (and a rebuild) picks the same row.
BEST_PICK = ("((CASE WHEN status = 'accepted' THEN 2.0 ELSE 0.0 END) + coalesce(confidence, 0), "
             "term_id, source_text)")

#: export_rows from the precomputed facet_index (annotations naming a term, by integer key):
#: per sample key, whether SRA marks the sample inactive, the status of its most confident
#: sample type, and every facet's best annotation as an export writes it (one struct-valued
#: arg_max per facet: a fifth of the work of one arg_max per field).
LIVE_EXPORT_ROWS = f"""
WITH best AS (
    SELECT sample_key, facet,
           arg_max({{{", ".join(f"'{c}': {c}" for _, c in BEST_FIELDS)}}}, pick) AS b
    FROM (SELECT *, {BEST_PICK} AS pick FROM facet_index
          WHERE status IN ('accepted', 'needs_review'))
    GROUP BY sample_key, facet
), piv AS (
    SELECT sample_key, {", ".join(
        f"any_value(b.{col}) FILTER (WHERE facet = '{f}') AS {f}_{name}"
        for f in FACETS for name, col in BEST_FIELDS)}
    FROM best GROUP BY sample_key
), st AS (
    SELECT sample_key, arg_max(status, confidence) AS sample_type_top_status FROM facet_index
    WHERE facet = 'sample_type' GROUP BY sample_key
), gone AS (
    SELECT sample_id FROM sample_status WHERE status IS NOT NULL AND status <> 'live'
)
SELECT r.sample_key, r.sample_id IN (SELECT sample_id FROM gone) AS inactive,
       st.sample_type_top_status, {", ".join(f"piv.{f}_{n}" for f in FACETS for n, _ in BEST_FIELDS)}
FROM summary_rows r LEFT JOIN piv USING (sample_key) LEFT JOIN st USING (sample_key)
ORDER BY r.sample_key
"""

#: (table, query) in build order: facet_index and export_rows need summary_rows' keys
TABLES = (("summary_rows", LIVE_SUMMARY), ("review_rows", LIVE_REVIEW),
          ("facet_index", _FACET_INDEX), ("facet_terms", _FACET_TERMS),
          ("export_rows", LIVE_EXPORT_ROWS))
_META_KEY = "materialized_snapshot"


def has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has the tables of migration 005."""
    return _has_table(con, "summary_rows")


def tissue_ranks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Each tissue (and origin tissue) term in use -> its place in a depth-first walk of the
    ontology (direct parents from ``term_ancestors``; roots and children in id order; a term
    with several parents is placed under the first one walked)."""
    used = [r[0] for r in con.execute(
        "SELECT DISTINCT term_id FROM annotations WHERE facet IN ('tissue', 'origin_tissue') "
        "AND term_id IS NOT NULL").fetchall()]
    edges = con.execute(
        "SELECT term_id, ancestor_id FROM term_ancestors WHERE distance = 1 AND term_id IN "
        "(SELECT ancestor_id FROM term_ancestors WHERE term_id IN "
        "(SELECT unnest(?::VARCHAR[])))", [used]).fetchall()
    children: dict[str, list[str]] = {}
    placed_below: set[str] = set()
    for child, parent in edges:
        children.setdefault(parent, []).append(child)
        placed_below.add(child)
    nodes = set(used) | set(children) | placed_below
    stack = sorted((n for n in nodes if n not in placed_below), reverse=True)
    order: dict[str, int] = {}
    while stack:
        node = stack.pop()
        if node in order:
            continue
        order[node] = len(order)
        stack.extend(sorted(children.get(node, ()), reverse=True))
    return {t: order[t] for t in used}


def _rank_tissues(con: duckdb.DuckDBPyConnection) -> None:
    ranks = tissue_ranks(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TISSUE_RANKS} (term_id VARCHAR, rank INTEGER)")
    if ranks:
        con.execute(f"INSERT INTO {TISSUE_RANKS} SELECT unnest(?::VARCHAR[]), "
                    "unnest(?::INTEGER[])", [list(ranks), list(ranks.values())])


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND table_name = ?", [name]).fetchone()[0])


def has_export_rows(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has ``export_rows`` (migration 007; a reader cannot migrate)."""
    return _has_table(con, "export_rows")


def refresh(con: duckdb.DuckDBPyConnection, snapshot: str) -> None:
    """Rebuild every precomputed table from the live tables, for ``snapshot`` (one transaction).

    Called by the writer right before it publishes; a no-op on a warehouse without them.
    """
    if not has_tables(con):
        return
    con.begin()
    try:
        _rank_tissues(con)
        for table, query in TABLES:
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} {query}")
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [_META_KEY, snapshot])
        con.execute(f"DROP TABLE {TISSUE_RANKS}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the precomputed tables hold this snapshot's rows (readers use them only then)."""
    if not has_tables(con):
        return False
    rows = con.execute("SELECT (SELECT value FROM meta WHERE key = ?) = "
                       "(SELECT value FROM meta WHERE key = 'snapshot_id')",
                       [_META_KEY]).fetchall()
    return bool(rows and rows[0][0])
