"""A cohort's rows rendered inside DuckDB: the TSV/CSV text and the per-part row digests.

Byte for byte what pandas writes (``DataFrame.to_csv(sep=..., index=False)``) and what
:func:`~harmonize.warehouse.cohort_state.row_digests` computes, but vectorized over a table of
the connection instead of a Python loop over every cell (the loop took longer than the query at
a few thousand samples). The rules reproduced: NULL (and NaN) is an empty cell, ``\\x00`` in a
digest; a double is its shortest round-trip text (DuckDB's cast equals Python's ``repr``); a
text holding the separator, a double quote or a newline is quoted, quotes doubled
(``csv.QUOTE_MINIMAL`` with ``\\n`` line ends). Tables with other column types, or a single
column, are not rendered here (:func:`renderable`); callers then write through pandas.
"""

from __future__ import annotations

import duckdb

_FLOATS = {"DOUBLE", "FLOAT"}
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT"}
_TEXT = {"VARCHAR"}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """``(name, DuckDB type)`` of every column of ``table`` (``name``: a temporary table, or
    ``database.schema.name``), in order."""
    database, schema, name = (["temp", "main"] + table.split("."))[-3:]
    return [(r[0], r[1]) for r in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [database, schema, name]).fetchall()]


def renderable(cols: list[tuple[str, str]]) -> bool:
    """Whether :func:`text` and :func:`digests` reproduce pandas for these columns."""
    return len(cols) > 1 and all(t in _FLOATS | _INTEGERS | _TEXT for _, t in cols)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(table: str) -> str:
    return ".".join(_q(part) for part in table.split("."))


def _cast(name: str, kind: str) -> str:
    col = _q(name)
    if kind in _FLOATS:
        return f"CASE WHEN isnan({col}) THEN NULL ELSE CAST({col} AS VARCHAR) END"
    return f"CAST({col} AS VARCHAR)"


def _cell(name: str, kind: str, sep: str) -> str:
    value = _cast(name, kind)
    if kind not in _TEXT:
        return f"coalesce({value}, '')"
    special = " OR ".join(f"strpos({value}, {lit}) > 0"
                          for lit in (_literal(sep), "'\"'", "chr(10)"))
    return (f"CASE WHEN {value} IS NULL THEN '' WHEN {special} "
            f"THEN '\"' || replace({value}, '\"', '\"\"') || '\"' ELSE {value} END")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _header_cell(name: str, sep: str) -> str:
    if sep in name or '"' in name or "\n" in name:
        return '"' + name.replace('"', '""') + '"'
    return name


_ROW, _RAW = "_harmonize_row", "_harmonize_raw_line"


def _line(cols: list[tuple[str, str]], sep: str) -> tuple[str, str]:
    """One row's text: the cells joined as they are when no text cell holds the separator, a
    quote or a newline (checked once per row), else cell by cell with the quoting."""
    plain = [f"coalesce({_cast(n, k)}, '')" for n, k in cols]
    raw = f"concat_ws({_literal(sep)}, {', '.join(plain)})"
    needs = (f"strpos({_RAW}, '\"') > 0 OR strpos({_RAW}, chr(10)) > 0 OR length({_RAW}) "
             f"- length(replace({_RAW}, {_literal(sep)}, '')) <> {len(cols) - 1}")
    quoted = f"concat_ws({_literal(sep)}, {', '.join(_cell(n, k, sep) for n, k in cols)})"
    return f"CASE WHEN {needs} THEN {quoted} ELSE {_RAW} END", raw


def render(con: duckdb.DuckDBPyConnection, table: str, sep: str | None,
           groups: dict[str, list[str]], digest_hex: int) -> tuple[str | None, dict[str, list[str]]]:
    """One pass over ``table``: its text as pandas writes it with ``sep`` (header first, ``\n``
    line ends; ``None`` without ``sep``) and, per group of columns, each row's digest as
    :func:`cohort_state.row_digests` makes it (a column the table lacks is missing in every
    row)."""
    cols = columns(con, table)
    kinds = dict(cols)
    exprs = []
    for group in groups.values():
        parts = [f"coalesce({_cast(c, kinds[c])}, chr(0))" if c in kinds else "chr(0)"
                 for c in group]
        exprs.append(f"left(sha256(concat_ws(chr(31), {', '.join(parts)})), {digest_hex})"
                     if parts else "''")
    raw = "NULL"
    if sep is not None:
        line, raw = _line(cols, sep)
        exprs.insert(0, line)
    if not exprs:
        return None, {}
    rows = con.execute(f"SELECT {', '.join(exprs)} FROM (SELECT *, rowid AS {_ROW}, "
                       f"{raw} AS {_RAW} FROM {_qualified(table)}) ORDER BY {_ROW}").fetchall()
    start = 0
    body = None
    if sep is not None:
        header = sep.join(_header_cell(n, sep) for n, _ in cols)
        body = header + "\n" + "".join(r[0] + "\n" for r in rows)
        start = 1
    return body, {part: [r[start + i] for r in rows] for i, part in enumerate(groups)}


def text(con: duckdb.DuckDBPyConnection, table: str, sep: str) -> str:
    """The table as pandas writes it with ``sep`` (header first, ``\n`` line ends)."""
    return render(con, table, sep, {}, 0)[0] or ""


def digests(con: duckdb.DuckDBPyConnection, table: str, groups: dict[str, list[str]],
            digest_hex: int) -> dict[str, list[str]]:
    """Per group of columns, each row's digest as :func:`cohort_state.row_digests` makes it
    (a column the table lacks counts as missing in every row)."""
    return render(con, table, None, groups, digest_hex)[1]
