"""Rebuild an exported cohort from its manifest, byte for byte, or say exactly what changed.

The manifest (see :mod:`.export`) keeps the exact SQL and parameters (with the expanded term ids,
so ontology updates do not move the query), the cohort's sample ids and per-part row digests.
A rebuild runs the recorded SQL on the current warehouse, restricted to the recorded samples;
the published snapshot the cohort came from need not exist any more. The file is reproduced
when its sha256 equals the recorded one; otherwise nothing is written and the differences are
listed: samples that left (and why), samples the same query now also selects, samples whose
row parts (accessions, a facet's annotations) changed, and versions that differ.

The recorded SQL is untrusted input (a manifest may come from anywhere): it must be one SELECT
and runs on a connection with file access, extension loading and configuration locked.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from harmonize.errors import ConfigError, HarmonizeError, WarehouseError
from harmonize.warehouse.cohort_state import changed_parts
from harmonize.warehouse.db import connect_read, resolve_path
from harmonize.warehouse.export import output_format, stage_output, versions
from harmonize.warehouse.query import check_read_only

REQUIRED = (("query", "sql"), ("query", "params"), ("cohort", "samples"), ("cohort", "digests"),
            ("output", "sha256"), ("output", "format"))
READERS = {"tsv": lambda p: pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False),
           "csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
           "parquet": pd.read_parquet}


@dataclass(slots=True)
class Change:
    """One difference between the recorded cohort and what the warehouse gives now."""

    kind: str  # left | entered | changed | version
    sample_id: str
    field: str
    before: str
    after: str


@dataclass(slots=True)
class RebuildResult:
    """The outcome of a rebuild: reproduced (file written) or the list of changes."""

    out_path: Path
    warehouse: Path
    reproduced: bool
    n_samples: int
    sha256: str
    expected_sha256: str
    changes: list[Change] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Change]:
        """The changes of one kind."""
        return [c for c in self.changes if c.kind == kind]


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Load and check a cohort manifest.

    Raises:
        ConfigError: unreadable, not JSON, or missing what a rebuild needs (says which).
    """
    p = Path(path)
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read manifest {p}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p} is not a cohort manifest: not JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ConfigError(f"{p} is not a cohort manifest: top level is not a JSON object")
    for section, key in REQUIRED:
        if not isinstance(manifest.get(section), dict) or key not in manifest[section]:
            raise ConfigError(f"manifest {p} has no {section}.{key}: written by an older "
                              "harmonize or edited; it can be checked but not rebuilt (re-run "
                              "its export)")
    _check_consistent(p, manifest)
    return manifest


def _check_consistent(path: Path, manifest: dict[str, Any]) -> None:
    cohort, query = manifest["cohort"], manifest["query"]
    problem = None
    if not isinstance(query["sql"], str) or not isinstance(query["params"], list):
        problem = "query.sql must be text and query.params a list"
    elif not isinstance(cohort["samples"], list) or not isinstance(cohort["digests"], dict):
        problem = "cohort.samples must be a list and cohort.digests an object"
    elif any(not isinstance(d, list) or len(d) != len(cohort["samples"])
             for d in cohort["digests"].values()):
        problem = "cohort.digests do not match cohort.samples one to one"
    if problem:
        raise ConfigError(f"manifest {path} is damaged: {problem}; re-run its export")


def default_output(manifest_path: Path, manifest: dict[str, Any]) -> Path:
    """Where a rebuild writes by default: the recorded file name, beside the manifest."""
    name = manifest["output"].get("name") or Path(manifest["output"].get("path", "")).name
    if not name:
        name = manifest_path.name.removesuffix(".manifest.json")
    return manifest_path.with_name(name)


def _lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """No file access, no extension loading, configuration locked (idempotent).

    Raises:
        WarehouseError: a setting is on and cannot be turned off (the SQL is not run).
    """
    for setting in ("enable_external_access", "autoinstall_known_extensions",
                    "autoload_known_extensions"):
        try:
            con.execute(f"SET {setting} = false")
        except duckdb.Error:  # already locked by the connection's opener: check, do not trust
            value = con.execute("SELECT current_setting(?)", [setting]).fetchall()[0][0]
            if str(value).lower() not in ("false", "0"):
                raise WarehouseError(f"cannot turn {setting} off to run a manifest's SQL") from None
    try:
        con.execute("SET lock_configuration = true")
    except duckdb.Error:
        pass  # locked already


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], path: Path) -> pd.DataFrame:
    try:
        return con.execute(sql, params).df()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise WarehouseError(f"the manifest's SQL no longer runs on {path}: {first}") from exc


