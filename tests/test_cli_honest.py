"""The command line is quiet, honest and shows progress: each file's fate and the exit code of
``ingest``, bars that carry a unit, a total and a rate, safe ``query`` output, and no setup on
import. Through the installed ``harmonize`` entry point, on real record files."""

from __future__ import annotations

import ast
import fcntl
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "harmonize"
SRA = "ncbi/sra_efetch/pavlidis_GSE212527_sra.xml"
SOFT = "ncbi/geo_soft/geofetch_GSE146540_GSM.soft"
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, check=check,
                          timeout=600, env=ENV)


def run_in_terminal(*args: str) -> str:
    """Run the command with stderr on a pseudo-terminal (as a user sees it); return what it drew."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    proc = subprocess.Popen([str(BIN), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=follower, env=ENV)
    os.close(follower)
    out = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=600)
    os.close(leader)
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))


@pytest.fixture()
def mixed_folder(tmp_path: Path, data_dir: Path) -> Path:
    """A folder with a good SRA file, a note with an unknown suffix and a file with no records."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(data_dir / SRA, folder / "good_sra.xml")
    (folder / "notes.csv").write_text("sample,tissue\n")
    (folder / "empty_set.xml").write_text(
        '<?xml version="1.0"?>\n<EXPERIMENT_PACKAGE_SET></EXPERIMENT_PACKAGE_SET>\n')
    return folder


def test_ingest_reports_each_file_and_loads_the_rest(mixed_folder, tmp_path):
    wh = tmp_path / "w.duckdb"
    missing = tmp_path / "no_such_file.xml"

    proc = run("ingest", str(missing), str(mixed_folder), "--warehouse", str(wh))

    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 2
    assert str(missing) in errors[0] and "No such file" in errors[0]
    assert str(mixed_folder / "empty_set.xml") in errors[1]
    assert "holds no sample records" in errors[1]
    skipped = (f"skipped: {mixed_folder / 'notes.csv'}: not a record file (folders are read "
               "for .xml, .soft, .txt, .miniml, .tar, .tab, optionally .gz)")
    assert [line for line in lines if line.startswith("skipped:")] == [skipped]
    assert "their good records were loaded" not in proc.stderr
    assert "Error: 2 of 3 files had errors (see above); the other 1 loaded" in lines
    out = run("query", "SELECT count(*) AS n FROM records", "--format", "json",
              "--warehouse", str(wh), check=True).stdout
    assert json.loads(out)[0]["n"] > 0  # the good file loaded despite the missing one
    runs = json.loads(run("query", "SELECT flow, status, counts FROM harvest_runs",
                          "--format", "json", "--warehouse", str(wh), check=True).stdout)
    assert [(r["flow"], r["status"]) for r in runs] == [("ingest", "partial")]
    counts = json.loads(runs[0]["counts"])
    assert (counts["failed_files"], counts["skipped_files"]) == (2, 1)


def test_ingest_of_good_files_exits_zero_and_says_nothing_of_fates(tmp_path, data_dir):
    proc = run("ingest", str(data_dir / SRA), "--warehouse", str(tmp_path / "w.duckdb"))
    assert proc.returncode == 0, proc.stderr
    assert not re.search(r"^(error|warning|skipped):", proc.stderr, re.MULTILINE)
    assert "1 file," in proc.stderr


@pytest.mark.slow
def test_bars_show_bytes_records_a_rate_and_a_known_total(tmp_path, data_dir):
    wh = tmp_path / "w.duckdb"
    drawn = run_in_terminal("ingest", str(data_dir / SRA), str(data_dir / SOFT),
                            "--warehouse", str(wh))
    size = sum((data_dir / f).stat().st_size for f in (SRA, SOFT))
    assert re.search(r"ingesting .*? [\d.]+ kB/[\d.]+ kB .*?/s", drawn), drawn[-2000:]
    assert f"{size / 1000:.1f} kB" in drawn
    assert re.search(r"\d+ records", drawn)
    drawn = run_in_terminal("normalize", "--all", "--no-embeddings", "--warehouse", str(wh))
    samples = json.loads(run("query", "SELECT count(*) AS n FROM samples", "--format", "json",
                             "--warehouse", str(wh), check=True).stdout)[0]["n"]
    assert re.search(rf"grounding .*?{samples}/{samples} samples", drawn), drawn[-2000:]
    assert "0/?" not in drawn


