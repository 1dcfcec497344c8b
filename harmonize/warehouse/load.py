"""Idempotent, set-based loading of :class:`~harmonize.models.SampleRecord` s with identity merge.

Per batch (one transaction): look up which records are already stored (content hash decides
unchanged / updated / new), resolve every sample-level accession to existing samples, merge the
samples one record links (re-pointing every table, nothing dropped), then replace the changed
records' own attribute, library and run rows. All reads and writes are joins against Arrow
batches; nothing is inserted row by row.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from itertools import islice

import duckdb
import pyarrow as pa

from harmonize.models import SampleRecord
from harmonize.warehouse.arrow import INT, LIST_STR, TS, register
from harmonize.warehouse.db import utcnow
from harmonize.warehouse.identity import Components, id_rank, record_accessions
from harmonize.warehouse.runlog import (
    add_rejects,
    done_batches,
    finish_run,
    last_watermark,
    mark_batch,
    start_run,
)

__all__ = ["LoadStats", "add_rejects", "done_batches", "finish_run", "last_watermark",
           "mark_batch", "record_hash", "start_run", "upsert_records"]

BATCH_SIZE = 20_000
_SAMPLE_TABLES = ("sample_accessions", "records", "sample_attributes", "libraries", "runs",
                  "annotations", "annotated_samples")


@dataclass(slots=True)
class LoadStats:
    """What a load did: records inserted/updated/unchanged, samples merged, new sample rows."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    samples: int = 0

    def __iadd__(self, other: LoadStats) -> LoadStats:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        """Counts as a plain dict (for run summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def record_hash(record: SampleRecord) -> str:
    """sha256 of the record's full dataclass repr: equal content, equal hash.

    Same role as :meth:`SampleRecord.content_hash` but about 7x faster (no ``asdict`` deep copy),
    which matters at millions of records.
    """
    return hashlib.sha256(repr(record).encode()).hexdigest()


def _chunks(items: Iterable[SampleRecord], size: int) -> Iterator[list[SampleRecord]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def upsert_records(con: duckdb.DuckDBPyConnection, records: Iterable[SampleRecord],
                   run_id: str | None = None, batch_size: int = BATCH_SIZE) -> LoadStats:
    """Load records idempotently, committing every ``batch_size`` records.

    Loading the same records twice changes nothing; a record whose content hash changed
    replaces its own attribute/run/library rows; a record naming accessions of several
    stored samples merges them into one (the id chosen by :func:`identity.id_rank`).
    """
    stats = LoadStats()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a batch allocates millions of small tuples and frees none of them early
    try:
        for chunk in _chunks(records, batch_size):
            con.begin()
            try:
                stats += _load_batch(con, chunk, run_id)
                con.commit()
            except BaseException:
                con.rollback()
                raise
    finally:
        if gc_was_enabled:
            gc.enable()
    return stats


def _load_batch(con: duckdb.DuckDBPyConnection, batch: list[SampleRecord],
                run_id: str | None) -> LoadStats:
    now = utcnow()
    latest: dict[tuple[str, str], SampleRecord] = {}
    for r in batch:
        latest[(r.source, r.record_accession.strip().upper())] = r
    keys = list(latest)
    hashes = [record_hash(latest[k]) for k in keys]
    register(con, "_b_rec", {"source": [k[0] for k in keys],
                             "record_accession": [k[1] for k in keys], "content_hash": hashes})
    stored = {(s, a): (h, fs) for s, a, h, fs in con.execute(
        "SELECT r.source, r.record_accession, r.content_hash, r.first_seen FROM records r "
        "JOIN _b_rec b USING (source, record_accession)").fetchall()}
    stats = LoadStats()
    changed: list[tuple[tuple[str, str], SampleRecord, str]] = []
    for key, h in zip(keys, hashes):
        old = stored.get(key)
        if old is not None and old[0] == h:
            stats.unchanged += 1
        else:
            changed.append((key, latest[key], h))
            if old is None:
                stats.inserted += 1
            else:
                stats.updated += 1
    if stats.unchanged:
        con.execute("UPDATE records SET last_seen = ? FROM _b_rec b WHERE records.source = b.source"
                    " AND records.record_accession = b.record_accession"
                    " AND records.content_hash = b.content_hash", [now])
    if not changed:
        return stats
    merged, new_samples, sample_of, known = _resolve_and_merge(con, changed, now)
    stats.merged += merged
    stats.samples += new_samples
    _replace_record_rows(con, changed, sample_of, stored, known, run_id, now)
    return stats


def _resolve_and_merge(con: duckdb.DuckDBPyConnection,
                       changed: list[tuple[tuple[str, str], SampleRecord, str]],
                       now) -> tuple[int, int, list[str], set[str]]:
    """Group changed records with the samples they name; write merged sample rows.

    Returns:
        (samples merged away or re-keyed, new sample rows, final sample id per changed record,
        the records' sample-level accessions that were already stored).
    """
    comps = Components()
    per_record = []
    all_sample_level: set[str] = set()
    for _, rec, _ in changed:
        sample_level, kinds = record_accessions(rec)
        per_record.append((sample_level, kinds))
        comps.union_all(sample_level)
        all_sample_level.update(sample_level)
    register(con, "_b_acc", {"accession": list(all_sample_level)})
    existing = con.execute(
        "SELECT DISTINCT a.accession, a.sample_id FROM sample_accessions a "
        "JOIN _b_acc b USING (accession) "
        "WHERE a.kind IN ('biosample', 'gsm', 'srs', 'srx', 'srr', 'other')").fetchall()
    for acc, sid in existing:
        comps.union_all((acc, sid))
    old_ids_by_root: dict[str, set[str]] = {}
    for _, sid in existing:
        old_ids_by_root.setdefault(comps.find(sid), set()).add(sid)
    candidates_by_root: dict[str, set[str]] = {}
    for sample_level, _ in per_record:
        candidates_by_root.setdefault(comps.find(sample_level[0]), set()).update(sample_level)
    final_by_root = {root: min(cands | old_ids_by_root.get(root, set()), key=id_rank)
                     for root, cands in candidates_by_root.items()}
    sample_of = [final_by_root[comps.find(sl[0])] for sl, _ in per_record]

    renames = {old: final_by_root[root] for root, olds in old_ids_by_root.items()
               for old in olds if old != final_by_root[root]}
    old_ids = [sid for olds in old_ids_by_root.values() for sid in olds]
    old_rows = _fetch_samples(con, old_ids)
    rows = _merged_sample_rows(changed, sample_of, old_ids_by_root, final_by_root, old_rows,
                               now)
    if renames:
        _repoint(con, renames)
    if old_ids:
        register(con, "_b_old", {"sample_id": old_ids})
        con.execute("DELETE FROM samples WHERE sample_id IN (SELECT sample_id FROM _b_old)")
    cols = ["sample_id", "organism", "taxon_id", "title", "description", "sources",
            "first_seen", "updated_at"]
    register(con, "_b_samples", {c: [r[i] for r in rows] for i, c in enumerate(cols)},
             {"taxon_id": INT, "sources": LIST_STR, "first_seen": TS, "updated_at": TS})
    con.execute(f"INSERT INTO samples ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _b_samples")
    new_samples = sum(1 for root in final_by_root if root not in old_ids_by_root)
    touched = {final_by_root[root] for root in old_ids_by_root}  # samples with stored rows
    _store_accessions(con, changed, per_record, sample_of, touched, now)
    return len(renames), new_samples, sample_of, {acc for acc, _ in existing}


def _fetch_samples(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, tuple]:
    if not ids:
        return {}
    register(con, "_b_ids", {"sample_id": ids})
    return {r[0]: r for r in con.execute(
        "SELECT sample_id, organism, taxon_id, title, description, sources, first_seen "
        "FROM samples WHERE sample_id IN (SELECT sample_id FROM _b_ids)").fetchall()}


def _merged_sample_rows(changed, sample_of, old_ids_by_root, final_by_root, old_rows,
                        now) -> list[tuple]:
    """One row per final sample: new record values win, stored values fill the gaps."""
    acc: dict[str, list] = {}
    for (_, rec, _), sid in zip(changed, sample_of):
        row = acc.get(sid)
        if row is None:
            acc[sid] = [rec.organism, rec.taxon_id, rec.title, rec.description, {rec.source}]
            continue
        row[4].add(rec.source)
        for i, value in enumerate((rec.organism, rec.taxon_id, rec.title, rec.description)):
            if value not in (None, ""):
                row[i] = value
    out = []
    for root, sid in final_by_root.items():
        row = acc[sid]
        first_seen = now
        olds = old_ids_by_root.get(root)
        if olds:
            for old in sorted(olds, key=lambda o: (o != sid, id_rank(o))):
                stored = old_rows.get(old)
                if stored is None:
                    continue
                for i in range(4):
                    if row[i] in (None, "") and stored[i + 1] not in (None, ""):
                        row[i] = stored[i + 1]
                row[4].update(stored[5] or ())
                if stored[6] is not None and stored[6] < first_seen:
                    first_seen = stored[6]
        out.append((sid, row[0], row[1], row[2], row[3], sorted(row[4]), first_seen, now))
    return out


def _repoint(con: duckdb.DuckDBPyConnection, renames: dict[str, str]) -> None:
    """Move every row of the merged-away samples to the surviving sample id."""
    register(con, "_b_map", {"old_id": list(renames), "new_id": list(renames.values())})
    for table in _SAMPLE_TABLES:
        con.execute(f"UPDATE {table} SET sample_id = m.new_id FROM _b_map m "
                    f"WHERE {table}.sample_id = m.old_id")
    con.execute(
        "DELETE FROM sample_accessions WHERE rowid IN (SELECT rid FROM ("
        " SELECT rowid AS rid, row_number() OVER (PARTITION BY accession, sample_id"
        "  ORDER BY rowid) AS n FROM sample_accessions"
        " WHERE sample_id IN (SELECT new_id FROM _b_map)) WHERE n > 1)")


def _store_accessions(con, changed, per_record, sample_of, stored_ids: set[str], now) -> None:
    """Add the accessions the changed records name (pairs of stored samples only if missing)."""
    rows = {(acc, sid): (kind, rec.source)
            for (_, rec, _), (_, kinds), sid in zip(changed, per_record, sample_of)
            for acc, kind in kinds.items()}
    keys = list(rows)
    values = list(rows.values())
    register(con, "_b_sacc", {
        "accession": [k[0] for k in keys], "sample_id": [k[1] for k in keys],
        "kind": [v[0] for v in values], "source": [v[1] for v in values],
        "stored": [k[1] in stored_ids for k in keys]}, {"stored": pa.bool_()})
    # a new sample cannot have stored pairs yet: only stored samples need the anti-join
    con.execute("INSERT INTO sample_accessions SELECT accession, sample_id, kind, source "
                "FROM _b_sacc WHERE NOT stored")
    if stored_ids:
        con.execute("INSERT INTO sample_accessions SELECT b.accession, b.sample_id, b.kind, "
                    "b.source FROM _b_sacc b ANTI JOIN sample_accessions a "
                    "ON a.accession = b.accession AND a.sample_id = b.sample_id WHERE b.stored")
    studies = {k[0]: v[0] for k, v in rows.items() if v[0] in ("gse", "srp", "bioproject")}
    if studies:
        register(con, "_b_std", {"accession": list(studies), "kind": list(studies.values()),
                                 "first_seen": [now] * len(studies)}, {"first_seen": TS})
        con.execute("INSERT INTO studies SELECT b.accession, b.kind, b.first_seen FROM _b_std b "
                    "ANTI JOIN studies s ON s.accession = b.accession")


def _columns(names: tuple[str, ...], rows: list[tuple]) -> dict[str, list]:
    return {n: [r[i] for r in rows] for i, n in enumerate(names)}


_REC = ("source", "record_accession", "sample_id", "content_hash", "updated", "published",
        "first_seen", "last_seen", "run_id")
_ATT = ("sample_id", "source", "record_accession", "key", "value", "harmonized_key", "ord")
_LIB = ("sample_id", "source", "record_accession", "strategy", "source_kind", "selection",
        "layout", "protocol", "instrument", "platform")
_RUN = ("run_accession", "experiment", "sample_id", "total_spots", "total_bases", "published",
        "source", "record_accession")


def _replace_record_rows(con, changed, sample_of, stored, known, run_id, now) -> None:
    """Replace the changed records' rows in records, sample_attributes, libraries and runs."""
    recs, atts, libs, runs = [], [], [], []
    seen_runs: set[str] = set()
    for ((source, racc), rec, h), sid in zip(changed, sample_of):
        old = stored.get((source, racc))
        recs.append((source, racc, sid, h, rec.updated, rec.published, old[1] if old else now,
                     now, run_id))
        atts += [(sid, source, racc, a.key, a.value, a.harmonized_key, i)
                 for i, a in enumerate(rec.attributes)]
        lib = rec.library
        values = (lib.strategy, lib.source, lib.selection, lib.layout, lib.protocol,
                  lib.instrument, lib.platform)
        if any(values):
            libs.append((sid, source, racc, *values))
        for run in rec.runs:
            acc = run.accession.strip().upper()
            if acc not in seen_runs:
                seen_runs.add(acc)
                runs.append((acc, run.experiment, sid, run.total_spots, run.total_bases,
                             run.published, source, racc))
    register(con, "_b_changed", _columns(_REC, recs), {"first_seen": TS, "last_seen": TS})
    if any((r[0], r[1]) in stored for r in recs):  # some records were stored before
        for table in ("records", "sample_attributes", "libraries", "runs"):
            con.execute(f"DELETE FROM {table} t USING _b_changed b WHERE t.source = b.source "
                        "AND t.record_accession = b.record_accession")
    con.execute("INSERT INTO records SELECT * FROM _b_changed")
    register(con, "_b_att", _columns(_ATT, atts), {"ord": INT})
    con.execute("INSERT INTO sample_attributes SELECT * FROM _b_att")
    register(con, "_b_lib", _columns(_LIB, libs))
    con.execute("INSERT INTO libraries SELECT * FROM _b_lib")
    register(con, "_b_runs", _columns(_RUN, runs), {"total_spots": INT, "total_bases": INT})
    if any(r[0] in known for r in runs):  # a run stored under another record moves here
        con.execute("DELETE FROM runs WHERE run_accession IN (SELECT run_accession FROM _b_runs)")
    con.execute("INSERT INTO runs SELECT * FROM _b_runs")
