"""The nightly flow's live path (no snapshot) against the loopback NCBI replay server.

Covers a clean run and its rerun, a run through scripted faults, a real ``harmonize nightly``
subprocess killed mid-harvest and rerun (it resumes from the batches committed in the staging
file), and an unreachable NCBI (the published warehouse stays byte-identical).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from ncbi_server import SRP174132_EFETCH, ReplayServer, miniml_per_sample, read
from warehouse_support import warehouse_content

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2024, 3, 1)
SOURCES = ["sra", "geo", "biosample"]


# -- expectations read from the replayed bytes (independent of our parsers) ---------------------


def sra_links() -> dict[str, tuple[str | None, str | None]]:
    """SRX -> (BioSample, GSM) of every EXPERIMENT_PACKAGE of the replayed SRA file."""
    raw = read(SRP174132_EFETCH).decode()
    out: dict[str, tuple[str | None, str | None]] = {}
    for package in re.findall(r"<EXPERIMENT_PACKAGE>.*?</EXPERIMENT_PACKAGE>", raw, re.DOTALL):
        srx = re.search(r'<EXPERIMENT\b[^>]*?\baccession="(SRX\d+)"', package).group(1)
        sample = re.search(r"<SAMPLE\b.*?</SAMPLE>", package, re.DOTALL).group(0)
        samn = re.search(r'namespace="BioSample">(SAMN\d+)<', sample)
        gsm = re.search(r'namespace="GEO">(GSM\d+)<', sample)
        out[srx] = (samn.group(1) if samn else None, gsm.group(1) if gsm else None)
    return out


def geo_links() -> dict[str, tuple[str | None, str | None]]:
    """GSM -> (BioSample, SRX) named by the MINiML document acc.cgi serves for it."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for gsm, doc in miniml_per_sample().items():
        text = doc.decode()
        samn = re.search(r"\b(SAMN\d+)\b", text)
        srx = re.search(r"\b(SRX\d+)\b", text)
        out[gsm] = (samn.group(1) if samn else None, srx.group(1) if srx else None)
    return out


