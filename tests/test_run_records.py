"""Run records tell the truth: killed and failed runs show as such at once, a run's row covers
the whole run, and no process outlives the command that started it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from ncbi_server import ReplayServer

from harmonize.steps.summary import EXAMPLE_COHORT_SQL

REPO = Path(__file__).resolve().parents[1]


def cli_env(tmp_path: Path) -> dict[str, str]:
    """The CLI's environment without a Prefect server: it must start (and stop) its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NCBI_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PYTHONPATH=str(REPO),
               HARMONIZE_CACHE=os.environ.get("HARMONIZE_CACHE", str(REPO / ".cache")),
               HF_HUB_OFFLINE="1", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180")
    return env


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live child processes of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append((int(entry.name), cmdline))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def journal(warehouse: Path) -> list[dict]:
    path = warehouse.with_name(warehouse.name + ".runs.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def read_runs(warehouse: Path) -> list[tuple]:
    """harvest_runs as a reader sees it (the CLI's read-only connection)."""
    from harmonize.warehouse.db import connect_read

    con = connect_read(warehouse)
    try:
        return con.execute("SELECT run_id, flow, status, started_at, finished_at, message, counts "
                           "FROM harvest_runs ORDER BY started_at").fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_sigkilled_nightly_reads_killed_and_leaves_no_prefect_server(tmp_path, snapshot_dir):
    from harmonize.warehouse.db import writer

    warehouse = tmp_path / "w.duckdb"
    with writer(warehouse):
        pass  # last night's published warehouse (here: empty), which readers keep reading
    env = cli_env(tmp_path)
    cmd = [sys.executable, "-m", "harmonize", "-v", "nightly", "--snapshot", str(snapshot_dir),
           "--warehouse", str(warehouse), "--no-embeddings"]
    log = tmp_path / "killed.log"
    with log.open("wb") as sink:  # a file, not a pipe: a full pipe would stall the run
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 400
        # the ontology tables are loaded right before grounding starts: kill it there
        while "loaded ontology tables" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the run never reached grounding"
            servers = servers or [p for p, c in children(proc.pid) if "uvicorn" in c]
            time.sleep(0.05)
        servers = servers or [p for p, c in children(proc.pid) if "uvicorn" in c]
        assert journal(warehouse)[-1]["status"] == "running"  # killed mid-run, not after
        proc.send_signal(signal.SIGKILL)  # the command alone, as the OOM killer would
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert servers, "the flow ran without its temporary Prefect server"
    deadline = time.monotonic() + 20
    while any(alive(p) for p in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [p for p in servers if alive(p)]
    for p in survivors:
        os.kill(p, signal.SIGKILL)
    assert not survivors, "the temporary Prefect server outlived the killed command"

    # readers see the killed run at once, before any other run starts
    (killed,) = read_runs(warehouse)
    assert killed[1:3] == ("nightly", "killed") and str(proc.pid) in killed[5]

    done = subprocess.run([c for c in cmd if c != "-v"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = read_runs(warehouse)
    assert first[0] == killed[0] and first[2] == "killed"
    assert second[2] == "ok"
    assert json.loads(second[6])["grounded_samples"] > 100  # it covers the grounding too
    # and its end is the end of the run: after the publish, not after the harvest step
    published = duckdb.connect(str(warehouse), read_only=True)
    try:
        at = published.execute("SELECT value FROM meta WHERE key = 'published_at'").fetchone()[0]
        stored = published.execute("SELECT status FROM harvest_runs ORDER BY started_at"
                                   ).fetchall()
    finally:
        published.close()
    assert second[4] >= second[4].fromisoformat(at) - timedelta(seconds=1)
    assert stored == [("killed",), ("ok",)]  # the next publish carries both rows
    # quiet by default: no Prefect INFO lines, no NCBI_EMAIL warning for a snapshot run
    assert "INFO" not in done.stderr and "Starting temporary server" not in done.stderr
    assert "NCBI_EMAIL" not in done.stderr
    # the example query is printed whole (unwrapped) and can be pasted back
    for line in EXAMPLE_COHORT_SQL.splitlines():
        assert line in done.stderr.splitlines()
    again = subprocess.run([sys.executable, "-m", "harmonize", "query", EXAMPLE_COHORT_SQL,
                            "--format", "csv", "--warehouse", str(warehouse)], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) > 1


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["http 500", "dns"])
def test_a_failed_network_nightly_is_told_once_and_visible_at_once(tmp_path, failure):
    from harmonize.warehouse.db import writer

    warehouse = tmp_path / "w.duckdb"
    with writer(warehouse):
        pass
    digest = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    with ReplayServer() as server:
        server.script("esearch", *["500"] * 4)  # every attempt fails
        host = server.root.split("//")[1]
        if failure == "dns":  # a name no resolver knows (fails at once, also offline)
            host = "eutils.harmonize-test.invalid"
        config = tmp_path / "harvest.toml"
        config.write_text(f'eutils_base = "http://{host}/entrez/eutils/"\n'
                          f'geo_base = "{server.geo_base}"\n'
                          "max_retries = 2\nbackoff_base = 0.01\nbackoff_cap = 0.02\n")
        result = subprocess.run(
            [sys.executable, "-m", "harmonize", "nightly", "--config", str(config), "--sources",
             "sra", "--warehouse", str(warehouse), "--no-embeddings"], cwd=tmp_path,
            env=cli_env(tmp_path), capture_output=True, text=True, timeout=600, check=False)
        attempts = len(server.requests("esearch"))
    assert result.returncode != 0
    assert attempts == (3 if failure == "http 500" else 0)  # the retries happened, quietly
    # one line says what failed, naming the host once; no retry notes, no Prefect lines
    lines = result.stderr.splitlines()
    assert sum(host in line for line in lines) == 1, result.stderr
    (error,) = [line for line in lines if host in line]
    assert error.startswith("Error:")
    assert ("http 500" if failure == "http 500" else "cannot reach") in error
    assert "NCBI_EMAIL is not set" in result.stderr  # a live harvest without a contact address
    # the published warehouse is untouched, yet its readers see the failed run right away
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == digest
    (row,) = read_runs(warehouse)
    assert row[1:3] == ("nightly", "failed")
    assert host in row[5] and row[4] is not None


def test_a_run_that_cannot_get_the_lock_is_recorded_as_failed(tmp_path):
    from harmonize.errors import WarehouseError
    from harmonize.warehouse.db import writer
    from harmonize.warehouse.runs import recorded_run

    warehouse = tmp_path / "w.duckdb"
    with writer(warehouse), pytest.raises(WarehouseError, match="another harmonize run"), \
            recorded_run(warehouse, "ingest", "files"):
        pass
    with recorded_run(warehouse, "ingest", "files") as run:
        run.counts["records"] = 0
    rows = read_runs(warehouse)
    assert [r[2] for r in rows] == ["failed", "ok"]
    assert "another harmonize run" in rows[0][5]


def test_a_dead_running_row_reads_as_killed(tmp_path):
    """A process that died without a word (here: a real child that exited) is seen as killed."""
    from harmonize.warehouse.db import writer
    from harmonize.warehouse.runs import _append, _new_row, recorded_run

    warehouse = tmp_path / "w.duckdb"
    with writer(warehouse):
        pass
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    row = _new_row("backfill", "files", {})
    row.update(pid=int(child.stdout), pid_start="0")
    _append(warehouse, row)
    assert [r[2] for r in read_runs(warehouse)] == ["killed"]
    with recorded_run(warehouse, "normalize", "warehouse"):
        pass
    assert journal(warehouse)[-2]["status"] == "killed"  # written down by the next run
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT flow, status FROM harvest_runs ORDER BY started_at"
                           ).fetchall() == [("backfill", "killed"), ("normalize", "ok")]
    finally:
        con.close()
