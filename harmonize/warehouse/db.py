"""Open, migrate and publish the DuckDB warehouse.

Publishing protocol (readers never see a half-loaded run; a crash leaves the last good state):

1. :func:`writer` takes an exclusive ``flock`` on ``<db>.lock`` (released by the kernel when the
   process dies, so a killed run never leaves a stale lock).
2. It works on ``<db>.staging``: the leftover staging file of a killed or failed run when it was
   built on the currently published snapshot (the run resumes from its last committed batch),
   else a fresh copy of the published file.
3. Callers commit per batch. On success the writer stamps a new snapshot id, CHECKPOINTs, closes
   and publishes with an atomic :func:`os.replace`. On an exception the published file is
   untouched and the staging file stays for the next run to resume from.

Readers open the published file read-only (:func:`connect_read`); a reader that has the old file
open keeps reading the old snapshot until it reconnects.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from harmonize.errors import ConfigError, WarehouseError
from harmonize.warehouse import materialize
from harmonize.resources import MIGRATIONS_DIR

DEFAULT_PATH = Path("warehouse") / "harmonize.duckdb"
ENV_VAR = "HARMONIZE_WAREHOUSE"
_MIGRATION = re.compile(r"^(\d+)_[\w-]+\.sql$")


def migrations_dir() -> Path:
    """The folder of numbered SQL migrations (``warehouse/migrations`` in the repo)."""
    return MIGRATIONS_DIR


def resolve_path(path: str | Path | None) -> Path:
    """The warehouse file: ``path``, else ``$HARMONIZE_WAREHOUSE``, else the default path."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / DEFAULT_PATH


def staging_path(path: Path) -> Path:
    """Where a writer builds the next snapshot of ``path``."""
    return path.with_name(path.name + ".staging")


def lock_path(path: Path) -> Path:
    """The lock file that admits one writer at a time."""
    return path.with_name(path.name + ".lock")


def utcnow() -> datetime:
    """Current UTC time as a naive timestamp (DuckDB ``TIMESTAMP``)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


#: Settings that confine a read connection to the attached warehouse (applied after ATTACH,
#: then locked so SQL cannot change them back).
_LOCKDOWN = ("SET enable_external_access = false", "SET autoinstall_known_extensions = false",
             "SET autoload_known_extensions = false", "SET lock_configuration = true")


def connect_read(path: str | Path | None,
                 allow_read: Sequence[str | Path] = ()) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse read-only, confined to the warehouse itself.

    The file is attached read-only to a fresh in-memory connection rather than opened with
    ``duckdb.connect(path)``: DuckDB caches one instance per path and process, which would keep
    showing a replaced (older) snapshot while any earlier connection to it is open.

    Once attached, the connection loses every other door: no file, URL or environment read
    (``read_csv``, ``read_blob``, ``glob``, ``ATTACH`` … fail), no extension installed or
    loaded, and its configuration is locked so SQL cannot undo this. ``allow_read`` lists
    folders whose files SQL may read nonetheless (``harmonize query --allow-read DIR``).

    Raises:
        WarehouseError: no warehouse file at the path, or it cannot be opened.
    """
    p = resolve_path(path)
    if not p.exists():
        raise WarehouseError(
            f"no warehouse at {p}; run `harmonize ingest` or `harmonize nightly` first")
    folders = _readable_folders(allow_read)
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")  # keep stdout for results only
        literal = str(p.resolve()).replace("'", "''")
        con.execute(f"ATTACH '{literal}' AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        _overlay_run_journal(con, p)
        if folders:
            con.execute("SET allowed_directories = ?", [folders])
        for statement in _LOCKDOWN:
            con.execute(statement)
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"cannot open warehouse {p} read-only: {exc}") from exc
    return con


def _overlay_run_journal(con: duckdb.DuckDBPyConnection, p: Path) -> None:
    """Show the latest run states (failed and killed runs too) in ``harvest_runs``."""
    from harmonize.warehouse.runs import overlay

    try:
        con.execute("SELECT 1 FROM harvest_runs LIMIT 0")
    except duckdb.CatalogException:  # not (yet) a harmonize warehouse
        return
    overlay(con, p)


def _readable_folders(allow_read: Sequence[str | Path]) -> list[str]:
    """Absolute folder paths (with a trailing slash, so ``/data`` does not admit ``/data2``)."""
    folders = []
    for d in allow_read:
        folder = Path(d).expanduser().resolve()
        if not folder.is_dir():
            raise ConfigError(f"--allow-read {d}: no such folder")
        folders.append(str(folder).rstrip("/") + "/")
    return folders


def check_writable(path: str | Path | None) -> Path:
    """Fail fast, before a flow starts, when a run could not write the warehouse at ``path``.

    Raises:
        WarehouseError: the file exists but is no DuckDB warehouse, or its folder cannot be
            created or written.
    """
    p = resolve_path(path)
    if p.exists():
        try:
            connect_read(p).close()
        except WarehouseError as exc:
            raise WarehouseError(f"{exc.args[0].splitlines()[0]} (move it away or pass another "
                                 "--warehouse)") from exc
    _make_folder(p)
    if not os.access(p.parent, os.W_OK):
        raise WarehouseError(f"cannot write the warehouse {p}: {p.parent} is not writable")
    return p


