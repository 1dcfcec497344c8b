"""Cohort export: samples matching ontology terms (with descendants) plus a reproducible manifest.

Facets combine with AND; several values of one facet combine with OR. Every value reaches
DuckDB as a parameter; only facet names from :data:`~harmonize.models.FACETS` shape the SQL.
Each row carries every facet's best annotation (as ``sample_summary``) and, per filtered facet,
the annotation that matched. The manifest keeps what a rebuild needs (:mod:`.rebuild`): the exact
SQL and parameters, the expanded term ids, the sample ids with per-part digests of their rows,
versions, the command line and the sha256 of the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from harmonize.errors import AmbiguousTermError, ConfigError, OntologyError
from harmonize.ground.sample_type import ORIGIN_FACET
from harmonize.ground.sample_type_features import CULTURED, SAMPLE_TYPES
from harmonize.models import FACETS
from harmonize.warehouse import materialize, render
from harmonize.warehouse.cohort_state import DIGEST_HEX, cohort_state, digest_groups, state_digest
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
#: Output formats; ``fetchngs`` is the run list nf-core/fetchngs reads as ``--input``.
FORMATS = ("tsv", "csv", "parquet", "fetchngs")
FETCHNGS_SUFFIXES = (".csv", ".tsv", ".txt")  # what fetchngs' --input schema accepts
RUN_ACCESSION = re.compile(r"^[SED]RR\d+$")
MANIFEST_VERSION = 2
#: Per facet, from its best annotation (sample_summary's columns, plus status and source text).
BEST_FIELDS = materialize.BEST_FIELDS


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


def _active(alias: str) -> str:
    """Filter out samples SRA_Accessions.tab marks suppressed / withdrawn / unpublished, unless
    its one BOOLEAN parameter (``include_inactive``) is true."""
    return (f"(?::BOOLEAN OR {alias}.sample_id NOT IN (SELECT sample_id FROM sample_status "
            "WHERE status IS NOT NULL AND status <> 'live'))")


def sample_types(requested: list[str] | tuple[str, ...] | None,
                 tissue: bool) -> tuple[list[str] | None, bool]:
    """``(types kept, untyped samples kept)`` of a cohort.

    ``requested`` names sample types (``cultured`` = every type grown in a dish, ``all`` = any
    type); none requested keeps every sample, except that a tissue filter then leaves out
    samples typed as cultured with an accepted type (a cell line's organ is its origin, not its
    tissue). Samples without a sample_type annotation (grounded before the facet existed) or
    whose type is only ``needs_review`` (their tissue stays a tissue) stay only by default.

    Raises:
        ConfigError: an unknown sample type.
    """
    if not requested:
        return (sorted(set(SAMPLE_TYPES) - CULTURED), True) if tissue else (None, True)
    out: set[str] = set()
    for t in requested:
        key = t.strip().lower().replace("-", "_").replace(" ", "_")
        if key in ("all", "any"):
            out |= set(SAMPLE_TYPES)
        elif key == "cultured":
            out |= CULTURED
        elif key in SAMPLE_TYPES:
            out.add(key)
        else:
            raise ConfigError(f"unknown sample type {t!r}; use one of {', '.join(SAMPLE_TYPES)}, "
                              "'cultured' or 'all'")
    return sorted(out), False


def cohort_sql(facets: list[str]) -> str:
    """The export query for the requested facets (parameters in :func:`cohort_params` order)."""
    ctes = []
    for f in facets:
        ctes.append(
            f"f_{f} AS (SELECT sample_id, arg_max(term_id, confidence) AS term_id, "
            f"arg_max(term_label, confidence) AS label, max(confidence) AS confidence, "
            f"arg_max(source_text, confidence) AS source_text FROM annotations "
            f"WHERE list_contains(?::VARCHAR[], facet) AND term_id IN (SELECT unnest(?::VARCHAR[])) "
            f"AND confidence >= ? "
            f"AND status IN (SELECT unnest(?::VARCHAR[])) GROUP BY sample_id)")
    joins = " ".join(f"JOIN f_{f} USING (sample_id)" for f in facets)
    facet_cols = ", ".join(
        f"f_{f}.term_id AS {f}_term_id, f_{f}.label AS {f}_label, "
        f"f_{f}.confidence AS {f}_confidence, f_{f}.source_text AS {f}_source_text"
        for f in facets)
    ctes.append("st AS (SELECT sample_id, arg_max(term_id, confidence) AS sample_type, "
                "max(confidence) AS sample_type_confidence, "
                "arg_max(status, confidence) AS sample_type_status FROM annotations "
                "WHERE facet = 'sample_type' AND term_id IS NOT NULL GROUP BY sample_id)")
    ctes.append(
        f"sel AS (SELECT s.sample_id, s.organism, s.taxon_id{', ' + facet_cols if facets else ''}"
        f", st.sample_type, st.sample_type_confidence, st.sample_type_status "
        f"FROM samples s {joins} "
        "LEFT JOIN st USING (sample_id) "
        "WHERE (?::VARCHAR IS NULL OR lower(s.organism) = lower(?) "
        "OR CAST(s.taxon_id AS VARCHAR) = ?) "
        "AND (?::VARCHAR IS NULL OR list_contains(s.sources, ?)) "
        "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], st.sample_type) "
        "OR (? AND (st.sample_type IS NULL OR st.sample_type_status <> 'accepted'))) "
        f"AND {_active('s')})")
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
             "AND (?::VARCHAR IS NULL OR list_contains(r.sources, ?)) "
             "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], r.sample_type_id) "
             "OR (? AND (r.sample_type_id IS NULL OR st.sample_type_status <> 'accepted'))) "
             f"AND {_active('r')}")
    names = ", ".join(f"r.{n}" for n, _ in ACCESSION_COLUMNS)
    head = f"SELECT r.sample_id, {names}, r.organism, r.taxon_id"
    tail = (", r.sample_type_id AS sample_type, r.sample_type_confidence, "
            "st.sample_type_status")
    st = ("st AS (SELECT sample_key, arg_max(status, confidence) AS sample_type_status "
          "FROM facet_index WHERE facet = 'sample_type' GROUP BY sample_key)")
    if not facets:
        return (f"WITH {st} {head}{tail} FROM summary_rows r LEFT JOIN st USING (sample_key) "
                f"WHERE {where} ORDER BY r.sample_id")
    matches = [f"m_{f} AS (SELECT sample_key, term_id, term_label, confidence, source_text "
               f"FROM facet_index WHERE list_contains(?::VARCHAR[], facet) "
               f"AND term_id IN (SELECT unnest(?::VARCHAR[])) "
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
    return (f"WITH {', '.join(matches)}, keys AS ({keys}), {', '.join(best)}, {st} "
            f"{head}{facet_cols}{tail} FROM summary_rows r {joins} LEFT JOIN st USING (sample_key) "
            f"WHERE r.sample_key IN (SELECT sample_key FROM keys) AND {where} "
            "ORDER BY r.sample_id")


def precomputed_export_sql(facets: list[str]) -> str:
    """:func:`export_sql` over the tables precomputed at publish (same rows, same parameters).

    Each facet filter reads its facet's rows of ``facet_index``; the sample keys every filter
    matched are joined once to ``summary_rows`` (accessions, organism, sources, sample type)
    and ``export_rows`` (every facet's best annotation, sample-type status, SRA status), then
    the remaining filters apply; per filtered facet the best matching annotation of the rows
    already read gives ``matched_<facet>_*``. Nothing is re-ranked or re-aggregated per query.
    """
    where = ("(?::VARCHAR IS NULL OR lower(r.organism) = lower(?) "
             "OR CAST(r.taxon_id AS VARCHAR) = ?) "
             "AND (?::VARCHAR IS NULL OR list_contains(r.sources, ?)) "
             "AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], r.sample_type_id) "
             "OR (? AND (r.sample_type_id IS NULL OR e.sample_type_top_status <> 'accepted'))) "
             "AND (?::BOOLEAN OR NOT e.inactive)")
    accs = ", ".join(f"r.{n}" for n, _ in ACCESSION_COLUMNS)
    best = ", ".join(f"e.{f}_{name}" for f in FACETS for name, _ in BEST_FIELDS)
    ctes = [f"m_{f} AS (SELECT sample_key, facet, term_id, term_label, confidence, status, "
            "source_text FROM facet_index WHERE list_contains(?::VARCHAR[], facet) "
            "AND term_id IN (SELECT unnest(?::VARCHAR[])) AND confidence >= ? "
            "AND status IN (SELECT unnest(?::VARCHAR[])))" for f in facets]
    if facets:
        ctes.append("keys AS (" + " INTERSECT ".join(f"SELECT DISTINCT sample_key FROM m_{f}"
                                                      for f in facets) + ")")
        source = "keys JOIN summary_rows r USING (sample_key)"
    else:
        source = "summary_rows r"
    ctes.append(f"sel AS (SELECT r.sample_key, r.sample_id, {accs}, r.organism, r.taxon_id, "
                f"{best} FROM {source} JOIN export_rows e USING (sample_key) WHERE {where})")
    pick = ", ".join(f"arg_max({col}, k) AS {col}" for _, col in BEST_FIELDS)
    ctes += [f"x_{f} AS (SELECT sample_key, {pick} FROM (SELECT *, (confidence, term_id, "
             f"source_text) AS k FROM m_{f} WHERE facet = ? AND term_id IN "
             "(SELECT unnest(?::VARCHAR[])) AND confidence >= ? AND status IN "
             "(SELECT unnest(?::VARCHAR[])) AND sample_key IN (SELECT sample_key FROM sel)) "
             "GROUP BY sample_key)" for f in facets]
    matched = "".join(f", x_{f}.{col} AS matched_{f}_{name}" for f in facets
                      for name, col in BEST_FIELDS)
    joins = "".join(f" LEFT JOIN x_{f} USING (sample_key)" for f in facets)
    return (f"WITH {', '.join(ctes)} SELECT sel.* EXCLUDE (sample_key){matched} FROM sel"
            f"{joins} ORDER BY sel.sample_id")


def cohort_params(expanded: dict[str, list[str]], min_confidence: float, statuses: list[str],
                  organism: str | None, source: str | None,
                  types: list[str] | None = None, untyped: bool = True,
                  include_inactive: bool = False) -> list[Any]:
    """Parameters for :func:`cohort_sql`, in placeholder order.

    ``types``/``untyped`` come from :func:`sample_types`; when the kept types include cultured
    ones, a tissue filter also matches the ``origin_tissue`` of those samples. Suppressed,
    withdrawn or unpublished samples stay only with ``include_inactive``."""
    params: list[Any] = []
    origin = bool(types) and bool(CULTURED & set(types))
    for facet, ids in expanded.items():
        params += [[facet, ORIGIN_FACET] if facet == "tissue" and origin else [facet], ids,
                   min_confidence, statuses]
    return params + [organism, organism, organism, source, source, types, types, untyped,
                     include_inactive]


def export_sql(facets: list[str], base: Callable[[list[str]], str] | None = None) -> str:
    """The export query: :func:`cohort_sql`'s samples with every facet's best annotation.

    One scan gathers the cohort's annotations; from them come each facet's best annotation
    (``best_annotations``' choice: accepted before needs_review, then the highest confidence)
    and, per filtered facet, the best annotation that matched the filter (``matched_<facet>_*``).
    Ties are broken by term id and source text, so a rebuild picks the same rows. Parameters:
    :func:`export_params`. ``base`` builds the cohort part (:func:`indexed_cohort_sql` when the
    precomputed tables are current: the same rows, faster).
    """
    rank = "(CASE WHEN status = 'accepted' THEN 2.0 ELSE 0.0 END) + coalesce(confidence, 0)"
    pick = ", ".join(f"arg_max({col}, pick) AS {col}" for _, col in BEST_FIELDS)
    ctes = [
        f"cohort AS ({(base or cohort_sql)(facets)})",
        ("ann AS MATERIALIZED (SELECT sample_id, facet, term_id, term_label, confidence, "
         "status, source_text FROM annotations WHERE sample_id IN (SELECT sample_id FROM cohort))"),
        (f"best AS (SELECT sample_id, facet, {pick} FROM (SELECT *, ({rank}, term_id, "
         "source_text) AS pick FROM ann WHERE term_id IS NOT NULL AND status IN "
         "('accepted', 'needs_review')) GROUP BY sample_id, facet)"),
        "piv AS (SELECT sample_id, " + ", ".join(
            f"any_value({col}) FILTER (WHERE facet = '{f}') AS {f}_{name}"
            for f in FACETS for name, col in BEST_FIELDS) + " FROM best GROUP BY sample_id)",
    ]
    ctes += [f"m_{f} AS (SELECT sample_id, {pick} FROM (SELECT *, (confidence, term_id, "
             "source_text) AS pick FROM ann WHERE facet = ? AND term_id IN "
             "(SELECT unnest(?::VARCHAR[])) AND confidence >= ? AND status IN "
             "(SELECT unnest(?::VARCHAR[]))) GROUP BY sample_id)" for f in facets]
    accs = ", ".join(f"c.{n}" for n, _ in ACCESSION_COLUMNS)
    best_cols = ", ".join(f"piv.{f}_{name}" for f in FACETS for name, _ in BEST_FIELDS)
    matched = "".join(f", m_{f}.{col} AS matched_{f}_{name}" for f in facets
                      for name, col in BEST_FIELDS)
    joins = "".join(f" LEFT JOIN m_{f} USING (sample_id)" for f in facets)
    return (f"WITH {', '.join(ctes)} SELECT c.sample_id, {accs}, c.organism, c.taxon_id, "
            f"{best_cols}{matched} FROM cohort c LEFT JOIN piv USING (sample_id){joins} "
            "ORDER BY c.sample_id")


def choose_export_sql(con: duckdb.DuckDBPyConnection, facets: list[str]) -> str:
    """The fastest export query this warehouse can answer (all give the same rows):
    :func:`precomputed_export_sql` when the tables precomputed at publish are current and
    include ``export_rows``; else :func:`export_sql` over the older precomputed tables; else
    over the live tables (a warehouse published by an older harmonize)."""
    if not materialize.is_current(con):
        return export_sql(facets)
    if materialize.has_export_rows(con):
        return precomputed_export_sql(facets)
    return export_sql(facets, indexed_cohort_sql)


def export_params(expanded: dict[str, list[str]], min_confidence: float, statuses: list[str],
                  organism: str | None, source: str | None, types: list[str] | None = None,
                  untyped: bool = True, include_inactive: bool = False) -> list[Any]:
    """Parameters for :func:`export_sql`: :func:`cohort_params`, then the filters once more."""
    again = [p for facet, ids in expanded.items()
             for p in (facet, ids, min_confidence, statuses)]
    return cohort_params(expanded, min_confidence, statuses, organism, source, types,
                         untyped, include_inactive) + again


def output_format(out: Path, fmt: str | None = None) -> str:
    """The format to write ``out`` in (from ``fmt`` or the extension), checked against the path.

    Raises:
        ConfigError: unknown format or extension, a mismatch, or a missing folder.
    """
    if fmt == "fetchngs":
        if out.suffix.lower() not in FETCHNGS_SUFFIXES:
            raise ConfigError(f"cannot write a fetchngs run list to {out}: nf-core/fetchngs "
                              f"--input must end in {', '.join(FETCHNGS_SUFFIXES)}")
        if not out.parent.is_dir():
            raise ConfigError(f"cannot export to {out}: folder {out.parent} does not exist")
        return fmt
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    ext = _check_output(out)
    if fmt is not None and ext != f".{fmt}":
        raise ConfigError(f"cannot write {fmt} to {out}: the extension says {ext.lstrip('.')} "
                          f"(name the file .{fmt})")
    return ext.lstrip(".")


def run_accessions(df: pd.DataFrame) -> list[str]:
    """The cohort's run accessions (SRR/ERR/DRR), in row order, each once."""
    return runs_of(df["srr"].tolist())


def runs_of(srr: list[Any]) -> list[str]:
    """The run accessions (SRR/ERR/DRR) of ``srr`` cells (``;``-joined), in order, each once."""
    runs: dict[str, None] = {}
    for value in srr:
        if isinstance(value, str):
            for acc in value.split(";"):
                if RUN_ACCESSION.match(acc):
                    runs.setdefault(acc)
    return list(runs)


def stage_output(df: pd.DataFrame, out: Path, fmt: str) -> tuple[Path, str]:
    """Write ``df`` as ``fmt`` beside ``out`` (a hidden partial file); return it and its sha256.

    Raises:
        ConfigError: fetchngs for a cohort without any run accession (nothing is written).
    """
    runs = run_accessions(df) if fmt == "fetchngs" else []
    return _stage(out, fmt, len(df), runs, lambda tmp: WRITERS[f".{fmt}"](df, tmp))


def _stage(out: Path, fmt: str, n_rows: int, runs: list[str],
           write: Callable[[Path], None]) -> tuple[Path, str]:
    """Write the file beside ``out`` (``write`` for a table format, ``runs`` for fetchngs)."""
    if fmt == "fetchngs" and not runs:
        raise ConfigError(f"no run accession (SRR/ERR/DRR) among the {n_rows} samples of this "
                          f"cohort: nothing for fetchngs in {out}; export .tsv to see them")
    tmp = out.with_name(f".{out.name}.partial")
    try:
        if fmt == "fetchngs":
            tmp.write_text("".join(f"{r}\n" for r in runs), encoding="ascii")
        else:
            write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, hashlib.sha256(tmp.read_bytes()).hexdigest()


#: The table an export's rows are gathered in: in the in-memory database of the reader's own
#: connection (not TEMP), so a second cursor can render it while the first does.
COHORT_TABLE = "memory.main._harmonize_cohort"
SEPARATORS = {"tsv": "\t", "csv": ","}


@dataclass(slots=True)
class CohortRows:
    """An export's rows, held in :data:`COHORT_TABLE`: what the manifest and writers need."""

    columns: list[str]
    sample_ids: list[str]
    srr: list[Any]
    state: dict[str, Any]
    text: str | None  # the TSV/CSV text rendered in DuckDB (:mod:`.render`), else via pandas


def gather(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any],
           fmt: str = "tsv") -> CohortRows:
    """Run the export query into :data:`COHORT_TABLE`; digest its rows and, for TSV/CSV,
    render its text, in one pass in DuckDB (through pandas for columns it cannot render)."""
    con.execute(f"CREATE OR REPLACE TABLE {COHORT_TABLE} AS {sql}", params)
    cols = render.columns(con, COHORT_TABLE)
    names = [n for n, _ in cols]
    srr = "srr" if "srr" in names else "NULL"
    rows = con.execute(f"SELECT CAST(sample_id AS VARCHAR), {srr} FROM {COHORT_TABLE} "
                       "ORDER BY rowid").fetchall()
    ids = [r[0] for r in rows]
    groups = digest_groups(names, len(ids))
    if render.renderable(cols):
        text, digests = _render(con, SEPARATORS.get(fmt), groups)
        state = {"samples": ids, "parts": groups, "digests": digests,
                 "state_sha256": state_digest(ids, digests)}
        return CohortRows(names, ids, [r[1] for r in rows], state, text)
    return CohortRows(names, ids, [r[1] for r in rows], cohort_state(_frame(con)), None)


def _render(con: duckdb.DuckDBPyConnection, sep: str | None,
            groups: dict[str, list[str]]) -> tuple[str | None, dict[str, list[str]]]:
    """The text (with ``sep``) and the row digests, rendered at once on two cursors (a table
    of a few thousand rows is one row group: DuckDB reads it on one thread)."""
    if sep is None:
        return None, render.digests(con, COHORT_TABLE, groups, DIGEST_HEX)
    cursor = con.cursor()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            digests = pool.submit(render.digests, cursor, COHORT_TABLE, groups, DIGEST_HEX)
            text = render.text(con, COHORT_TABLE, sep)
            return text, digests.result()
    finally:
        cursor.close()


def _frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {COHORT_TABLE} ORDER BY rowid").df()


def stage_cohort(con: duckdb.DuckDBPyConnection, rows: CohortRows, out: Path,
                 fmt: str) -> tuple[Path, str]:
    """Write the gathered rows as ``fmt`` beside ``out`` (a hidden partial file); return it and
    its sha256. TSV/CSV text comes from DuckDB (:mod:`.render`, the bytes pandas writes).

    Raises:
        ConfigError: fetchngs for a cohort without any run accession (nothing is written).
    """
    runs = runs_of(rows.srr) if fmt == "fetchngs" else []
    if fmt in SEPARATORS and rows.text is not None:
        body = rows.text.encode("utf-8")
        return _stage(out, fmt, len(rows.sample_ids), runs, lambda tmp: tmp.write_bytes(body))
    df = _frame(con) if fmt != "fetchngs" else None
    return _stage(out, fmt, len(rows.sample_ids), runs,
                  lambda tmp: WRITERS[f".{fmt}"](df, tmp))


def export_cohort(path: str | Path | None, out_path: str | Path, *,
                  tissue: list[str] = (), disease: list[str] = (), cell_type: list[str] = (),
                  cell_line: list[str] = (), sex: list[str] = (), dev_stage: list[str] = (),
                  assay: list[str] = (), organism: str | None = None, source: str | None = None,
                  min_confidence: float = 0.5, status: str | list[str] = "accepted",
                  descendants: bool = True, include_inactive: bool = False,
                  fmt: str | None = None, command: list[str] | None = None,
                  sample_type: list[str] | tuple[str, ...] = ()) -> ExportResult:
    """Write the samples matching every facet filter to ``out_path``.

    Terms are CURIEs or labels/synonyms; with ``descendants`` a term also matches every term
    below it. ``fmt`` is tsv, csv, parquet (default: from the extension) or fetchngs (the run
    accessions, one per line). A manifest ``<out_path>.manifest.json`` records the exact SQL and
    parameters, resolved and expanded terms, the cohort's sample ids and row digests, counts,
    ontology/lexicon/harmonize/writer versions, warehouse snapshot, ``command`` and sha256.
    ``sample_type`` selects sample types (see :func:`sample_types`): with a tissue filter and
    no ``sample_type``, cultured samples are left out. Samples that SRA_Accessions.tab marks
    suppressed, withdrawn or unpublished are left out unless ``include_inactive``.

    Raises:
        ConfigError: bad output path/extension/format or status; no runs for fetchngs.
        OntologyError / AmbiguousTermError: a term that names nothing or several things.
    """
    out = Path(out_path)
    fmt = output_format(out, fmt)
    _check_confidence(min_confidence)
    statuses = _statuses(status)
    types, untyped = sample_types(list(sample_type), tissue=bool(tissue))
    filters = {"tissue": tissue, "disease": disease, "cell_type": cell_type,
               "cell_line": cell_line, "sex": sex, "dev_stage": dev_stage, "assay": assay}
    requested = {f: [filters[f]] if isinstance(filters[f], str) else list(filters[f])
                 for f in FACETS if filters.get(f)}
    con = connect_read(path)
    try:
        resolved, expanded = _resolve_filters(con, requested, descendants)
        sql = choose_export_sql(con, list(expanded))
        params = export_params(expanded, min_confidence, statuses, organism, source, types,
                               untyped, include_inactive)
        rows = gather(con, sql, params, fmt)
        manifest = _manifest(con, path, out, requested, resolved, expanded, rows,
                             dict(organism=organism, source=source, min_confidence=min_confidence,
                                  status=statuses, descendants=descendants,
                                  sample_types=types, untyped_samples=untyped,
                                  include_inactive=include_inactive))
        tmp, digest = stage_cohort(con, rows, out, fmt)
    finally:
        con.close()
    manifest["query"].update(sql=sql, params=params)
    manifest["output"]["format"] = fmt
    manifest["command"] = command_record(command)
    os.replace(tmp, out)
    manifest["output"]["sha256"] = digest
    if fmt == "fetchngs":
        manifest["output"]["columns"] = []
        manifest["counts"]["run_accessions"] = len(runs_of(rows.srr))
    manifest_path = out.with_name(out.name + ".manifest.json")
    write_manifest(manifest, manifest_path)
    return ExportResult(out, manifest_path, manifest["counts"]["samples"],
                        manifest["counts"]["runs"], digest, resolved)


def command_record(command: list[str] | None) -> dict[str, Any] | None:
    """The command line that made a cohort (``None`` when called from Python)."""
    if command is None:
        return None
    return {"argv": list(command), "line": shlex.join(command), "cwd": os.getcwd()}


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    """Write a manifest as indented JSON, atomically (:func:`manifest_json`)."""
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(manifest_json(manifest), encoding="utf-8")
    os.replace(tmp, path)


def manifest_json(manifest: dict[str, Any]) -> str:
    """A manifest as indented JSON, except the cohort's long lists (sample ids, row digests):
    each on one line, written by the C encoder (indenting them item by item took longer than
    the export query at a few thousand samples)."""
    cohort = manifest.get("cohort")
    if not isinstance(cohort, dict):
        return json.dumps(manifest, indent=2, default=str) + "\n"
    compact: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            key = f"\x00cohort-list-{len(compact)}\x00"
            compact[json.dumps(key)] = json.dumps(value, default=str)
            return key
        return value

    text = json.dumps({**manifest, "cohort": mark(cohort)}, indent=2, default=str)
    for key, value in compact.items():
        text = text.replace(key, value, 1)
    return text + "\n"


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


def _n_runs(srr: list[Any]) -> int:
    return int(sum(len(str(v).split(";")) for v in srr if isinstance(v, str) and v))


def package_version(name: str) -> str:
    """An installed distribution's version, or ``unknown``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def versions(con: duckdb.DuckDBPyConnection, sample_ids: list[str]) -> dict[str, Any]:
    """Ontology versions of the warehouse, lexicon versions of the samples, software versions.

    pandas and pyarrow write the file: their versions can change its bytes, not its rows.
    """
    ontologies = {o: v for o, v in con.execute(
        "SELECT ontology, max(version) FROM ontology_terms GROUP BY ontology ORDER BY ontology"
    ).fetchall()}
    # the warehouse holds few lexicon versions: ask per version whether any sample has it (a
    # scan that stops at the first match) instead of joining every sample id
    known = [r[0] for r in con.execute(
        "SELECT DISTINCT lexicon_version FROM annotated_samples WHERE lexicon_version <> '' "
        "ORDER BY 1").fetchall()]
    lexicons = [v for v in known if sample_ids and con.execute(
        "SELECT 1 FROM annotated_samples WHERE lexicon_version = ? AND sample_id IN "
        "(SELECT unnest(?::VARCHAR[])) LIMIT 1", [v, sample_ids]).fetchall()]
    return {"ontologies": ontologies, "lexicon": lexicons,
            "harmonize": package_version("harmonize"), "duckdb": duckdb.__version__,
            "pandas": pd.__version__, "pyarrow": package_version("pyarrow")}


def _manifest(con: duckdb.DuckDBPyConnection, path, out: Path, requested, resolved, expanded,
              rows: CohortRows, options: dict[str, Any]) -> dict[str, Any]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "query": {"filters": requested, "resolved_terms": resolved,
                  "expanded_term_counts": {f: len(ids) for f, ids in expanded.items()},
                  "expanded_term_ids": expanded, **options},
        "counts": {"samples": len(rows.sample_ids), "runs": _n_runs(rows.srr)},
        "versions": versions(con, rows.sample_ids),
        "warehouse": {"path": str(resolve_path(path).resolve()), "snapshot_id": snapshot_id(con)},
        "created_at": utcnow().isoformat(timespec="seconds") + "Z",
        "output": {"path": str(out), "name": out.name, "format": out.suffix.lower().lstrip("."),
                   "columns": rows.columns},
        "cohort": rows.state,
    }


def result_dict(result: ExportResult) -> dict[str, Any]:
    """An :class:`ExportResult` as a JSON-ready dict (for the CLI)."""
    d = asdict(result)
    d["out_path"], d["manifest_path"] = str(result.out_path), str(result.manifest_path)
    return d
