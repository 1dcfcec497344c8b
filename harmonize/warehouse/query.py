"""Read-only SQL against the published warehouse, and writing the result.

Two walls keep ``harmonize query`` read-only: every statement must parse as a SELECT (or an
EXPLAIN of one) according to DuckDB's own parser, and the connection is opened read-only.
A third keeps it inside the warehouse: the connection cannot read files, URLs or the
environment, nor install or load extensions (:func:`~harmonize.warehouse.db.connect_read`),
unless the caller names folders it may read (``allow_read``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import duckdb
import pandas as pd

from harmonize.errors import ConfigError, QueryAccessError, ReadOnlyQueryError, WarehouseError
from harmonize.warehouse.db import connect_read

ALLOWED = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
FORMATS = ("table", "csv", "json", "parquet")
#: a table name that is a path or URL (``SELECT * FROM '/etc/passwd'``)
_FILE_AS_TABLE = re.compile(r"Table with name (\S*[/.]\S*) does not exist")


def check_read_only(sql: str) -> str:
    """Return the single read-only statement in ``sql``; raise for anything else.

    Raises:
        ReadOnlyQueryError: a statement that is not a SELECT (names its type), or several.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ReadOnlyQueryError(f"cannot parse query: {exc}") from exc
    if not statements:
        raise ReadOnlyQueryError("empty query")
    for st in statements:
        if st.type not in ALLOWED:
            name = getattr(st.type, "name", str(st.type))
            raise ReadOnlyQueryError(
                f"refusing {name} statement: harmonize query is read-only "
                f"(only SELECT / EXPLAIN): {st.query.strip()[:80]!r}")
    if len(statements) > 1:
        raise ReadOnlyQueryError(f"send one statement at a time (got {len(statements)})")
    return statements[0].query


def run_query(path: str | Path | None, sql: str,
              params: Sequence[Any] | dict[str, Any] | None = None,
              allow_read: Sequence[str | Path] = ()) -> pd.DataFrame:
    """Run one read-only statement on the published warehouse and return a DataFrame.

    The statement sees only the warehouse's tables and views, plus the files under the
    ``allow_read`` folders when given.

    Raises:
        ReadOnlyQueryError: not a single SELECT / EXPLAIN.
        QueryAccessError: the statement reads a file, URL or extension it may not.
        WarehouseError: the query fails otherwise.
    """
    statement = check_read_only(sql)
    con = connect_read(path, allow_read=allow_read)
    try:
        return con.execute(statement, params or []).df()
    except duckdb.PermissionException as exc:
        raise QueryAccessError(_access_message(str(exc), bool(allow_read))) from exc
    except duckdb.CatalogException as exc:
        file_as_table = _FILE_AS_TABLE.search(str(exc))
        if file_as_table:  # FROM 'path': DuckDB's implicit file scan is switched off
            raise QueryAccessError(_access_message(
                f"cannot read {file_as_table.group(1)!r} as a table (allowed files are read "
                "with read_csv/read_parquet/read_json)", bool(allow_read))) from exc
        raise WarehouseError(f"query failed: {exc}") from exc
    except duckdb.Error as exc:
        if "read-only" in str(exc).lower():
            raise ReadOnlyQueryError(f"refused by the read-only connection: {exc}") from exc
        raise WarehouseError(f"query failed: {exc}") from exc
    finally:
        con.close()


def _access_message(error: str, some_allowed: bool) -> str:
    what = error.splitlines()[0].removeprefix("Permission Error: ")
    what = what.split(" - file system operations are disabled")[0]
    what = what[:1].lower() + what[1:]
    hint = ("outside the --allow-read folders" if some_allowed else
            "--allow-read DIR lets it read the files of one folder")
    return (f"refused: {what}: harmonize query reads only the warehouse's own tables and views, "
            f"no files, URLs or extensions ({hint})")


def write_result(df: pd.DataFrame, fmt: str = "table", out: str | Path | IO[str] | None = None,
                 ) -> None:
    """Write a result as a rich table, CSV, a JSON array of row objects, or Parquet.

    ``table``/``csv``/``json`` go to ``out`` (a path or text stream; stdout by default, with
    nothing else written there); ``parquet`` needs a file path.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if out is None or not isinstance(out, (str, Path)):
            raise ConfigError("parquet output needs a file: pass -o/--output PATH.parquet")
        df.to_parquet(out, index=False)
        return
    if isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8", newline="") as fh:
            _write_text(df, fmt, fh)
    else:
        _write_text(df, fmt, out or sys.stdout)


def _write_text(df: pd.DataFrame, fmt: str, stream: IO[str]) -> None:
    from harmonize.terminal import escape_controls

    if fmt == "table" or _is_terminal(stream):  # record values must not drive the terminal
        df = df.map(lambda v: escape_controls(v) if isinstance(v, str) else v)
    if fmt == "csv":
        df.to_csv(stream, index=False)
    elif fmt == "json":
        df.to_json(stream, orient="records", date_format="iso", force_ascii=False)
        stream.write("\n")
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_lines=False)
        for col in df.columns:
            table.add_column(escape_controls(str(col)), overflow="fold")
        for row in df.itertuples(index=False):  # Text: a value's [brackets] are not markup
            table.add_row(*(Text("" if _is_null(v) else str(v)) for v in row))
        Console(file=stream, width=200).print(table)
        stream.write(f"{len(df)} row{'s' if len(df) != 1 else ''}\n")


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _is_null(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
