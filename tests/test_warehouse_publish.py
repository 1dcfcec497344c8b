"""Publishing protocol: readers see whole runs only, failures leave the published file intact."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import time

import pytest

from harmonize.errors import WarehouseError
from harmonize.models import Attribute, SampleRecord
from harmonize.warehouse.db import (
    connect_read,
    discard_staging,
    resolve_path,
    snapshot_id,
    staging_path,
    writer,
)
from harmonize.warehouse.load import done_batches, mark_batch, upsert_records

BATCH = 50
BATCHES_PER_RUN = 4


def records(start: int, n: int) -> list[SampleRecord]:
    return [SampleRecord("geo", f"GSM{900000 + i}", (f"GSM{900000 + i}", "GSE1"),
                         organism="Mus musculus",
                         attributes=(Attribute("tissue", "brain"), Attribute("age", str(i))))
            for i in range(start, start + n)]


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


READER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import duckdb
    db, stop, obs = Path(sys.argv[1]), Path(sys.argv[2]), open(sys.argv[3], "a")
    obs.write("-1 -1 -1\\n")  # ready
    obs.flush()
    while True:
        last = stop.exists()  # one more read after the writer is done
        if not db.exists():
            if last:
                break
            time.sleep(0.005)
            continue
        con = duckdb.connect(str(db), read_only=True)
        recs, attrs, samples = con.execute(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM sample_attributes),"
            " (SELECT count(*) FROM samples)").fetchall()[0]
        con.close()
        obs.write(f"{recs} {attrs} {samples}\\n")
        obs.flush()
        if last:
            break
""")


def observations(path) -> list[list[int]]:
    return [[int(x) for x in line.split()] for line in path.read_text().splitlines()]


def wait_for_reader(path, seen_before: int) -> None:
    """Block until the reader made one more observation (so it reads while we write)."""
    deadline = time.monotonic() + 60
    while len(observations(path)) <= seen_before:
        assert time.monotonic() < deadline, "reader process made no progress"
        time.sleep(0.01)


def test_reader_never_sees_a_partial_run(tmp_path):
    db, stop, obs = tmp_path / "w.duckdb", tmp_path / "stop", tmp_path / "obs.txt"
    obs.touch()
    with writer(db):
        pass  # an empty published warehouse to start from
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), str(obs)])
    try:
        wait_for_reader(obs, 0)
        start = 0
        for _ in range(4):
            with writer(db) as con:
                for _ in range(BATCHES_PER_RUN):
                    upsert_records(con, records(start, BATCH))
                    start += BATCH
                    wait_for_reader(obs, len(observations(obs)))
    finally:
        stop.touch()
        reader.wait(timeout=60)
    seen = [o for o in observations(obs) if o[0] >= 0]
    run_size = BATCH * BATCHES_PER_RUN
    assert len(seen) >= 4 * BATCHES_PER_RUN
    for recs, attrs, samples in seen:
        assert recs % run_size == 0, seen
        assert attrs == 2 * recs and samples == recs
    assert seen[-1][0] == 4 * run_size
    assert {o[0] for o in seen} >= {0, run_size, 2 * run_size, 3 * run_size}


def test_exception_leaves_published_file_unchanged_and_run_resumes(tmp_path):
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, records(0, 10))
    digest, published = sha(db), snapshot_id(connect_read(db))
    with pytest.raises(RuntimeError, match="killed"):
        with writer(db) as con:
            for batch in range(3):
                upsert_records(con, records(10 + 10 * batch, 10))
                mark_batch(con, "plan", batch, None)
            raise RuntimeError("killed mid-run")
    assert sha(db) == digest
    reader = connect_read(db)
    assert reader.execute("SELECT count(*) FROM records").fetchall()[0][0] == 10
    assert snapshot_id(reader) == published
    reader.close()
    assert staging_path(db).exists()
    with writer(db) as con:
        assert done_batches(con, "plan") == {0, 1, 2}
        upsert_records(con, records(40, 10))
    reader = connect_read(db)
    assert reader.execute("SELECT count(*) FROM records").fetchall()[0][0] == 50
    assert snapshot_id(reader) != published
    reader.close()
    assert not staging_path(db).exists()


def test_stale_staging_is_not_reused(tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(RuntimeError):
        with writer(db) as con:
            upsert_records(con, records(0, 5))
            raise RuntimeError("fail")
    assert discard_staging(db) is True
    with writer(db) as con:
        upsert_records(con, records(100, 2))
    reader = connect_read(db)
    assert reader.execute("SELECT count(*) FROM records").fetchall()[0][0] == 2
    reader.close()


def test_only_one_writer(tmp_path):
    db = tmp_path / "w.duckdb"
    with writer(db):
        with pytest.raises(WarehouseError, match="another harmonize run is writing"):
            with writer(db):
                pass
    with writer(db):
        pass


def test_missing_warehouse_error_and_path_resolution(tmp_path, monkeypatch):
    with pytest.raises(WarehouseError, match="no warehouse at .*harmonize ingest"):
        connect_read(tmp_path / "absent.duckdb")
    monkeypatch.setenv("HARMONIZE_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert resolve_path(None) == tmp_path / "env.duckdb"
    assert resolve_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"
    monkeypatch.delenv("HARMONIZE_WAREHOUSE")
    monkeypatch.chdir(tmp_path)
    assert resolve_path(None) == tmp_path / "warehouse" / "harmonize.duckdb"


def test_new_reader_in_same_process_sees_new_snapshot(tmp_path):
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, records(0, 3))
    old = connect_read(db)  # stays open across the publish
    with writer(db) as con:
        upsert_records(con, records(3, 2))
    new = connect_read(db)
    assert new.execute("SELECT count(*) FROM samples").fetchall()[0][0] == 5
    assert old.execute("SELECT count(*) FROM samples").fetchall()[0][0] == 3
    old.close()
    new.close()


def test_damaged_leftover_staging_is_replaced(tmp_path):
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, records(0, 4))
    staging_path(db).write_bytes(b"not a duckdb file" * 100)
    with writer(db) as con:
        upsert_records(con, records(4, 1))
    reader = connect_read(db)
    assert reader.execute("SELECT count(*) FROM samples").fetchall()[0][0] == 5
    reader.close()


def test_discard_on_error_removes_only_a_staging_copy_it_made(tmp_path):
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, records(0, 5))
    published = sha(db)
    with pytest.raises(RuntimeError), writer(db, discard_on_error=True) as con:
        upsert_records(con, records(5, 5))
        assert staging_path(db).exists()
        raise RuntimeError("curator decisions failed")
    assert not staging_path(db).exists()
    assert sha(db) == published
    # a staging file an earlier (killed) run left is resumed and kept on failure
    with pytest.raises(RuntimeError), writer(db) as con:
        upsert_records(con, records(10, 5))
        raise RuntimeError("killed nightly")
    with pytest.raises(RuntimeError), writer(db, discard_on_error=True) as con:
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 10
        raise RuntimeError("curate fails on top of it")
    assert staging_path(db).exists()
    assert sha(db) == published