def rebuild_cohort(warehouse: str | Path | None, manifest_path: str | Path,
                   out_path: str | Path | None = None) -> RebuildResult:
    """Rebuild the cohort of ``manifest_path`` from ``warehouse`` into ``out_path``.

    ``out_path`` defaults to the recorded file name beside the manifest. The file is written
    (atomically) only when it is byte-identical to the recorded one.

    Raises:
        ConfigError: a bad manifest, or an output path whose format differs from the recorded.
        WarehouseError: no warehouse, or the recorded SQL fails or is not a single SELECT.
    """
    mpath = Path(manifest_path)
    manifest = read_manifest(mpath)
    out = Path(out_path) if out_path else default_output(mpath, manifest)
    fmt = output_format(out, manifest["output"]["format"])
    wh = resolve_path(warehouse)
    try:
        sql = check_read_only(manifest["query"]["sql"])
    except HarmonizeError as exc:
        raise WarehouseError(f"manifest {mpath}: {exc}") from exc
    params = manifest["query"]["params"]
    recorded = manifest["cohort"]
    con = connect_read(wh)
    try:
        _lock_down(con)
        now = _run(con, sql, params, wh)
        if "sample_id" not in now.columns:
            raise WarehouseError(f"manifest {mpath}: its SQL returns no sample_id column")
        rec_ids = [str(s) for s in recorded["samples"]]
        rec_set, now_ids = set(rec_ids), [str(s) for s in now["sample_id"].tolist()]
        entered = [s for s in now_ids if s not in rec_set]
        if entered:  # the same rows, typed from the same values only (no extra rows' dtypes)
            now = _run(con, f"SELECT * FROM ({sql}) AS q WHERE q.sample_id IN "
                       "(SELECT unnest(?::VARCHAR[])) ORDER BY q.sample_id",
                       [*params, rec_ids], wh)
        changes = _left(con, rec_ids, set(now_ids), manifest)
        changes += [Change("entered", s, "", "", "selected by the same query now")
                    for s in entered]
        current_versions = versions(con, [str(s) for s in now["sample_id"].tolist()])
    finally:
        con.close()
    tmp, digest = _stage(now, out, fmt)
    reproduced = digest == manifest["output"]["sha256"]
    try:
        changes += _changed(manifest, now, [out, default_output(mpath, manifest)], fmt, tmp)
        changes += _version_changes(manifest.get("versions", {}), current_versions)
        if tmp is not None and reproduced:
            os.replace(tmp, out)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # gone already when it became ``out``
    return RebuildResult(out, wh, reproduced, len(now), digest, manifest["output"]["sha256"],
                         changes)


def _stage(now: pd.DataFrame, out: Path, fmt: str) -> tuple[Path | None, str]:
    """The rebuilt file beside ``out`` and its sha256 (none when no run is left for fetchngs)."""
    try:
        return stage_output(now, out, fmt)
    except ConfigError:
        if fmt == "fetchngs":
            return None, ""
        raise


