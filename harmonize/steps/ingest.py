"""Load record files (SRA, BioSample, MINiML, SOFT, plain or .gz) into the raw layer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from harmonize.errors import HarmonizeError
from harmonize.models import Reject, SampleRecord

BATCH = 2000

#: Files that a folder walk picks up (compressed or not).
RECORD_SUFFIXES = (".xml", ".soft", ".txt", ".miniml", ".tar", ".tab")


@dataclass(slots=True)
class FileResult:
    """What happened to one file."""

    path: str
    records: int = 0
    rejects: int = 0
    error: str | None = None  # one-line message when the file failed or lost records
    notes: list[str] = field(default_factory=list)  # one-line warnings (nothing was lost)


@dataclass(slots=True)
class IngestStats:
    """Totals of an ingest call, with one :class:`FileResult` per file."""

    files: list[FileResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # folder entries that are no record files
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    dump: object | None = None  # a DumpStats when SRA dumps or their companions were loaded

    @property
    def records(self) -> int:
        """Records parsed across files."""
        return sum(f.records for f in self.files)

    @property
    def rejects(self) -> int:
        """Records quarantined across files."""
        return sum(f.rejects for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        """Files that failed wholly or partly."""
        return [f for f in self.files if f.error]

    def counts(self) -> dict[str, int]:
        """The run's counts for ``harvest_runs``: kept, filtered, updated, quarantined..."""
        out = {"files": len(self.files), "records": self.records, "inserted": self.inserted,
               "updated": self.updated, "unchanged": self.unchanged, "merged": self.merged,
               "rejects": self.rejects, "warnings": len(self.notes)}
        if self.dump is not None:
            out["filtered"] = self.dump.filtered  # type: ignore[attr-defined]
        return out

    @property
    def notes(self) -> list[str]:
        """Warnings across files (one line each, naming the file)."""
        return [n for f in self.files for n in f.notes]

    def errors(self) -> list[str]:
        """One line per failed file (or one saying no record file was found)."""
        if not self.files:
            return [(f"no record files found (looked for {', '.join(RECORD_SUFFIXES)}, plain "
                     "or .gz, in the given folders)")]
        return [f.error for f in self.failed if f.error]

    def failure(self) -> str | None:
        """The one-line verdict when some file failed (the command must exit non-zero)."""
        if not self.files:
            return "nothing to load"
        if not self.failed:
            return None
        n, bad = len(self.files), len(self.failed)
        return (f"{bad} of {n} files had errors (see above)"
                + (f"; the other {n - bad} loaded" if bad < n else ""))

    def add_load(self, load: object) -> None:
        """Accumulate a ``LoadStats`` from the warehouse."""
        for name in ("inserted", "updated", "unchanged", "merged"):
            setattr(self, name, getattr(self, name) + int(getattr(load, name, 0)))


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files given directly, plus record files found recursively in given folders (sorted)."""
    return scan_paths(paths)[0]


def scan_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """``(files, skipped)``: the files to read (given directly, or record files found in given
    folders) and the folder entries passed over for their suffix (hidden files aside).

    A path that does not exist is kept, so that reading it reports it like any bad file.
    """
    out: list[Path] = []
    skipped: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.name.startswith("."):
                    continue
                (out if _looks_like_records(f) else skipped).append(f)
        else:
            out.append(p)
    return out, skipped


def _looks_like_records(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(RECORD_SUFFIXES)


def _batched(items: Iterable[SampleRecord | Reject], size: int
             ) -> Iterator[tuple[list[SampleRecord], list[Reject]]]:
    recs: list[SampleRecord] = []
    rejs: list[Reject] = []
    for item in items:
        (rejs if isinstance(item, Reject) else recs).append(item)  # type: ignore[arg-type]
        if len(recs) >= size:
            yield recs, rejs
            recs, rejs = [], []
    if recs or rejs:
        yield recs, rejs


def load_items(con: duckdb.DuckDBPyConnection, items: Iterable[SampleRecord | Reject],
               run_id: str | None, result: FileResult, stats: IngestStats) -> None:
    """Upsert parsed records and quarantine rejects in batches, updating the counters."""
    from harmonize.warehouse.load import add_rejects, upsert_records

    for recs, rejs in _batched(items, BATCH):
        if recs:
            stats.add_load(upsert_records(con, recs, run_id=run_id))
            result.records += len(recs)
        if rejs:
            add_rejects(con, rejs, run_id)
            result.rejects += len(rejs)
            if result.error is None:
                result.error = f"{result.path}: {rejs[0].reason}"


def quarantine_file(con: duckdb.DuckDBPyConnection, result: FileResult, message: str,
                    run_id: str | None) -> None:
    """Record a whole-file failure: a one-line error naming the file, kept in ``rejects``."""
    from harmonize.warehouse.load import add_rejects

    line = message.splitlines()[0] if message else "unreadable"
    result.error = line if result.path in line else f"{result.path}: {line}"
    add_rejects(con, [Reject(origin=result.path, reason=result.error)], run_id)
    result.rejects += 1


def no_samples(con: duckdb.DuckDBPyConnection, result: FileResult, run_id: str | None) -> None:
    """Say plainly that a readable file gave no sample and no reject: it fails, by name."""
    if result.records or result.rejects or result.error:
        return
    quarantine_file(con, result, f"{result.path}: holds no sample records, nothing was loaded "
                    "from it (a platform description or an empty set?)", run_id)


def load_parsed(con: duckdb.DuckDBPyConnection, path: str | Path, records: list[SampleRecord],
                rejects: list[Reject], error: str | None, run_id: str | None,
                stats: IngestStats, notes: list[str] | None = None) -> FileResult:
    """Load one file parsed elsewhere (e.g. on a Dask worker), as :func:`ingest_files` would."""
    result = FileResult(str(path), notes=list(notes or ()))
    load_items(con, [*records, *rejects], run_id, result, stats)
    if error:
        quarantine_file(con, result, error, run_id)
    no_samples(con, result, run_id)
    stats.files.append(result)
    return result


def ingest_dumps(con: duckdb.DuckDBPyConnection, paths: Iterable[str | Path],
                 run_id: str | None, stats: IngestStats, filt: object | None = None,
                 parse_many: Callable | None = None, on_progress: Callable | None = None,
                 on_file: Callable[[FileResult], None] | None = None) -> list[Path]:
    """Load the bulk dumps among ``paths`` (SRA dump tars, object files, SRA_Accessions.tab,
    filtered BioSample dumps) into ``stats``; return the other files. Without ``on_progress``
    each dump gets a :mod:`harmonize.progress` bar (members, records/s, ETA)."""
    from harmonize.dump.backfill import load_dumps
    from harmonize.dump.filters import NO_FILTER
    from harmonize.dump.progress import dump_progress

    with dump_progress() as shown:
        dump, outcomes, others = load_dumps(con, list(paths), filt or NO_FILTER, run_id,
                                            parse_many=parse_many,
                                            on_progress=on_progress or shown)
    if outcomes:
        stats.dump = dump
        stats.add_load(dump.load)
    for o in outcomes:
        result = FileResult(o.path, o.records, o.rejects, o.error)
        stats.files.append(result)
        if on_file:
            on_file(result)
    return others


def ingest_files(con: duckdb.DuckDBPyConnection, paths: Iterable[str | Path],
                 run_id: str | None = None,
                 on_file: Callable[[FileResult], None] | None = None,
                 filt: object | None = None, on_progress: Callable | None = None
                 ) -> IngestStats:
    """Parse and load every file; a bad or missing file is recorded and the others still load.

    SRA metadata dumps (tar.gz, folder trees, object files), SRA_Accessions.tab and (with a
    filter) BioSample dumps go through :mod:`harmonize.dump`, filtered by ``filt``
    (a :class:`~harmonize.dump.filters.DumpFilter`; ``None`` keeps everything), with a bar per
    dump (members, records/s, ETA). Any other file that yields no sample and no reject is
    reported as failed ("holds no sample records"); warnings such as repaired encoding bytes
    land in ``FileResult.notes``; folder entries of other suffixes are listed in ``skipped``.
    Progress (:mod:`harmonize.progress`) counts the bytes read across the other files, with the
    records loaded so far as its note.
    """
    from harmonize import progress
    from harmonize.parse import iter_file

    files, skipped = scan_paths(paths)
    stats = IngestStats(skipped=[str(p) for p in skipped])
    others = ingest_dumps(con, files, run_id, stats, filt, on_progress=on_progress,
                          on_file=on_file)
    total = sum(_size(p) for p in others)
    done = 0
    with progress.task("ingesting", total=total, unit="bytes") as bar:
        for path in others:
            result = FileResult(str(path))
            base = done

            def read_to(pos: int, base: int = base, result: FileResult = result) -> None:
                bar.set(base + pos)
                bar.note(f"{stats.records + result.records:,} records")

            try:
                items = iter_file(path, on_read=read_to)
                load_items(con, items, run_id, result, stats)
                result.notes += items.notes
            except (HarmonizeError, OSError) as exc:
                quarantine_file(con, result, str(exc), run_id)
            no_samples(con, result, run_id)
            stats.files.append(result)
            done += _size(path)
            bar.set(done)
            bar.note(f"{stats.records:,} records")
            if on_file:
                on_file(result)
    return stats


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
