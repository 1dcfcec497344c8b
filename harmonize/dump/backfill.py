"""Load NCBI's bulk dumps: classify the inputs, stage them resumably, link, load, report.

Order inside one call: ``SRA_Accessions.tab`` files first (their links and statuses serve the
rest), then SRA dump tars and INSDC object files (staged batch by batch, then linked once over
everything staged), then BioSample dumps (kept when linked to a kept SRA sample or of a kept
organism). Other record files are left to :func:`harmonize.steps.ingest.ingest_files`.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from harmonize.dump.accessions_tab import load_accessions_tab
from harmonize.dump.filters import DumpFilter, top_reasons
from harmonize.dump.link import link_pending
from harmonize.dump.members import Counting, Member, batches, file_members, is_tar, tar_members
from harmonize.dump.pool import pool_parse_many
from harmonize.dump.stage import (
    BatchResult,
    parse_batch,
    set_source_state,
    source_key,
    source_state,
    write_objects,
)
from harmonize.errors import ConfigError, HarmonizeError, ParseError
from harmonize.parse.insdc import DumpObject
from harmonize.warehouse.load import LoadStats, add_rejects

#: Maps member batches to their parse results, in order (locally, or on Dask workers).
ParseMany = Callable[[Iterator[list[Member]], DumpFilter], Iterator[BatchResult]]
MEMBER_BATCH = 500
#: parse batches are staged together, in one transaction, once their kept objects reach
#: COMMIT_BYTES of XML or COMMIT_MEMBERS members: each write joins the batch against every
#: staged object, so few large writes keep staging linear in the dump's size (and a killed
#: run resumes after the last such commit)
COMMIT_BYTES = 64 << 20
COMMIT_MEMBERS = 50_000
MEMORY_ENV = "HARMONIZE_DUMP_MEMORY"


@dataclass(slots=True)
class Progress:
    """Where a dump read is: for a progress bar (members, records/s, ETA by bytes).

    ``bytes_done``/``bytes_total`` count ``unit``: compressed bytes of a tar, or object files
    of a group of them."""

    path: str
    bytes_done: int
    bytes_total: int
    members: int
    objects: int
    started: float
    unit: str = "bytes"

    @property
    def rate(self) -> float:
        """Objects parsed per second so far."""
        return self.objects / max(time.monotonic() - self.started, 1e-6)


@dataclass(slots=True)
class DumpStats:
    """The run summary of the dump part of an ingest."""

    members: int = 0
    members_resumed: int = 0
    parsed: Counter = field(default_factory=Counter)
    staged: Counter = field(default_factory=Counter)  # new / updated / unchanged objects
    skipped: Counter = field(default_factory=Counter)
    rejects: int = 0
    records: int = 0
    load: LoadStats = field(default_factory=LoadStats)
    accessions: Counter = field(default_factory=Counter)  # SRA_Accessions.tab rows by status
    biosamples_kept: int = 0
    filter: str = ""

    @property
    def filtered(self) -> int:
        """Objects and records left out by the filter."""
        return sum(self.skipped.values())

    def line(self) -> str:
        """One line for the CLI: kept, filtered (why), updated, quarantined."""
        kept = self.load.inserted + self.load.updated + self.load.unchanged
        objects = ", ".join(f"{v} {'studies' if k == 'study' else k + 's'}"
                            for k, v in sorted(self.parsed.items()))
        parts = [(f"dump: {self.members} members, {sum(self.parsed.values())} objects "
                  f"({objects})"),
                 (f"{kept} records kept ({self.load.inserted} new, {self.load.updated} updated, "
                  f"{self.load.unchanged} unchanged)"),
                 f"{self.filtered} filtered" + (f" [{top_reasons(self.skipped)}]"
                                                if self.skipped else ""),
                 f"{self.rejects} quarantined"]
        if self.members_resumed:
            parts.append(f"{self.members_resumed} members already staged by an earlier run")
        if self.accessions:
            parts.append("SRA_Accessions.tab: " + ", ".join(
                f"{v} {k}" for k, v in sorted(self.accessions.items())))
        return "; ".join(parts)


@dataclass(slots=True)
class FileOutcome:
    """What one dump input gave (mirrors :class:`harmonize.steps.ingest.FileResult`)."""

    path: str
    records: int = 0
    rejects: int = 0
    error: str | None = None


def classify(path: Path) -> str:
    """``tar`` | ``insdc`` | ``accessions_tab`` | ``biosample`` | ``other`` for one file."""
    from harmonize.parse import _head
    from harmonize.parse.sniff import sniff
    from harmonize.parse.streams import path_opener

    if is_tar(path):
        return "tar"
    try:
        fmt = sniff(_head(path_opener(path), str(path)), origin=str(path))
    except (HarmonizeError, OSError):
        return "other"
    return {"insdc": "insdc", "biosample": "biosample", "sra_accessions": "accessions_tab",
            "sra_dump": "tar"}.get(fmt, "other")


def local_parse_many(groups: Iterator[list[Member]], filt: DumpFilter) -> Iterator[BatchResult]:
    """Parse member batches here, one after the other."""
    for group in groups:
        yield parse_batch(group, filt)


def load_dumps(con: duckdb.DuckDBPyConnection, paths: Iterable[Path], filt: DumpFilter,
               run_id: str | None, parse_many: ParseMany | None = None,
               on_progress: Callable[[Progress], None] | None = None
               ) -> tuple[DumpStats, list[FileOutcome], list[Path]]:
    """Load every dump input among ``paths``; return the stats, one outcome per dump input and
    the paths that are no dump (for the ordinary ingest)."""
    kinds: dict[str, list[Path]] = {}
    for p in map(Path, paths):
        kinds.setdefault(classify(p), []).append(p)
    if set(kinds) - {"other"}:
        with duckdb_memory(con):
            return _load_dumps(con, kinds, filt, run_id, parse_many, on_progress)
    return DumpStats(filter=filt.describe()), [], kinds.get("other", [])


@contextmanager
def duckdb_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Cap DuckDB's buffer pool while dumps load (``$HARMONIZE_DUMP_MEMORY``, default 1GB):
    its cache would otherwise grow with the warehouse; past the cap it spills to disk."""
    old = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{_memory_cap()}'")
    try:
        yield
    finally:
        con.execute(f"SET memory_limit = '{old}'")