def write_config(path: Path, server: ReplayServer | None = None, *, eutils_base: str = "",
                 geo_base: str = "", **overrides: object) -> Path:
    """A harvest TOML pointing at the replay server: fast, few retries, tiny backoff."""
    values: dict[str, object] = {
        "eutils_base": eutils_base or server.eutils_base,
        "geo_base": geo_base or server.geo_base,
        "email": "curator@example.org",
        "rate_limit": 1000.0,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "max_retries": 3,
        "timeout": 10.0,
        "batch_size": 4,
    } | overrides
    lines = [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"'
             for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sample_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Sample-level accession -> its sample (each must name exactly one sample)."""
    rows = con.execute("SELECT accession, sample_id FROM sample_accessions "
                       "WHERE kind IN ('biosample', 'gsm', 'srs', 'srx', 'srr')").fetchall()
    out: dict[str, str] = {}
    for acc, sid in rows:
        assert out.setdefault(acc, sid) == sid, f"{acc} is linked to two samples"
    return out


def duplicates(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    return con.execute("SELECT count(*), count(DISTINCT (accession, sample_id)) "
                       "FROM sample_accessions").fetchone()


# -- a clean live run, and its rerun -------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, prefect_harness):
    """One live nightly over sra, geo and biosample; yields (warehouse, request log)."""
    from flows.nightly import nightly

    root = tmp_path_factory.mktemp("live")
    path = root / "harmonize.duckdb"
    with ReplayServer() as server:
        config = write_config(root / "harvest.toml", server)
        nightly(warehouse=str(path), config_path=str(config), sources=SOURCES,
                use_embeddings=False, today=TODAY)
        log = server.requests()
    return path, log


def test_live_nightly_loads_exactly_the_replayed_records_linked(clean_run):
    path, log = clean_run
    srx, gsm = sra_links(), geo_links()
    assert len(srx) == 10 and len(gsm) == 52
    con = duckdb.connect(str(path), read_only=True)
    try:
        by_source = {s: {r[0] for r in con.execute(
            "SELECT record_accession FROM records WHERE source = ?", [s]).fetchall()}
            for s in ("sra", "geo")}
        assert {a for a in by_source["sra"] if a.startswith("SRX")} == set(srx)
        assert by_source["geo"] == set(gsm)
        kinds = dict(con.execute("SELECT kind, list(DISTINCT accession) FROM sample_accessions "
                                 "GROUP BY kind").fetchall())
        expected_srx = set(srx) | {x for _, x in gsm.values() if x}
        assert set(kinds["srx"]) == expected_srx
        assert set(kinds["gsm"]) == set(gsm) | {g for _, g in srx.values() if g}
        assert set(kinds["biosample"]) == {b for b, _ in [*srx.values(), *gsm.values()] if b}
        owner = sample_of(con)
        for experiment, linked in srx.items():
            for other in linked:
                assert other is None or owner[experiment] == owner[other], (experiment, other)
        for sample, (samn, experiment) in gsm.items():
            for other in (samn, experiment):
                assert other is None or owner[sample] == owner[other], (sample, other)
        n_samples = con.execute("SELECT count(*) FROM samples").fetchone()[0]
        assert n_samples == len(set(owner[a] for a in [*srx, *gsm]))
        total, distinct = duplicates(con)
        assert total == distinct
        runs = con.execute("SELECT source, status, window_start, window_end, watermark "
                           "FROM harvest_runs WHERE flow = 'nightly'").fetchall()
        start = TODAY - timedelta(days=3)
        assert runs == [(",".join(SOURCES), "ok", start, TODAY, TODAY)]  # one row, whole run
    finally:
        con.close()
    efetch = [r for r in log if r.endpoint == "efetch"]
    assert {r.params["db"][0] for r in efetch} == {"sra", "biosample"}
    asked = [i for r in efetch if r.params["db"][0] == "biosample"
             for v in r.params["id"] for i in v.split(",")]
    assert sorted(asked) == sorted(kinds["biosample"])  # every BioSample named, asked once
    # GEO costs one esummary and one series acc.cgi per batch of 4, not one acc.cgi per GSM
    batches = -(-len(gsm) // 4)
    assert len([r for r in log if r.endpoint == "esummary"]) == batches
    series = [r.params["acc"][0] for r in log if r.endpoint == "acc"]
    assert series == ["GSE100007"] * batches


def test_second_live_run_adds_no_duplicates(clean_run, tmp_path, prefect_harness):
    from flows.nightly import nightly

    path, _ = clean_run
    copy = tmp_path / "rerun.duckdb"
    copy.write_bytes(path.read_bytes())
    before = warehouse_content(copy)
    with ReplayServer() as server:
        config = write_config(tmp_path / "harvest.toml", server)
        nightly(warehouse=str(copy), config_path=str(config), sources=SOURCES,
                use_embeddings=False, today=TODAY + timedelta(days=1))
        # the overlapping window re-reads everything: one series request per batch of 4 GSMs
        assert len(server.requests("acc")) == len(server.requests("esummary")) == 52 // 4
    assert warehouse_content(copy) == before
    con = duckdb.connect(str(copy), read_only=True)
    try:
        total, distinct = duplicates(con)
        assert total == distinct
        rows = con.execute("SELECT source, window_start, watermark FROM harvest_runs "
                           "WHERE flow = 'nightly' AND status = 'ok' AND watermark = ?",
                           [TODAY + timedelta(days=1)]).fetchall()
        # starts overlap_days before the watermark
        assert rows == [(",".join(SOURCES), TODAY - timedelta(days=1), TODAY + timedelta(days=1))]
    finally:
        con.close()


# -- faults during the flow ----------------------------------------------------------------------


def test_faults_during_the_flow_give_the_clean_content(clean_run, tmp_path, prefect_harness):
    from flows.nightly import nightly

    path, _ = clean_run
    faulty = tmp_path / "faulty.duckdb"
    with ReplayServer() as server:
        # at most two failures per request: max_retries = 3 gives every request four attempts
        server.script("esearch", "500")
        server.script("efetch", None, "429:1", "500", None, "reset", "truncate")
        server.script("acc", "truncate", None, "reset")
        config = write_config(tmp_path / "harvest.toml", server)
        nightly(warehouse=str(faulty), config_path=str(config), sources=SOURCES,
                use_embeddings=False, today=TODAY)
        statuses = [r.status for r in server.requests()]
        faults = [r.fault for r in server.requests() if r.fault]
    assert faults == ["500", "429:1", "500", "reset", "truncate", "truncate", "reset"]
    assert 429 in statuses and 500 in statuses
    assert warehouse_content(faulty) == warehouse_content(path)


def test_a_gsm_refused_for_good_is_quarantined_and_the_rest_loads(tmp_path, prefect_harness):
    from flows.nightly import nightly

    path = tmp_path / "refused.duckdb"
    private = next(iter(geo_links()))
    with ReplayServer() as server:
        # a private GSM is not in its public series document, and acc.cgi refuses it alone:
        # after the first series answer, when its batch falls back to it, then when asked alone
        family = server.state.series_docs["GSE100007"]
        server.state.series_docs["GSE100007"] = re.sub(
            rb'<Sample iid="%s">.*?</Sample>' % private.encode(), b"", family, flags=re.DOTALL)
        server.script("acc", None, "notpublic", "notpublic")
        config = write_config(tmp_path / "harvest.toml", server)
        nightly(warehouse=str(path), config_path=str(config), sources=["geo"],
                use_embeddings=False, today=TODAY)
        refused = [r.params["acc"][0] for r in server.requests("acc") if r.fault]
    assert refused == [private, private]
    con = duckdb.connect(str(path), read_only=True)
    try:
        loaded = {r[0] for r in con.execute(
            "SELECT record_accession FROM records WHERE source = 'geo'").fetchall()}
        assert loaded == set(geo_links()) - set(refused)
        rejects = con.execute("SELECT record_id, reason FROM rejects").fetchall()
        assert [r[0] for r in rejects] == refused[:1] and refused[0] in rejects[0][1]
        assert con.execute("SELECT status, watermark FROM harvest_runs WHERE source = 'geo'"
                           ).fetchall() == [("ok", TODAY)]
    finally:
        con.close()


# -- kill and rerun with a real subprocess ------------------------------------------------------


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        HARMONIZE_CACHE=os.environ.get("HARMONIZE_CACHE", str(REPO / ".cache")),
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(REPO),
    )
    return env


def nightly_cmd(config: Path, warehouse: Path, sources: str = "sra") -> list[str]:
    return [sys.executable, "-m", "harmonize", "nightly", "--config", str(config),
            "--sources", sources, "--warehouse", str(warehouse), "--no-embeddings"]


def test_killed_run_resumes_from_committed_batches(tmp_path):
    from harmonize.warehouse.db import connect_read, writer

    warehouse = tmp_path / "kill.duckdb"
    srx = set(sra_links())
    total_batches = -(-len(srx) // 2)
    env = cli_env(tmp_path)
    with writer(warehouse):
        pass  # an empty published warehouse: the killed run must leave it as it is
    digest = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    with ReplayServer() as server:
        # 1.5 requests per second: the harvest (1 esearch + 5 efetch) takes several seconds
        config = write_config(tmp_path / "harvest.toml", server, batch_size=2, rate_limit=1.5)
        output = tmp_path / "killed-run.log"  # a file, not a pipe: a full pipe would stall it
        with output.open("wb") as sink:
            proc = subprocess.Popen(nightly_cmd(config, warehouse), cwd=tmp_path, env=env,
                                    stdout=sink, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        try:
            deadline = time.monotonic() + 240
            while len(server.requests("efetch")) < 3:
                assert proc.poll() is None, output.read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, "the harvest never reached its third batch"
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the whole group: CLI and Prefect server
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        first = len(server.requests("efetch"))
        assert first < total_batches, "the run finished before it was killed"
        # never half a run: the published file is untouched and readable, the committed
        # batches wait in the staging file for the next run
        assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == digest
        reader = connect_read(warehouse)
        assert reader.execute("SELECT count(*) FROM records").fetchone()[0] == 0
        reader.close()
        staging = duckdb.connect(str(warehouse.with_name(warehouse.name + ".staging")),
                                 read_only=True)
        committed = staging.execute("SELECT count(*) FROM harvest_progress").fetchone()[0]
        staging.close()
        assert committed >= 2  # the third efetch is only sent once the second batch committed

        done = subprocess.run(nightly_cmd(config, warehouse), cwd=tmp_path, env=env,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
        second = len(server.requests("efetch")) - first
    assert second == total_batches - committed  # resumed: no committed batch fetched again
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT record_accession, count(*) FROM records WHERE source = 'sra' "
                           "GROUP BY 1").fetchall()
        assert {a for a, _ in rows if a.startswith("SRX")} == srx
        assert all(n == 1 for _, n in rows)
        got = con.execute("SELECT accession, count(*) FROM sample_accessions WHERE kind = 'srx' "
                          "GROUP BY 1").fetchall()
        assert dict(got) == {a: 1 for a in srx}
        total, distinct = duplicates(con)
        assert total == distinct
        statuses = con.execute("SELECT status FROM harvest_runs WHERE source = 'sra' "
                               "ORDER BY started_at").fetchall()
        assert [s for (s,) in statuses] == ["killed", "ok"]  # the killed run says so
    finally:
        con.close()


# -- NCBI unreachable ---------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_ncbi_exits_nonzero_and_keeps_the_warehouse(clean_run, tmp_path,
                                                                 prefect_harness):
    from click.testing import CliRunner

    from harmonize.cli import cli

    path, _ = clean_run
    published = tmp_path / "published.duckdb"
    published.write_bytes(path.read_bytes())
    digest = hashlib.sha256(published.read_bytes()).hexdigest()
    port = closed_port()
    config = write_config(tmp_path / "harvest.toml",
                          eutils_base=f"http://127.0.0.1:{port}/entrez/eutils/",
                          geo_base=f"http://127.0.0.1:{port}/geo/query/acc.cgi",
                          max_retries=1, timeout=2.0)
    result = CliRunner().invoke(cli, ["nightly", "--config", str(config), "--sources",
                                      "sra,geo,biosample", "--warehouse", str(published),
                                      "--no-embeddings"])
    assert result.exit_code != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert f"127.0.0.1:{port}" in errors[0]
    assert hashlib.sha256(published.read_bytes()).hexdigest() == digest


# -- resume safety of plan keys ------------------------------------------------------------------


def test_geo_plan_key_changes_when_the_searched_gsms_change(tmp_path):
    from harmonize.ncbi import NCBIClient, load_config, plan
    from harmonize.ncbi.planning import Window

    with ReplayServer() as server:
        config = load_config(write_config(tmp_path / "harvest.toml", server))
        window = Window(TODAY - timedelta(days=3), TODAY)
        with NCBIClient(config) as client:
            before = plan(client, config, "geo", window)
            docs = server.state.gsm_docs
            first = next(iter(docs))
            docs["GSM9999999"] = docs.pop(first)  # upstream: one GSM gone, another new
            after = plan(client, config, "geo", window)
    assert before.accessions != after.accessions and before.count == after.count
    assert before.plan_key != after.plan_key