def _make_folder(p: Path) -> None:
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(f"cannot create the warehouse folder {p.parent}: "
                             f"{exc.strerror or exc}") from exc


def _applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    return {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[Path]:
    """Migration files not yet applied to ``con``, in order."""
    done = _applied(con)
    files = []
    for f in migrations_dir().glob("*.sql"):
        m = _MIGRATION.match(f.name)
        if m and int(m.group(1)) not in done:
            files.append((int(m.group(1)), f))
    return [f for _, f in sorted(files)]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending numbered migrations in order, each once and in its own transaction.

    Returns:
        The names of the migrations applied now (empty when the schema is current).
    """
    applied = []
    for f in pending_migrations(con):
        version = int(_MIGRATION.match(f.name).group(1))  # type: ignore[union-attr]
        con.begin()
        try:
            con.execute(f.read_text())
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [version, f.name, utcnow()])
            con.commit()
        except duckdb.Error as exc:
            con.rollback()
            raise WarehouseError(f"migration {f} failed: {exc}") from exc
        applied.append(f.name)
    return applied


def snapshot_id(con: duckdb.DuckDBPyConnection) -> str | None:
    """The id of the published snapshot ``con`` reads (changes on every publish)."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'snapshot_id'").fetchall()
    except duckdb.CatalogException:
        return None
    return rows[0][0] if rows else None


def _set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def _get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    except duckdb.CatalogException:
        return None
    return rows[0][0] if rows else None


def _published_snapshot(path: Path) -> str | None:
    if not path.exists():
        return None
    con = connect_read(path)
    try:
        return snapshot_id(con)
    finally:
        con.close()


def _connect_rw(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")  # it would write to the CLI user's terminal
    return con


def _remove_staging(stage: Path) -> None:
    for p in (stage, stage.with_name(stage.name + ".wal")):
        p.unlink(missing_ok=True)


def _prepare_staging(path: Path, stage: Path) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """Reuse a leftover staging file built on the published snapshot, else copy the published.

    Returns:
        The connection, and whether it resumes a leftover staging file.
    """
    published = _published_snapshot(path)
    if stage.exists():
        try:
            con = _connect_rw(stage)
        except duckdb.Error:  # a damaged leftover: start again from the published file
            con = None
        if con is not None:
            if _get_meta(con, "base_snapshot") == (published or ""):
                return con, True
            con.close()
        _remove_staging(stage)
    if path.exists():
        partial = stage.with_name(stage.name + ".copying")
        shutil.copyfile(path, partial)
        os.replace(partial, stage)  # a copy cut short never looks like a staging file
    con = _connect_rw(stage)
    migrate(con)
    _set_meta(con, "base_snapshot", published or "")
    return con, False


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    lock = lock_path(path)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            raise WarehouseError(
                f"another harmonize run is writing {path} ({holder or 'unknown holder'}; "
                f"lock file {lock})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {utcnow():%Y-%m-%dT%H:%M:%S}Z".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(con: duckdb.DuckDBPyConnection, stage: Path, path: Path) -> str:
    seq = int(_get_meta(con, "snapshot_seq") or 0) + 1
    sid = f"{seq:06d}-{uuid.uuid4().hex[:12]}"
    _set_meta(con, "snapshot_seq", str(seq))
    _set_meta(con, "snapshot_id", sid)
    _set_meta(con, "published_at", utcnow().isoformat(timespec="seconds"))
    _set_meta(con, "base_snapshot", sid)
    materialize.refresh(con, sid)  # what readers wait for, precomputed for this snapshot
    con.execute("CHECKPOINT")
    con.close()
    wal = stage.with_name(stage.name + ".wal")
    if wal.exists():
        raise WarehouseError(f"staging file {stage} still has a write-ahead log after checkpoint")
    with stage.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(stage, path)
    _fsync_dir(path.parent)
    return sid


@contextmanager
def writer(path: str | Path | None,
           discard_on_error: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Write a new snapshot of the warehouse and publish it atomically on success.

    On an error the staging file stays for the next run to resume from, unless
    ``discard_on_error`` (for all-or-nothing commands such as ``curate``): then a staging copy
    this writer made is deleted (one it resumed, left by an earlier run, is kept).

    Example:
        >>> with writer(tmp / "w.duckdb") as con:  # doctest: +SKIP
        ...     upsert_records(con, records)

    Raises:
        WarehouseError: another run holds the lock, or the warehouse cannot be written.
    """
    p = resolve_path(path)
    _make_folder(p)
    stage = staging_path(p)
    with _exclusive_lock(p):
        try:
            con, resumed = _prepare_staging(p, stage)
            migrate(con)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot prepare staging copy {stage} of {p}: {exc}") from exc
        try:
            yield con
        except BaseException:
            con.close()  # committed batches stay in the staging file for the next run
            if discard_on_error and not resumed:
                _remove_staging(stage)
            raise
        try:
            _publish(con, stage, p)
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot publish {stage} to {p}: {exc}") from exc


def discard_staging(path: str | Path | None) -> bool:
    """Delete a leftover staging file (start the next run from the published state).

    Returns:
        Whether there was something to delete.
    """
    p = resolve_path(path)
    stage = staging_path(p)
    with _exclusive_lock(p):
        existed = stage.exists()
        _remove_staging(stage)
    return existed