def _memory_cap() -> str:
    value = os.environ.get(MEMORY_ENV, "1GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", value, flags=re.IGNORECASE):
        raise ConfigError(f"${MEMORY_ENV} must be a size such as 1GB or 512MiB, got {value!r}")
    return value


def _load_dumps(con: duckdb.DuckDBPyConnection, kinds: dict[str, list[Path]], filt: DumpFilter,
                run_id: str | None, parse_many: ParseMany | None,
                on_progress: Callable[[Progress], None] | None
                ) -> tuple[DumpStats, list[FileOutcome], list[Path]]:
    stats = DumpStats(filter=filt.describe())
    outcomes: list[FileOutcome] = []
    for p in kinds.get("accessions_tab", []):
        out = FileOutcome(str(p))
        try:
            counts = load_accessions_tab(con, p)
            stats.accessions.update(counts)
            out.records = sum(counts.values())
            if not out.records:
                out.error = f"{p}: SRA_Accessions.tab holds no rows"
        except ParseError as exc:
            out.error, out.rejects = str(exc), 1
            con.execute("BEGIN")
            add_rejects(con, [_reject(str(p), out.error)], run_id)
            con.execute("COMMIT")
        outcomes.append(out)
    parse = parse_many or pool_parse_many()
    staged_any = False
    for p in kinds.get("tar", []):
        outcomes.append(_stage_source(con, str(p), [p], filt, run_id, parse, stats, on_progress,
                                      tar=True))
        staged_any = True
    loose = kinds.get("insdc", [])
    if loose:
        outcomes.append(_stage_source(con, _group_name(loose), loose, filt, run_id, parse, stats,
                                      on_progress, tar=False))
        staged_any = True
    if staged_any or stats.accessions:
        link = link_pending(con, filt, run_id)
        stats.records += link.records
        stats.load += link.load
        stats.skipped.update(link.skipped)
        if link.rejects:
            con.execute("BEGIN")
            add_rejects(con, link.rejects, run_id)
            con.execute("COMMIT")
            stats.rejects += len(link.rejects)
    others = kinds.get("other", [])
    for p in kinds.get("biosample", []):
        if not filt.active:
            others.append(p)  # nothing to filter: the ordinary loader does the same
            continue
        from harmonize.dump.biosample_dump import load_biosample_dump

        out = FileOutcome(str(p))
        try:
            load, skipped, kept, rejected = load_biosample_dump(con, p, filt, run_id)
        except (HarmonizeError, OSError) as exc:
            out.error, out.rejects = f"{p}: {exc}", 1
        else:
            stats.load += load
            stats.skipped.update(skipped)
            stats.biosamples_kept += kept
            out.records, out.rejects = kept, rejected
            if rejected:
                out.error = f"{p}: {rejected} records quarantined"
        outcomes.append(out)
    return stats, outcomes, others


def _group_name(paths: list[Path]) -> str:
    if len(paths) == 1:
        return str(paths[0])
    return f"{len(paths)} object files under {Path(*_common(paths))}"


