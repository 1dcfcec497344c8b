"""Run bookkeeping: harvest runs, watermarks, committed batches (for resume) and rejects.

Commands and flows bracket a run with :func:`harmonize.warehouse.runs.recorded_run`;
:func:`start_run` / :func:`finish_run` are the bare row writers it replaced, kept for callers
that manage a staging connection themselves.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import duckdb

from harmonize.models import Reject
from harmonize.warehouse.arrow import BLOB, TS, register
from harmonize.warehouse.db import utcnow


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def start_run(con: duckdb.DuckDBPyConnection, flow: str, source: str | None,
              params: Mapping[str, Any] | None = None) -> str:
    """Record the start of a run; returns its id.

    ``params`` may hold ``window_start`` / ``window_end`` (dates or ISO strings); all of it is
    kept as JSON.
    """
    params = dict(params or {})
    now = utcnow()
    # one writer at a time (the warehouse lock): a row still 'running' belongs to a killed run
    con.execute("UPDATE harvest_runs SET status = 'interrupted', finished_at = ?, "
                "message = 'the process stopped before the run finished' "
                "WHERE status = 'running'", [now])
    run_id = f"{now:%Y%m%dT%H%M%S}-{flow}-{uuid.uuid4().hex[:8]}"
    con.execute(
        "INSERT INTO harvest_runs (run_id, flow, source, status, started_at, window_start, "
        "window_end, params) VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
        [run_id, flow, source, now, _as_date(params.get("window_start")),
         _as_date(params.get("window_end")), json.dumps(params, default=str, sort_keys=True)])
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str,
               counts: Mapping[str, Any] | None = None, watermark: date | str | None = None,
               message: str | None = None) -> None:
    """Record how a run ended (``ok`` / ``failed`` / ``partial``…), its counts, watermark."""
    con.execute(
        "UPDATE harvest_runs SET status = ?, finished_at = ?, counts = ?, watermark = ?, "
        "message = ? WHERE run_id = ?",
        [status, utcnow(), json.dumps(dict(counts or {}), default=str, sort_keys=True),
         _as_date(watermark), message, run_id])


def last_watermark(con: duckdb.DuckDBPyConnection, source: str) -> date | None:
    """The latest watermark a finished run of ``source`` recorded, or ``None``.

    A run's ``source`` may name several sources (``sra,geo,biosample``): one nightly row.
    """
    rows = con.execute("SELECT max(watermark) FROM harvest_runs "
                       "WHERE list_contains(string_split(source, ','), ?) "
                       "AND watermark IS NOT NULL AND status NOT IN ('failed', 'killed')",
                       [source]).fetchall()
    return rows[0][0] if rows else None


def mark_batch(con: duckdb.DuckDBPyConnection, plan_key: str, batch_index: int,
               run_id: str | None) -> None:
    """Remember that batch ``batch_index`` of plan ``plan_key`` is committed."""
    con.execute("INSERT OR IGNORE INTO harvest_progress VALUES (?, ?, ?, ?)",
                [plan_key, batch_index, run_id, utcnow()])


def done_batches(con: duckdb.DuckDBPyConnection, plan_key: str) -> set[int]:
    """Indexes of the committed batches of ``plan_key``."""
    return {r[0] for r in con.execute(
        "SELECT batch_index FROM harvest_progress WHERE plan_key = ?", [plan_key]).fetchall()}


def add_rejects(con: duckdb.DuckDBPyConnection, rejects: Iterable[Reject],
                run_id: str | None) -> int:
    """Store rejected records/files with their reason and raw bytes; returns how many.

    The same record rejected again for the same reason (a re-run, an overlapping window) is
    kept once, stamped with the latest run; the run's own counts still report it.
    """
    rows = list(rejects)
    if not rows:
        return 0
    now = utcnow()
    register(con, "_b_rej", {
        "run_id": [run_id] * len(rows), "origin": [r.origin for r in rows],
        "record_id": [r.record_id for r in rows], "reason": [r.reason for r in rows],
        "raw": [bytes(r.raw) for r in rows], "created_at": [now] * len(rows)},
        {"raw": BLOB, "created_at": TS})
    same = ("r.origin = b.origin AND r.reason = b.reason AND "
            "r.record_id IS NOT DISTINCT FROM b.record_id")
    con.execute(f"UPDATE rejects r SET run_id = b.run_id, created_at = b.created_at "
                f"FROM _b_rej b WHERE {same}")
    con.execute(f"INSERT INTO rejects SELECT * FROM _b_rej b "
                f"WHERE NOT EXISTS (SELECT 1 FROM rejects r WHERE {same})")
    con.unregister("_b_rej")
    return len(rows)
