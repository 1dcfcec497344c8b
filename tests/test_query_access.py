"""`harmonize query` reads the warehouse and nothing else: no files, URLs, environment or
extensions, unless the user names a folder with --allow-read (through the console entry point)."""

from __future__ import annotations

import os
import subprocess

import duckdb
import pytest
from test_cli import BIN

from harmonize.models import Attribute, SampleRecord
from harmonize.warehouse.db import connect_read, writer
from harmonize.warehouse.load import upsert_records

SECRET = "s3cr3t-api-key-7f1e"


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    db = tmp_path_factory.mktemp("sandbox") / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, [SampleRecord("geo", f"GSM{900 + i}", (f"GSM{900 + i}", "GSE9"),
                                          organism="Homo sapiens", taxon_id=9606,
                                          attributes=(Attribute("tissue", "liver"),))
                             for i in range(5)])
    return db


def query(wh, sql: str, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``harmonize query SQL --format csv`` through the installed console script."""
    return subprocess.run([str(BIN), "query", sql, "--format", "csv", "--warehouse", str(wh),
                           *extra], capture_output=True, text=True, env=env, timeout=300)


def assert_refused(proc, needle: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "refused" in lines[0] and needle in lines[0], lines[0]
    assert "--allow-read" in lines[0]
    assert proc.stdout == ""


def test_the_warehouse_tables_and_views_are_readable(wh):
    proc = query(wh, "SELECT count(*) AS n FROM sample_summary WHERE organism = 'Homo sapiens'")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["n", "5"]


@pytest.mark.parametrize("sql, needle", [
    ("SELECT * FROM read_blob('/etc/shadow')", "/etc/shadow"),
    ("SELECT * FROM read_text('/etc/hostname')", "/etc/hostname"),
    ("SELECT * FROM read_csv('/etc/passwd')", "/etc/passwd"),
    ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
    ("SELECT * FROM glob('/root/*')", "/root/*"),
    ("SELECT * FROM read_parquet('/tmp/*.parquet')", "/tmp/*.parquet"),
    ("SELECT * FROM read_csv('https://example.org/x.csv')", "https://example.org/x.csv"),
])
def test_files_and_urls_are_refused(wh, sql, needle):
    assert_refused(query(wh, sql), needle)


def test_the_environment_cannot_be_read(wh):
    env = {**os.environ, "NCBI_API_KEY": SECRET}
    proc = query(wh, "SELECT content FROM read_blob('/proc/self/environ')", env=env)
    assert_refused(proc, "/proc/self/environ")
    assert SECRET not in proc.stdout + proc.stderr


def test_the_warehouse_file_cannot_be_attached_twice_or_other_files_read_raw(wh, tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    proc = query(wh, f"SELECT * FROM read_text('{other}')")
    assert_refused(proc, str(other))


def test_an_allowed_folder_is_readable_and_nothing_else(wh, tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "mine.csv").write_text("sample_id\nGSM901\nGSM903\n")
    (tmp_path / "beside.csv").write_text("sample_id\nGSM902\n")
    sql = ("SELECT s.sample_id FROM sample_summary s JOIN read_csv('{}') m USING (sample_id) "
           "ORDER BY 1")
    ok = query(wh, sql.format(lists / "mine.csv"), "--allow-read", str(lists))
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == ["sample_id", "GSM901", "GSM903"]
    # the same file without the flag, and a file beside the folder with it, are refused
    assert_refused(query(wh, sql.format(lists / "mine.csv")), "mine.csv")
    outside = query(wh, sql.format(lists / ".." / "beside.csv"), "--allow-read", str(lists))
    assert outside.returncode != 0 and "refused" in outside.stderr
    assert_refused(query(wh, "SELECT * FROM read_text('/etc/hostname')", "--allow-read",
                         str(lists)), "/etc/hostname")
    (lists / "escape.txt").symlink_to("/etc/hostname")  # a link leading out of the folder
    escaped = query(wh, f"SELECT * FROM read_text('{lists / 'escape.txt'}')", "--allow-read",
                    str(lists))
    assert escaped.returncode != 0 and "refused" in escaped.stderr


def test_a_missing_allowed_folder_is_a_one_line_error(wh, tmp_path):
    proc = query(wh, "SELECT 1", "--allow-read", str(tmp_path / "nope"))
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1 and "nope" in proc.stderr


@pytest.mark.parametrize("statement", [
    "SET enable_external_access = true", "SET autoload_known_extensions = true",
    "SET allowed_directories = ['/']", "RESET lock_configuration"])
def test_the_read_connection_cannot_be_unlocked(wh, statement):
    """Even past the SELECT-only filter, the connection's configuration is locked."""
    con = connect_read(wh)
    try:
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute(statement)
        with pytest.raises(duckdb.PermissionException):
            con.execute("SELECT * FROM read_text('/etc/hostname')")
        with pytest.raises(duckdb.Error):
            con.execute("LOAD httpfs")
    finally:
        con.close()
