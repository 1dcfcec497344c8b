"""The Prefect flows under a real (temporary) Prefect server, on real recorded records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from warehouse_support import warehouse_content

pytestmark = pytest.mark.slow

COUNTS_SQL = {
    "samples": "SELECT count(*) FROM samples",
    "accessions": "SELECT count(*) FROM sample_accessions",
    "attributes": "SELECT count(*) FROM sample_attributes",
    "runs": "SELECT count(*) FROM runs",
    "annotations": "SELECT count(*) FROM annotations",
    "mapped": "SELECT count(*) FROM annotations WHERE term_id IS NOT NULL",
    "distinct_accessions": "SELECT count(DISTINCT accession) FROM sample_accessions",
    "rejects": "SELECT count(*) FROM rejects",
}


def counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {k: con.execute(sql).fetchone()[0] for k, sql in COUNTS_SQL.items()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory, snapshot_dir, prefect_harness) -> Path:
    """The warehouse the demo builds: the nightly flow over the bundled snapshot."""
    from flows.nightly import nightly

    path = tmp_path_factory.mktemp("demo") / "harmonize.duckdb"
    nightly(warehouse=str(path), snapshot=str(snapshot_dir), use_embeddings=False)
    return path


def test_nightly_on_the_snapshot_builds_a_grounded_warehouse(demo_warehouse):
    c = counts(demo_warehouse)
    assert c["samples"] > 100
    assert c["annotations"] > c["samples"]  # several facets per sample
    assert c["mapped"] / c["annotations"] > 0.5
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    facets = {r[0] for r in con.execute("SELECT DISTINCT facet FROM annotations").fetchall()}
    assert {"tissue", "sex", "assay"} <= facets
    runs = con.execute("SELECT flow, status FROM harvest_runs").fetchall()
    assert ("nightly", "ok") in runs


def test_second_nightly_run_changes_no_count(demo_warehouse, snapshot_dir, prefect_harness):
    from flows.nightly import nightly

    before = counts(demo_warehouse)
    nightly(warehouse=str(demo_warehouse), snapshot=str(snapshot_dir), use_embeddings=False)
    assert counts(demo_warehouse) == before
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM harvest_runs WHERE flow = 'nightly'").fetchone()[0] >= 2


def test_renormalize_on_an_unchanged_warehouse_changes_nothing(demo_warehouse, prefect_harness):
    from flows.renormalize import renormalize

    before = counts(demo_warehouse)
    changes = renormalize(warehouse=str(demo_warehouse), use_embeddings=False)
    assert changes == []
    assert counts(demo_warehouse) == before


def test_unreachable_ncbi_fails_cleanly_and_keeps_the_published_warehouse(
        demo_warehouse, tmp_path, prefect_harness):
    from flows.nightly import nightly
    from harmonize.errors import FetchError

    digest = hashlib.sha256(demo_warehouse.read_bytes()).hexdigest()
    config = tmp_path / "harvest.toml"
    config.write_text('eutils_base = "http://127.0.0.1:9/entrez/eutils/"\n'
                      'geo_base = "http://127.0.0.1:9/geo/query/acc.cgi"\n'
                      "max_retries = 1\ntimeout = 2\n")
    with pytest.raises(FetchError) as err:
        nightly(warehouse=str(demo_warehouse), config_path=str(config), sources=["sra"],
                use_embeddings=False)
    assert "127.0.0.1" in str(err.value)
    assert hashlib.sha256(demo_warehouse.read_bytes()).hexdigest() == digest


def test_dask_runner_gives_the_same_warehouse_as_local_threads(tmp_path, snapshot_dir,
                                                              prefect_harness):
    from flows.backfill import backfill
    from flows.runners import task_runner

    files = [str(snapshot_dir / "sra"), str(snapshot_dir / "geo")]
    local, dask = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    backfill(paths=files, warehouse=str(local), use_embeddings=False)
    backfill.with_options(task_runner=task_runner("local"))(
        paths=files, warehouse=str(dask), use_embeddings=False, distributed=True)
    a, b = warehouse_content(local), warehouse_content(dask)
    assert len(a["annotations"]) > 100
    for table in a:
        assert a[table] == b[table], f"{table} differs between local and Dask runs"


def test_the_nightly_deployment_carries_its_cron_schedule_and_parameters():
    from flows.deploy import nightly_deployment

    dep = nightly_deployment("30 3 * * *", config_path="harvest.toml", warehouse="w.duckdb")
    assert dep.name == "nightly"
    assert [s.schedule.cron for s in dep.schedules] == ["30 3 * * *"]
    assert dep.parameters == {"config_path": "harvest.toml", "warehouse": "w.duckdb"}


def test_schedule_refuses_a_bad_cron_and_a_missing_server():
    from click.testing import CliRunner
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from harmonize.cli import cli

    bad = CliRunner().invoke(cli, ["schedule", "--cron", "every night"])
    assert bad.exit_code != 0 and "invalid cron expression 'every night'" in bad.output
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        none = CliRunner().invoke(cli, ["schedule"])
    assert none.exit_code != 0 and "prefect server start" in none.output
