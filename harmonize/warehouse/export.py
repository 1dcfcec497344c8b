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

from harmonize.errors import AmbiguousTermError, ConfigError, OntologyError
from harmonize.models import FACETS
from harmonize.warehouse import materialize
from harmonize.warehouse.db import connect_read, resolve_path, snapshot_id, utcnow
from harmonize.warehouse.lookup import (
    check_facet_term,
    closest_labels,
    resolve_term,
    used_terms,
    with_descendants,
)

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
        "AND (?::VARCHAR IS NULL OR list_contains(s.sources, ?)))")
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


#: arg_max key with no ties, so equal confidences pick the same row on every run
_PICK = "(confidence, term_id, source_text)"


def indexed_cohort_sql(facets: list[str]) -> str:
    """:func:`cohort_sql` over the tables precomputed at publish (same rows, same parameters).

    Each facet filter reads its facet's rows of ``facet_index`` (sorted by facet and term); the
    samples every filter matched are found first, so only their annotations are ranked and
    only their ``summary_rows`` (accessions, organism, sources) are read, by integer key.
    """
    where = ("(?::VARCHAR IS NULL OR lower(r.organism) = lower(?) "
             "OR CAST(r.taxon_id AS VARCHAR) = ?) "
             "AND (?::VARCHAR IS NULL OR list_contains(r.sources, ?))")
    names = ", ".join(f"r.{n}" for n, _ in ACCESSION_COLUMNS)
    head = f"SELECT r.sample_id, {names}, r.organism, r.taxon_id"
    if not facets:
        return f"{head} FROM summary_rows r WHERE {where} ORDER BY r.sample_key"
    matches = [f"m_{f} AS (SELECT sample_key, term_id, term_label, confidence, source_text "
               f"FROM facet_index WHERE facet = ? AND term_id IN (SELECT unnest(?::VARCHAR[])) "
               f"AND confidence >= ? AND status IN (SELECT unnest(?::VARCHAR[])))"
               for f in facets]
    keys = " INTERSECT ".join(f"SELECT sample_key FROM m_{f}" for f in facets)
    best = [f"f_{f} AS (SELECT sample_key, arg_max(term_id, k) AS term_id, "
            f"arg_max(term_label, k) AS label, max(confidence) AS confidence, "
            f"arg_max(source_text, k) AS source_text FROM (SELECT *, {_PICK} AS k FROM m_{f} "
            f"WHERE sample_key IN (SELECT sample_key FROM keys)) GROUP BY sample_key)"
            for f in facets]
    joins = " ".join(f"JOIN f_{f} USING (sample_key)" for f in facets)
    facet_cols = "".join(
        f", f_{f}.term_id AS {f}_term_id, f_{f}.label AS {f}_label, "
        f"f_{f}.confidence AS {f}_confidence, f_{f}.source_text AS {f}_source_text"
        for f in facets)
    return (f"WITH {', '.join(matches)}, keys AS ({keys}), {', '.join(best)} "
            f"{head}{facet_cols} FROM summary_rows r {joins} "
            f"WHERE r.sample_key IN (SELECT sample_key FROM keys) AND {where} "
            "ORDER BY r.sample_key")


def cohort_params(expanded: dict[str, list[str]], min_confidence: float, statuses: list[str],
                  organism: str | None, source: str | None) -> list[Any]:
    """Parameters for :func:`cohort_sql`, in placeholder order."""
    params: list[Any] = []
    for facet, ids in expanded.items():
        params += [facet, ids, min_confidence, statuses]
    return params + [organism, organism, organism, source, source]