def _left(con: duckdb.DuckDBPyConnection, rec_ids: list[str], now_ids: set[str],
          manifest: dict[str, Any]) -> list[Change]:
    """Recorded samples the query no longer selects, each with the reason."""
    left = [s for s in rec_ids if s not in now_ids]
    if not left:
        return []
    present = {r[0] for r in con.execute(
        "SELECT sample_id FROM samples WHERE sample_id IN (SELECT unnest(?::VARCHAR[]))",
        [left]).fetchall()}
    merged = dict(con.execute(
        "SELECT accession, min(sample_id) FROM sample_accessions WHERE accession IN "
        "(SELECT unnest(?::VARCHAR[])) GROUP BY accession", [left]).fetchall())
    facets = list(manifest["query"].get("expanded_term_ids", {})) or \
        list(manifest["query"].get("filters", {}))
    now = _current_annotations(con, sorted(present), facets)
    inactive = dict(con.execute(
        "SELECT sample_id, status FROM sample_status WHERE status IS NOT NULL "
        "AND status <> 'live' AND sample_id IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(present)]).fetchall())
    out = []
    for sid in left:
        if sid in inactive:
            out.append(Change("left", sid, "sra_status", "live",
                              f"{inactive[sid]} in SRA_Accessions.tab (export "
                              "--include-suppressed keeps it)"))
        elif sid in present:
            out.append(Change("left", sid, ",".join(facets) or "filters", "selected",
                              "no longer matches the filters; now " + now.get(sid, "no annotation")))
        elif merged.get(sid):
            out.append(Change("left", sid, "sample_id", sid, f"merged into {merged[sid]}"))
        else:
            out.append(Change("left", sid, "sample", "present", "no longer in the warehouse"))
    return out


def _current_annotations(con: duckdb.DuckDBPyConnection, ids: list[str],
                         facets: list[str]) -> dict[str, str]:
    if not ids or not facets:
        return {}
    rows = con.execute(
        "SELECT sample_id, string_agg(facet || ' ' || coalesce(term_id, 'unmapped') || ' (' || "
        "status || ' ' || coalesce(round(confidence, 3)::VARCHAR, '-') || ')', '; ' "
        "ORDER BY facet, term_id) FROM annotations WHERE sample_id IN "
        "(SELECT unnest(?::VARCHAR[])) AND facet IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY sample_id", [ids, facets]).fetchall()
    return dict(rows)


def _changed(manifest: dict[str, Any], now: pd.DataFrame, originals: list[Path], fmt: str,
             tmp: Path | None) -> list[Change]:
    """Samples still in the cohort whose row parts differ from the recorded digests.

    Column by column (before -> after) when the original file is still at one of ``originals``
    with the recorded sha256; else by part, with the part's current values.
    """
    diff = changed_parts(manifest["cohort"], now)
    if not diff:
        return []
    parts = manifest["cohort"].get("parts", {})
    before = _original_rows(manifest, originals, fmt)
    after = READERS[fmt](tmp).set_index("sample_id") if before is not None and tmp else None
    current = now.set_index("sample_id")
    out_changes = []
    for sid, names in diff.items():
        for part in names:
            cols = parts.get(part) or [c for c in now.columns if c != "sample_id"]
            found = []
            if before is not None and after is not None and sid in before.index:
                found = [Change("changed", sid, col, _cell(before, sid, col),
                                _cell(after, sid, col)) for col in cols]
                found = [c for c in found if c.before != c.after]
            if found:
                out_changes += found
            else:
                values = "; ".join(f"{c}={_cell(current, sid, c)}" for c in cols
                                   if c in current.columns)
                out_changes.append(Change("changed", sid, part, "(recorded digest)", values))
    return out_changes


def _original_rows(manifest: dict[str, Any], originals: list[Path],
                   fmt: str) -> pd.DataFrame | None:
    """The recorded file, from the first of ``originals`` still unchanged (sha256 matches)."""
    if fmt not in READERS:
        return None
    for path in originals:
        if path.is_file() and (hashlib.sha256(path.read_bytes()).hexdigest()
                               == manifest["output"]["sha256"]):
            return READERS[fmt](path).set_index("sample_id")
    return None


def _cell(df: pd.DataFrame, sid: str, col: str) -> str:
    if col not in df.columns:
        return "(no column)"
    value = df.at[sid, col]
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _flat(v: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in v.items():
        if isinstance(value, dict):
            out.update({f"{key} {k}": str(x) for k, x in value.items()})
        elif isinstance(value, list):
            out[key] = ",".join(map(str, value))
        else:
            out[key] = str(value)
    return out


def _version_changes(recorded: dict[str, Any], current: dict[str, Any]) -> list[Change]:
    before, after = _flat(recorded), _flat(current)
    return [Change("version", "", key, before.get(key, "(none)"), after.get(key, "(none)"))
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]


def changes_frame(result: RebuildResult) -> pd.DataFrame:
    """Every change as a table (change, sample_id, field, before, after)."""
    return pd.DataFrame([(c.kind, c.sample_id, c.field, c.before, c.after)
                         for c in result.changes],
                        columns=["change", "sample_id", "field", "before", "after"])


def write_changes(result: RebuildResult, path: str | Path) -> int:
    """Write :func:`changes_frame` as TSV; return the number of rows."""
    frame = changes_frame(result)
    frame.to_csv(path, sep="\t", index=False)
    return len(frame)


def describe(result: RebuildResult, limit: int = 20) -> list[str]:
    """Human-readable lines: the verdict, then each kind of change (at most ``limit`` each)."""
    name = result.out_path.name
    lines = []
    if result.reproduced:
        lines.append(f"rebuilt {result.out_path}: {result.n_samples} samples, sha256 matches "
                     f"the manifest (byte-identical) from {result.warehouse}")
    n_changed = len({c.sample_id for c in result.of_kind("changed")})
    titles = {"left": "samples that left the cohort",
              "changed": f"changes in {n_changed} samples still in the cohort",
              "entered": "samples the same query now also selects (not in the rebuilt file)",
              "version": "versions that differ" + (" (the file is unaffected)"
                                                   if result.reproduced else "")}
    for kind, title in titles.items():
        rows = result.of_kind(kind)
        if not rows:
            continue
        lines.append(f"{title}: {len(rows)}")
        for c in rows[:limit]:
            what = " ".join(x for x in (c.sample_id, c.field) if x)
            if kind == "entered":
                lines.append(f"  {c.sample_id}")
            else:
                lines.append(f"  {what}: {c.before} -> {c.after}")
        if len(rows) > limit:
            lines.append(f"  ... and {len(rows) - limit} more (--changes FILE lists them all)")
    if not result.reproduced and not (result.of_kind("left") or result.of_kind("changed")):
        lines.append(f"every row of {name} is unchanged, but the file's bytes differ "
                     "(see the versions above: the writer changed)")
    return lines


def verdict(result: RebuildResult) -> str:
    """One line for a failed rebuild (the CLI's error message)."""
    n_left, n_changed = len(result.of_kind("left")), len({c.sample_id for c in
                                                          result.of_kind("changed")})
    return (f"cannot reproduce {result.out_path.name} byte-identically from {result.warehouse}: "
            f"{n_left} samples left, {n_changed} changed (sha256 {result.sha256[:12] or '-'} "
            f"vs recorded {result.expected_sha256[:12]}); nothing written")
