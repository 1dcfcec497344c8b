"""Cohort export: samples matching ontology terms (with descendants) plus a reproducible manifest.

Facets combine with AND; several values of one facet combine with OR. Every value reaches
DuckDB as a parameter; only facet names from :data:`~harmonize.models.FACETS` shape the SQL.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from harmonize.errors import ConfigError
from harmonize.models import FACETS
from harmonize.warehouse.db import connect_read, resolve_path, snapshot_id, utcnow
from harmonize.warehouse.lookup import resolve_term, with_descendants

WRITERS = {
    ".tsv": lambda df, p: df.to_csv(p, sep="\t", index=False),
    ".csv": lambda df, p: df.to_csv(p, index=False),
    ".parquet": lambda df, p: df.to_parquet(p, index=False),
}
ACCESSION_COLUMNS = (("gsm", "gsm"), ("srx", "srx"), ("srs", "srs"), ("srr", "srr"),
                     ("gse", "gse"), ("srp", "srp"), ("biosample", "biosample"),
                     ("bioproject", "bioproject"))
STATUS_SETS = {"accepted": ["accepted"], "needs_review": ["needs_review"],
               "any": ["accepted", "needs_review"]}


@dataclass(slots=True)
class ExportResult:
    """Where the cohort went and what it holds."""

    out_path: Path
    manifest_path: Path
    n_samples: int
    n_runs: int
    sha256: str
    resolved: dict[str, dict[str, str]] = field(default_factory=dict)


def _check_output(out_path: Path) -> str:
    ext = out_path.suffix.lower()
    if ext not in WRITERS:
        raise ConfigError(f"cannot export to {out_path}: unknown extension {ext or '(none)'!r}; "
                          f"use one of {', '.join(WRITERS)}")
    if not out_path.parent.is_dir():
        raise ConfigError(f"cannot export to {out_path}: folder {out_path.parent} does not exist")
    return ext


def _statuses(status: str | list[str]) -> list[str]:
    if isinstance(status, str):
        if status not in STATUS_SETS:
            raise ConfigError(f"unknown status {status!r}; use one of {', '.join(STATUS_SETS)}")
        return STATUS_SETS[status]
    return list(status)


def cohort_sql(facets: list[str]) -> str:
    """The export query for the requested facets (parameters in :func:`cohort_params` order)."""
    ctes = []
    for f in facets:
        ctes.append(
            f"f_{f} AS (SELECT sample_id, arg_max(term_id, confidence) AS term_id, "
            f"arg_max(term_label, confidence) AS label, max(confidence) AS confidence, "
            f"arg_max(source_text, confidence) AS source_text FROM annotations "
            f"WHERE facet = ? AND term_id IN (SELECT unnest(?::VARCHAR[])) AND confidence >= ? "
            f"AND status IN (SELECT unnest(?::VARCHAR[])) GROUP BY sample_id)")
    joins = " ".join(f"JOIN f_{f} USING (sample_id)" for f in facets)
    facet_cols = ", ".join(
        f"f_{f}.term_id AS {f}_term_id, f_{f}.label AS {f}_label, "
        f"f_{f}.confidence AS {f}_confidence, f_{f}.source_text AS {f}_source_text"
        for f in facets)
    ctes.append(
        f"sel AS (SELECT s.sample_id, s.organism, s.taxon_id{', ' + facet_cols if facets else ''} "
        f"FROM samples s {joins} "
        "WHERE (?::VARCHAR IS NULL OR lower(s.organism) = lower(?) "
        "OR CAST(s.taxon_id AS VARCHAR) = ?) "
        "AND (?::VARCHAR IS NULL OR list_contains(s.sources, ?)) "
        # suppressed / withdrawn / unpublished in SRA_Accessions.tab: out unless asked for
        "AND (?::BOOLEAN OR s.sample_id NOT IN (SELECT sample_id FROM sample_status "
        "WHERE status IS NOT NULL AND status <> 'live')))")
    # one grouping by (sample, kind), then a pivot: far cheaper than a DISTINCT aggregate per kind
    ctes.append("acc_kind AS (SELECT sample_id, kind, string_agg(accession, ';' "
                "ORDER BY accession) AS accs FROM sample_accessions "
                "WHERE sample_id IN (SELECT sample_id FROM sel) GROUP BY sample_id, kind)")
    acc_cols = ", ".join(f"any_value(accs) FILTER (WHERE kind = '{kind}') AS {name}"
                         for name, kind in ACCESSION_COLUMNS)
    ctes.append(f"acc AS (SELECT sample_id, {acc_cols} FROM acc_kind GROUP BY sample_id)")
    names = ", ".join(f"acc.{n}" for n, _ in ACCESSION_COLUMNS)
    return (f"WITH {', '.join(ctes)} SELECT sel.sample_id, {names}, sel.* EXCLUDE (sample_id) "
            "FROM sel LEFT JOIN acc USING (sample_id) ORDER BY sel.sample_id")


def cohort_params(expanded: dict[str, list[str]], min_confidence: float, statuses: list[str],
                  organism: str | None, source: str | None, include_inactive: bool = False
                  ) -> list[Any]:
    """Parameters for :func:`cohort_sql`, in placeholder order."""
    params: list[Any] = []
    for facet, ids in expanded.items():
        params += [facet, ids, min_confidence, statuses]
    return params + [organism, organism, organism, source, source, include_inactive]


def export_cohort(path: str | Path | None, out_path: str | Path, *,
                  tissue: list[str] = (), disease: list[str] = (), cell_type: list[str] = (),
                  cell_line: list[str] = (), sex: list[str] = (), dev_stage: list[str] = (),
                  assay: list[str] = (), organism: str | None = None, source: str | None = None,
                  min_confidence: float = 0.5, status: str | list[str] = "accepted",
                  descendants: bool = True, include_inactive: bool = False) -> ExportResult:
    """Write the samples matching every facet filter to ``out_path`` (.tsv/.csv/.parquet).

    Terms are CURIEs or labels/synonyms; with ``descendants`` a term also matches every term
    below it. A manifest ``<out_path>.manifest.json`` records the query, resolved terms,
    counts, ontology/lexicon versions, harmonize version, warehouse snapshot and sha256.
    Samples that SRA_Accessions.tab marks suppressed, withdrawn or unpublished are left out
    unless ``include_inactive``.

    Raises:
        ConfigError: bad output path/extension or status.
        OntologyError / AmbiguousTermError: a term that names nothing or several things.
    """
    out = Path(out_path)
    _check_output(out)
    statuses = _statuses(status)
    filters = {"tissue": tissue, "disease": disease, "cell_type": cell_type,
               "cell_line": cell_line, "sex": sex, "dev_stage": dev_stage, "assay": assay}
    requested = {f: [filters[f]] if isinstance(filters[f], str) else list(filters[f])
                 for f in FACETS if filters.get(f)}
    con = connect_read(path)
    try:
        resolved = {f: {v: resolve_term(con, f, v) for v in values}
                    for f, values in requested.items()}
        expanded = {f: (with_descendants(con, sorted(set(ids.values()))) if descendants
                        else sorted(set(ids.values()))) for f, ids in resolved.items()}
        df = con.execute(cohort_sql(list(expanded)),
                         cohort_params(expanded, min_confidence, statuses, organism, source,
                                       include_inactive)).df()
        manifest = _manifest(con, path, out, requested, resolved, expanded, df,
                             dict(organism=organism, source=source, min_confidence=min_confidence,
                                  status=statuses, descendants=descendants,
                                  include_inactive=include_inactive))
    finally:
        con.close()
    WRITERS[out.suffix.lower()](df, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    manifest["output"]["sha256"] = digest
    manifest_path = out.with_name(out.name + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return ExportResult(out, manifest_path, manifest["counts"]["samples"],
                        manifest["counts"]["runs"], digest, resolved)


def _n_runs(df: pd.DataFrame) -> int:
    return int(sum(len(str(v).split(";")) for v in df["srr"] if isinstance(v, str) and v))


def _manifest(con: duckdb.DuckDBPyConnection, path, out: Path, requested, resolved, expanded,
              df: pd.DataFrame, options: dict[str, Any]) -> dict[str, Any]:
    ontologies = {o: v for o, v in con.execute(
        "SELECT ontology, max(version) FROM ontology_terms GROUP BY ontology ORDER BY ontology"
    ).fetchall()}
    lexicons = [r[0] for r in con.execute(
        "SELECT DISTINCT lexicon_version FROM annotated_samples WHERE sample_id IN "
        "(SELECT unnest(?::VARCHAR[])) AND lexicon_version <> '' ORDER BY 1",
        [list(df["sample_id"])]).fetchall()]
    try:
        version = metadata.version("harmonize")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "query": {"filters": requested, "resolved_terms": resolved,
                  "expanded_term_counts": {f: len(ids) for f, ids in expanded.items()},
                  **options},
        "counts": {"samples": int(len(df)), "runs": _n_runs(df)},
        "versions": {"ontologies": ontologies, "lexicon": lexicons, "harmonize": version},
        "warehouse": {"path": str(resolve_path(path).resolve()), "snapshot_id": snapshot_id(con)},
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "output": {"path": str(out), "format": out.suffix.lower().lstrip("."),
                   "columns": list(df.columns)},
    }


def result_dict(result: ExportResult) -> dict[str, Any]:
    """An :class:`ExportResult` as a JSON-ready dict (for the CLI)."""
    d = asdict(result)
    d["out_path"], d["manifest_path"] = str(result.out_path), str(result.manifest_path)
    return d