def _common(paths: list[Path]) -> tuple[str, ...]:
    parts = [p.parts for p in paths]
    common: list[str] = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return tuple(common) or (".",)


def _stage_source(con: duckdb.DuckDBPyConnection, name: str, files: list[Path],
                  filt: DumpFilter, run_id: str | None, parse: ParseMany, stats: DumpStats,
                  on_progress: Callable[[Progress], None] | None, tar: bool) -> FileOutcome:
    """Stage one tar (or one group of object files), resuming after its committed batches."""
    out = FileOutcome(name)
    key = _key(files, filt)
    done, complete = source_state(con, key)
    resumed = done
    if complete:
        stats.members_resumed += done
        return out
    counter = Counting(files[0].open("rb")) if tar else None
    total = files[0].stat().st_size if tar else len(files)
    broken: list[str] = []
    members: Iterator[Member] = (tar_members(files[0], counter, broken) if tar
                                 else file_members(files))
    started, seen, objects = time.monotonic(), 0, 0

    def skip_done(it: Iterator[Member]) -> Iterator[Member]:
        nonlocal seen
        for m in it:
            seen += 1
            if seen > resumed:
                yield m

    group: list[BatchResult] = []

    def commit() -> None:
        """Stage the buffered batches in one transaction with the new resume point."""
        nonlocal done, objects
        members_now = sum(r.members for r in group)
        con.execute("BEGIN")
        staged = write_objects(con, _latest(r.objects for r in group))
        for r in group:
            add_rejects(con, r.rejects, run_id)
            stats_add(stats, r, Counter())
        stats.staged.update(staged)
        set_source_state(con, key, name, done + members_now, False)
        con.execute("COMMIT")
        done += members_now
        for r in group:
            objects += sum(r.parsed.values())
            out.records += len(r.objects)
            out.rejects += len(r.rejects)
            if r.rejects and out.error is None:
                out.error = f"{r.rejects[0].origin}: {r.rejects[0].reason}"
        group.clear()
        shown()

    def shown() -> None:
        """Progress after every parsed batch (members and objects parsed, committed or not)."""
        if on_progress:
            parsed_members = done + sum(r.members for r in group)
            parsed_objects = objects + sum(sum(r.parsed.values()) for r in group)
            progress_done = counter.done if counter else parsed_members
            on_progress(Progress(name, progress_done, total, parsed_members, parsed_objects,
                                 started, "bytes" if tar else "files"))

    try:
        buffered = 0
        for result in parse(batches(skip_done(members), MEMBER_BATCH), filt):
            group.append(result)
            buffered += sum(len(o.xml) for o in result.objects)
            if buffered >= COMMIT_BYTES or sum(r.members for r in group) >= COMMIT_MEMBERS:
                commit()
                buffered = 0
            else:
                shown()
        if group:
            commit()
    except ParseError as exc:
        if group:  # what was parsed before the error is kept
            commit()
        out.error = str(exc)
        out.rejects += 1
        add_rejects(con, [_reject(name, out.error)], run_id)
        return out
    if broken:  # the archive ends early: keep what came before, report, do not mark complete
        out.error = broken[0]
        out.rejects += 1
        con.execute("BEGIN")
        add_rejects(con, [_reject(name, broken[0])], run_id)
        con.execute("COMMIT")
        return out
    stats.members_resumed += resumed
    if objects == 0 and not resumed and out.error is None:
        out.error = f"{name}: no SRA sample, experiment, run or study objects found"
    con.execute("BEGIN")
    set_source_state(con, key, name, done, True, dict(stats.parsed))
    con.execute("COMMIT")
    return out


def _latest(groups: Iterable[list[DumpObject]]) -> list[DumpObject]:
    """The objects of consecutive batches, the later version of a (kind, accession) winning
    (what staging them batch by batch would leave)."""
    out: dict[tuple[str, str], DumpObject] = {}
    for objs in groups:
        for o in objs:
            out.pop((o.kind, o.accession), None)
            out[(o.kind, o.accession)] = o
    return list(out.values())


def stats_add(stats: DumpStats, result: BatchResult, staged: Counter) -> int:
    """Add one batch to the totals; returns its member count."""
    stats.members += result.members
    stats.parsed.update(result.parsed)
    stats.skipped.update(result.skipped)
    stats.staged.update(staged)
    stats.rejects += len(result.rejects)
    return result.members


def _reject(origin: str, reason: str):
    from harmonize.models import Reject

    return Reject(origin=origin, reason=reason)


def _key(files: list[Path], filt: DumpFilter) -> str:
    parts = [source_key(p) for p in files] + [filt.describe()]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]