def export_cohort(path: str | Path | None, out_path: str | Path, *,
                  tissue: list[str] = (), disease: list[str] = (), cell_type: list[str] = (),
                  cell_line: list[str] = (), sex: list[str] = (), dev_stage: list[str] = (),
                  assay: list[str] = (), organism: str | None = None, source: str | None = None,
                  min_confidence: float = 0.5, status: str | list[str] = "accepted",
                  descendants: bool = True) -> ExportResult:
    """Write the samples matching every facet filter to ``out_path`` (.tsv/.csv/.parquet).

    Terms are CURIEs or labels/synonyms; with ``descendants`` a term also matches every term
    below it. A manifest ``<out_path>.manifest.json`` records the query, resolved terms,
    counts, ontology/lexicon versions, harmonize version, warehouse snapshot and sha256.

    Raises:
        ConfigError: bad output path/extension or status.
        OntologyError / AmbiguousTermError: a term that names nothing or several things.
    """
    out = Path(out_path)
    _check_output(out)
    _check_confidence(min_confidence)
    statuses = _statuses(status)
    filters = {"tissue": tissue, "disease": disease, "cell_type": cell_type,
               "cell_line": cell_line, "sex": sex, "dev_stage": dev_stage, "assay": assay}
    requested = {f: [filters[f]] if isinstance(filters[f], str) else list(filters[f])
                 for f in FACETS if filters.get(f)}
    con = connect_read(path)
    try:
        resolved, expanded = _resolve_filters(con, requested, descendants)
        query = indexed_cohort_sql if materialize.is_current(con) else cohort_sql
        df = con.execute(query(list(expanded)),
                         cohort_params(expanded, min_confidence, statuses, organism, source)).df()
        manifest = _manifest(con, path, out, requested, resolved, expanded, df,
                             dict(organism=organism, source=source, min_confidence=min_confidence,
                                  status=statuses, descendants=descendants))
    finally:
        con.close()
    WRITERS[out.suffix.lower()](df, out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    manifest["output"]["sha256"] = digest
    manifest_path = out.with_name(out.name + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return ExportResult(out, manifest_path, manifest["counts"]["samples"],
                        manifest["counts"]["runs"], digest, resolved)


def _check_confidence(value: float) -> None:
    if not 0.0 <= value <= 1.0:  # NaN fails too
        raise ConfigError(f"--min-confidence {value} is outside 0..1 (confidences are "
                          "probabilities; e.g. 0.8)")


def _resolve_filters(con: duckdb.DuckDBPyConnection, requested: dict[str, list[str]],
                     descendants: bool) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Each facet value -> its term, checked against the facet; each facet -> the term ids to match.

    Raises:
        OntologyError: a value naming no term, a term of another facet's ontology, or a term
            that no annotation of the facet uses, itself or below it (lists the closest labels
            in use).
    """
    resolved: dict[str, dict[str, str]] = {}
    expanded: dict[str, list[str]] = {}
    for facet, values in requested.items():
        resolved[facet], ids = {}, set()
        for value in values:
            term = _resolve_one(con, facet, value)
            check_facet_term(con, facet, term, value)
            below = with_descendants(con, [term]) if descendants else [term]
            _check_used(con, facet, value, term, below, descendants)
            resolved[facet][value] = term
            ids.update(below)
        expanded[facet] = sorted(ids)
    return resolved, expanded


def _resolve_one(con: duckdb.DuckDBPyConnection, facet: str, value: str) -> str:
    try:
        return resolve_term(con, facet, value)
    except AmbiguousTermError:
        raise
    except OntologyError as exc:
        closest = closest_labels(used_terms(con, facet), value)
        raise OntologyError(f"{exc}" + (f"; closest {facet} labels in use: {closest}"
                                        if closest else "")) from exc


def _check_used(con: duckdb.DuckDBPyConnection, facet: str, value: str, term: str,
                ids: list[str], descendants: bool) -> None:
    used = used_terms(con, facet)
    if {t for t, _, _ in used} & set(ids):
        return
    label = next((lbl for t, lbl in con.execute(
        "SELECT term_id, label FROM ontology_terms WHERE term_id = ?", [term]).fetchall()), None)
    named = f"{value!r}" + (f" ({term}{' ' + label if label else ''})" if value != term
                            else f" ({label})" if label else "")
    closest = closest_labels(used, value if value != term else (label or term))
    scope = "or any term below it" if descendants else "(--exact: terms below it not included)"
    raise OntologyError(
        f"no sample has a {facet} annotation {named} {scope}; "
        + (f"closest {facet} labels in use: {closest}" if closest
           else f"no sample has any {facet} annotation yet"))


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