def test_query_accepts_sql_that_starts_with_a_comment(tmp_path, data_dir):
    wh = tmp_path / "w.duckdb"
    run("ingest", str(data_dir / SRA), "--warehouse", str(wh), check=True)
    sql = "-- how many samples?\nSELECT count(*) AS n FROM samples"
    w = ["--warehouse", str(wh)]
    for args in (["query", sql, *w], ["query", *w, "--", sql], ["query", sql, *w, "-v"],
                 ["query", "--format", "json", sql, *w]):
        proc = run(*args)
        assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["n"] > 0


def test_query_escapes_terminal_codes_in_record_values(tmp_path, data_dir):
    soft = tmp_path / "escapes.soft"
    text = (data_dir / SOFT).read_text()
    soft.write_text(text.replace("!Sample_title = RNA-Seq JHRCC12_SETD2_mut_rep1",
                                 "!Sample_title = RNA-Seq \x1b]0;owned\x07\x1b[2J rep1", 1))
    wh = tmp_path / "w.duckdb"
    run("ingest", str(soft), "--warehouse", str(wh), check=True)
    sql = "SELECT title FROM samples WHERE title LIKE '%owned%'"
    table = run("query", sql, "--warehouse", str(wh), check=True).stdout
    assert "\x1b" not in table and "\x07" not in table
    assert "\\x1b]0;owned\\x07\\x1b[2J" in table
    # a file or a pipe gets the value as stored
    csv = run("query", sql, "--format", "csv", "--warehouse", str(wh), check=True).stdout
    assert "\x1b[2J" in csv


def test_no_help_points_to_a_file_the_repository_lacks():
    from harmonize.cli import cli

    for name in cli.commands:
        out = run(name, "--help", check=True).stdout
        for doc in re.findall(r"[\w/.-]+\.md\b", out):
            assert (REPO / doc).exists() or (REPO / "docs" / doc).exists(), (name, doc)
    assert "ARCHITECTURE" not in run("map", "--help", check=True).stdout


def test_importing_the_cli_changes_no_environment_or_logging():
    code = """
import logging, os, sys
env = dict(os.environ)
loggers = {n: (l.level, list(l.filters), list(l.handlers))
           for n, l in logging.Logger.manager.loggerDict.items() if isinstance(l, logging.Logger)}
root = (logging.getLogger().level, list(logging.getLogger().handlers))
import harmonize.cli
assert dict(os.environ) == env, set(os.environ.items()) ^ set(env.items())
for n, state in loggers.items():
    l = logging.getLogger(n)
    assert (l.level, list(l.filters), list(l.handlers)) == state, n
assert (logging.getLogger().level, list(logging.getLogger().handlers)) == root
assert not [n for n in sys.modules if n == "prefect" or n.startswith("prefect.")]
"""
    env = {k: v for k, v in ENV.items() if not k.startswith(("PREFECT_", "HF_", "TRANSFORMERS_"))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_library_does_not_import_the_flows_package():
    code = """
import importlib, pkgutil, sys
import harmonize
for m in pkgutil.walk_packages(harmonize.__path__, "harmonize."):
    if m.name != "harmonize.__main__":
        importlib.import_module(m.name)
print(sorted(n for n in sys.modules if n == "flows" or n.startswith("flows.")))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_steps_run_no_sql_outside_the_warehouse_package():
    calls = []
    for path in sorted((REPO / "harmonize" / "steps").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("execute", "executemany", "sql", "query")):
                calls.append(f"{path.name}:{node.lineno}")
    assert calls == []
