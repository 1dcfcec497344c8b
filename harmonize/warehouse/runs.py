"""One run record per command or flow run, true from its first second to its end.

A run writes its ``harvest_runs`` row in two places:

* the **run journal** ``<warehouse>.runs.jsonl`` beside the warehouse file, appended at once
  (one JSON line per state: ``running`` at the start, then ``ok`` / ``partial`` / ``failed`` /
  ``killed`` at the end) and read by every reader (:func:`overlay`), so a failed or killed run
  is visible at once, not only after a later run publishes;
* the staging copy of the warehouse, so that a published snapshot carries its own run (and its
  watermark) in the same atomic publish as the data.

A ``running`` row whose process is gone (SIGKILL, power loss) reads as ``killed``, and the next
run writes that down. :func:`recorded_run` is the one bracket the CLI and every flow use.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from harmonize.errors import WarehouseError
from harmonize.warehouse.arrow import TS, register
from harmonize.warehouse.db import _make_folder, resolve_path, utcnow, writer
from harmonize.warehouse.runlog import _as_date

DATE = pa.date32()

#: harvest_runs columns, in table order.
COLUMNS = ("run_id", "flow", "source", "status", "started_at", "finished_at", "window_start",
           "window_end", "watermark", "counts", "message", "params")
KILLED_MESSAGE = "the process (pid {pid}) stopped before the run finished"


def journal_path(path: str | Path) -> Path:
    """The run journal of the warehouse at ``path``."""
    p = Path(path)
    return p.with_name(p.name + ".runs.jsonl")


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (tells a live process from a reused pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(entry: Mapping[str, Any]) -> bool:
    """Whether the process that opened a journal row still runs (on another host: assume so)."""
    if entry.get("host") != socket.gethostname():
        return True
    pid = int(entry.get("pid") or 0)
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    started = entry.get("pid_start")
    return started is None or _process_start(pid) in (None, started)


def read_journal(path: str | Path) -> dict[str, dict[str, Any]]:
    """``{run_id: row}``: the last state of every run in the journal; dead ``running`` rows
    read as ``killed``. A torn last line (a kill mid-write) is skipped."""
    rows: dict[str, dict[str, Any]] = {}
    try:
        text = journal_path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return rows
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("run_id"):
            rows[entry["run_id"]] = entry
    for entry in rows.values():
        if entry.get("status") == "running" and not _alive(entry):
            entry.update(status="killed", message=KILLED_MESSAGE.format(pid=entry.get("pid")),
                         dead=True)
    return rows


def _append(path: Path, entry: Mapping[str, Any]) -> None:
    """Append one state line with a single write (atomic for the small lines written here)."""
    line = (json.dumps(entry, default=str, sort_keys=True) + "\n").encode()
    fd = os.open(journal_path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _values(row: Mapping[str, Any]) -> list[Any]:
    out = []
    for col in COLUMNS:
        value = row.get(col)
        if col in ("started_at", "finished_at") and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif col in ("window_start", "window_end", "watermark"):
            value = _as_date(value)
        elif col in ("counts", "params") and value is not None and not isinstance(value, str):
            value = json.dumps(value, default=str, sort_keys=True)
        out.append(value)
    return out


def _staged(con: duckdb.DuckDBPyConnection, rows: list[Mapping[str, Any]]) -> str:
    """Register ``rows`` as an Arrow view (one set-based insert, not a statement per row)."""
    values = [_values(r) for r in rows]
    types = {"started_at": TS, "finished_at": TS, "window_start": DATE, "window_end": DATE,
             "watermark": DATE}
    register(con, "_b_runs", {c: [v[i] for v in values] for i, c in enumerate(COLUMNS)}, types)
    casts = {"counts": "CAST(counts AS JSON)", "params": "CAST(params AS JSON)"}
    return ", ".join(casts.get(c, c) for c in COLUMNS)


def _store(con: duckdb.DuckDBPyConnection, rows: list[Mapping[str, Any]]) -> None:
    """Insert or replace rows of ``harvest_runs`` (the warehouse's copy of the journal)."""
    if rows:
        select = _staged(con, rows)
        con.execute(f"INSERT OR REPLACE INTO harvest_runs ({', '.join(COLUMNS)}) "
                    f"SELECT {select} FROM _b_runs")
        con.unregister("_b_runs")


def overlay(con: duckdb.DuckDBPyConnection, path: str | Path) -> None:
    """Make ``harvest_runs`` on a read connection show the journal's latest states.

    A temporary view of the same name shadows the snapshot's table: the journal's row wins,
    except a ``running``/``killed`` one when the snapshot itself holds the run's final row (the
    process died after publishing but before writing its journal line).
    """
    journal = list(read_journal(path).values())
    db = con.execute("SELECT current_database()").fetchone()[0]
    table = f'"{db}".main.harvest_runs'
    cols = ", ".join(COLUMNS)
    con.execute(f"CREATE TEMP TABLE run_journal AS SELECT {cols} FROM {table} LIMIT 0")
    if journal:
        select = _staged(con, journal)
        con.execute(f"INSERT INTO temp.main.run_journal SELECT {select} FROM _b_runs")
        con.unregister("_b_runs")
    con.execute(f"""
        CREATE TEMP VIEW harvest_runs AS
        WITH stale AS (  -- died after publishing its final row: the snapshot's row stands
            SELECT j.run_id FROM temp.main.run_journal j JOIN {table} w USING (run_id)
            WHERE j.status IN ('running', 'killed') AND w.status IN ('ok', 'partial', 'failed'))
        SELECT {cols} FROM temp.main.run_journal
        WHERE run_id NOT IN (SELECT run_id FROM stale)
        UNION ALL
        SELECT {cols} FROM {table}
        WHERE run_id NOT IN (SELECT run_id FROM temp.main.run_journal)
           OR run_id IN (SELECT run_id FROM stale)""")


@dataclass
class Run:
    """The record of one run: fill ``counts``, set ``status``/``watermark``, read ``con``.

    ``status`` ends as ``ok`` unless the body sets ``partial``; an exception makes it ``failed``
    (``killed`` for an interrupt), with the exception's first line as ``message``.
    """

    path: Path
    row: dict[str, Any]
    con: duckdb.DuckDBPyConnection | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    status: str = "ok"
    message: str | None = None
    watermark: date | None = None

    @property
    def run_id(self) -> str:
        """The run's id (``harvest_runs.run_id``; stamped on its rejects and batches)."""
        return self.row["run_id"]

    def set_window(self, start: date | None, end: date | None) -> None:
        """Widen the run's harvest window to cover ``start``..``end``."""
        if start is not None:
            old = _as_date(self.row.get("window_start"))
            self.row["window_start"] = min(old, start) if old else start
        if end is not None:
            old = _as_date(self.row.get("window_end"))
            self.row["window_end"] = max(old, end) if old else end

    def _final(self, status: str, message: str | None) -> dict[str, Any]:
        row = dict(self.row, status=status, finished_at=utcnow(), message=message,
                   counts=self.counts)
        row["watermark"] = self.watermark if status in ("ok", "partial") else None
        return row


def _new_row(flow: str, source: str | None, params: Mapping[str, Any]) -> dict[str, Any]:
    now = utcnow()
    pid = os.getpid()
    return {"run_id": f"{now:%Y%m%dT%H%M%S}-{flow}-{uuid.uuid4().hex[:8]}", "flow": flow,
            "source": source, "status": "running", "started_at": now, "finished_at": None,
            "window_start": _as_date(params.get("window_start")),
            "window_end": _as_date(params.get("window_end")), "watermark": None, "counts": {},
            "message": None, "params": dict(params), "pid": pid, "pid_start": _process_start(pid),
            "host": socket.gethostname()}


def _settle(path: Path, con: duckdb.DuckDBPyConnection, current: str) -> None:
    """Write down what the journal knows (killed runs included) in the staging copy.

    A run found dead gets its ``killed`` line in the journal now, unless the staging copy
    holds its final row (it died after publishing): then that row stands.
    """
    journal = read_journal(path)
    stored = dict(con.execute("SELECT run_id, status FROM harvest_runs").fetchall())
    keep = []
    for entry in journal.values():
        if entry["run_id"] == current:
            continue
        published = stored.get(entry["run_id"]) in ("ok", "partial", "failed")
        if entry["status"] in ("running", "killed") and published:
            continue
        if entry.pop("dead", False):
            entry["finished_at"] = utcnow()
            _append(path, entry)
        keep.append(entry)
    _store(con, keep)
    # rows a killed run left in the staging copy before there was a journal
    con.execute("UPDATE harvest_runs SET status = 'killed', finished_at = ?, message = ? "
                "WHERE status = 'running' AND run_id <> ?",
                [utcnow(), "the process stopped before the run finished", current])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def recorded_run(warehouse: str | Path | None, flow: str, source: str | None = None,
                 params: Mapping[str, Any] | None = None,
                 discard_on_error: bool = False) -> Iterator[Run]:
    """Open a run record, hold the warehouse writer, publish, and close the record truthfully.

    The ``running`` row is in the journal before the writer lock is taken (a run that cannot get
    the lock fails visibly too); the body gets ``run.con``, the staging connection.
    ``discard_on_error`` is passed to :func:`~harmonize.warehouse.db.writer`.

    Example:
        >>> with recorded_run(path, "ingest", "files", {"paths": paths}) as run:  # doctest: +SKIP
        ...     stats = ingest_files(run.con, paths, run.run_id)
        ...     run.counts.update(records=stats.records)
    """
    path = resolve_path(warehouse)
    _make_folder(path)
    run = Run(path, _new_row(flow, source, dict(params or {})))
    try:
        _append(path, run.row)
    except OSError as exc:
        raise WarehouseError(f"cannot write the run journal {journal_path(path)}: "
                             f"{exc.strerror or exc}") from None
    try:
        with writer(path, discard_on_error=discard_on_error) as con:
            run.con = con
            _settle(path, con, run.run_id)
            _store(con, [run.row])
            yield run
            _store(con, [run._final(run.status, run.message)])  # published with the data
    except BaseException as exc:
        interrupted = isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit))
        _append(path, run._final("killed" if interrupted else "failed", _first_line(exc)))
        raise
    finally:
        run.con = None
    _append(path, run._final(run.status, run.message))
