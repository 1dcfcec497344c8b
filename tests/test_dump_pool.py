"""Dump parsing in worker processes: the tar is read here, batches are parsed in a pool, and
the warehouse is the one a one-process run gives, row for row, in every table."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from harmonize.dump import backfill as dump_backfill
from harmonize.dump import pool
from harmonize.dump.filters import NO_FILTER, DumpFilter
from harmonize.errors import ConfigError
from harmonize.steps.ingest import ingest_files
from harmonize.warehouse.db import writer
from harmonize.warehouse.load import start_run

DUMP = Path(__file__).parent / "data" / "sra_dump"
TAR = DUMP / "ddbj_sra_metadata_20_submissions.tar.gz"
TAB = DUMP / "SRA_Accessions.tab"
HUMAN_TRANSCRIPTOME = DumpFilter(("Homo sapiens",), ("RNA-Seq", "OTHER"), ("TRANSCRIPTOMIC",))
#: columns that name the run or the moment, not the data
_VOLATILE = {"annotated_at", "created_at", "first_seen", "last_seen", "updated_at",
             "applied_at", "committed_at", "run_id", "started_at", "finished_at"}
_RUN_TABLES = {"harvest_runs", "schema_migrations", "meta"}  # meta: snapshot ids


def every_table(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table (sorted), without the columns that name the run or the time."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall() if t not in _RUN_TABLES]
        out = {}
        for t in tables:
            cols = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [t]).fetchall() if c not in _VOLATILE]
            out[t] = con.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


class _CountingPool(pool.ProcessPoolExecutor):
    started = 0

    def __init__(self, *args, **kwargs):
        type(self).started += 1
        super().__init__(*args, **kwargs)


def _ingest(db: Path, paths, filt, workers: str, monkeypatch) -> object:
    monkeypatch.setenv(pool.WORKERS_ENV, workers)
    with writer(db) as con:
        return ingest_files(con, [str(p) for p in paths], start_run(con, "ingest", "files"),
                            filt=filt)


@pytest.mark.parametrize("filt", [HUMAN_TRANSCRIPTOME,
                                  pytest.param(NO_FILTER, marks=pytest.mark.slow)],
                         ids=["filtered", "all"])
def test_parsing_in_two_processes_gives_the_same_rows_in_every_table(tmp_path, monkeypatch,
                                                                      filt):
    monkeypatch.setattr(dump_backfill, "MEMBER_BATCH", 8)  # many batches from the real tar
    monkeypatch.setattr(pool, "ProcessPoolExecutor", _CountingPool)
    _CountingPool.started = 0
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    a = _ingest(one, [TAR, TAB], filt, "1", monkeypatch)
    assert _CountingPool.started == 0
    b = _ingest(two, [TAR, TAB], filt, "2", monkeypatch)
    assert _CountingPool.started == 1  # the pool did run
    assert (a.dump.parsed, a.dump.skipped, a.dump.members) == \
        (b.dump.parsed, b.dump.skipped, b.dump.members)
    x, y = every_table(one), every_table(two)
    assert x["dump_objects"] and x["records"] and x["samples"]
    for table in x:
        assert x[table] == y[table], f"{table} differs between one and two parse processes"


@pytest.mark.slow
def test_a_synthetic_full_mix_dump_keeps_the_same_set_with_two_processes(tmp_path, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_backfill import make_dump

    dump = tmp_path / "NCBI_SRA_Metadata_Full_test.tar.gz"
    info = make_dump(dump, 22)  # one unit: 352 samples of which 22 are kept, ~500 members
    monkeypatch.setattr(dump_backfill, "MEMBER_BATCH", 60)
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    a = _ingest(one, [dump], HUMAN_TRANSCRIPTOME, "1", monkeypatch)
    b = _ingest(two, [dump], HUMAN_TRANSCRIPTOME, "2", monkeypatch)
    assert a.dump.skipped == b.dump.skipped and a.dump.parsed["sample"] == info["samples"]
    x, y = every_table(one), every_table(two)
    kept = {r[0] for r in duckdb.connect(str(one), read_only=True).execute(
        "SELECT sample_id FROM samples").fetchall()}
    assert len(kept) == info["kept_samples"]
    for table in x:
        assert x[table] == y[table], f"{table} differs between one and two parse processes"


def test_the_number_of_parse_processes_is_checked(monkeypatch):
    monkeypatch.setenv(pool.WORKERS_ENV, "two")
    with pytest.raises(ConfigError, match=pool.WORKERS_ENV):
        pool.parse_workers()
    monkeypatch.setenv(pool.WORKERS_ENV, "3")
    assert pool.parse_workers() == 3
    monkeypatch.delenv(pool.WORKERS_ENV)
    assert 1 <= pool.parse_workers() <= pool.MAX_WORKERS


def test_a_single_batch_is_parsed_without_starting_processes(monkeypatch):
    from harmonize.dump.members import tar_members

    monkeypatch.setattr(pool, "ProcessPoolExecutor", _CountingPool)
    _CountingPool.started = 0
    members = list(tar_members(TAR))
    results = list(pool.pool_parse_many(2)(iter([members]), HUMAN_TRANSCRIPTOME))
    assert _CountingPool.started == 0 and len(results) == 1
    assert results[0].parsed["sample"] > 0


def test_batches_staged_together_resume_after_the_last_commit(tmp_path, monkeypatch):
    clean = tmp_path / "clean.duckdb"
    _ingest(clean, [TAR, TAB], HUMAN_TRANSCRIPTOME, "1", monkeypatch)
    monkeypatch.setattr(dump_backfill, "MEMBER_BATCH", 8)
    monkeypatch.setattr(dump_backfill, "COMMIT_MEMBERS", 20)  # about 3 batches per commit
    real = dump_backfill.write_objects
    sizes: list[int] = []

    def dying(con, objects):
        sizes.append(len(objects))
        if len(sizes) == 2:
            raise KeyboardInterrupt  # killed during the second commit
        return real(con, objects)

    monkeypatch.setattr(dump_backfill, "write_objects", dying)
    resumed = tmp_path / "resumed.duckdb"
    with pytest.raises(KeyboardInterrupt):
        _ingest(resumed, [TAR, TAB], HUMAN_TRANSCRIPTOME, "2", monkeypatch)
    monkeypatch.setattr(dump_backfill, "write_objects", real)
    stats = _ingest(resumed, [TAR, TAB], HUMAN_TRANSCRIPTOME, "2", monkeypatch)
    assert 20 <= stats.dump.members_resumed < 20 + 8 * 4  # the first commit only
    x, y = every_table(clean), every_table(resumed)
    for table in ("dump_objects", "records", "samples", "sample_accessions", "libraries",
                  "runs", "sample_attributes"):
        assert x[table] == y[table], table


def test_a_later_copy_of_an_object_in_the_same_commit_wins():
    from harmonize.dump.backfill import _latest
    from harmonize.parse.insdc import DumpObject

    old, other = DumpObject("sample", "SRS1", xml=b"<SAMPLE a='1'/>"), DumpObject("run", "SRR1")
    new = DumpObject("sample", "SRS1", xml=b"<SAMPLE a='2'/>")
    assert _latest([[old, other], [new]]) == [other, new]


def test_a_link_batch_refetches_when_staged_rows_moved_since_the_plan(tmp_path, monkeypatch):
    from harmonize.dump import link

    db = tmp_path / "w.duckdb"
    monkeypatch.setenv(pool.WORKERS_ENV, "1")
    with writer(db) as con:
        run_id = start_run(con, "ingest", "files")
        stats = dump_backfill.DumpStats()
        dump_backfill._stage_source(con, str(TAR), [TAR], NO_FILTER, run_id,
                                    pool.pool_parse_many(1), stats, None, tar=True)
        con.execute(link._LINK_SQL)
        con.execute(link._ORDER_SQL)
        con.execute(link._PLAN_SQL)
        stored = dict(con.execute("SELECT accession, xml FROM dump_objects "
                                  "WHERE kind = 'experiment'").fetchall())
        # rows rewritten after the plan was made (as a checkpoint's vacuum may): new rowids
        con.execute("CREATE TEMP TABLE _copy AS SELECT * FROM dump_objects")
        con.execute("DELETE FROM dump_objects")
        con.execute("INSERT INTO dump_objects SELECT * FROM _copy ORDER BY kind DESC")
        plan, runs, xml = link._batch_objects(con, 0, 10_000)
    assert len(plan) == len(stored) > 10
    assert {acc: xml[x_rid] for acc, x_rid, *_ in plan} == stored
    assert sum(len(v) for v in runs.values()) > 0


def test_progress_moves_with_every_parsed_batch_between_commits(tmp_path, monkeypatch):
    monkeypatch.setattr(dump_backfill, "MEMBER_BATCH", 8)
    monkeypatch.setenv(pool.WORKERS_ENV, "1")
    seen: list[dump_backfill.Progress] = []
    with writer(tmp_path / "w.duckdb") as con:
        stats, outcomes, _ = dump_backfill.load_dumps(
            con, [TAR], NO_FILTER, start_run(con, "ingest", "files"), on_progress=seen.append)
    assert outcomes[0].error is None
    members = [p.members for p in seen]
    assert len(seen) > 5 and members == sorted(members)  # one commit, many updates
    assert members[-1] == stats.members and seen[-1].objects == sum(stats.parsed.values())
