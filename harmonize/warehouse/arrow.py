"""Hand Python columns to DuckDB as Arrow tables (the fast path for set-based SQL)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa

STR = pa.string()
INT = pa.int64()
FLOAT = pa.float64()
TS = pa.timestamp("us")
BLOB = pa.binary()
LIST_STR = pa.list_(pa.string())


def arrow_table(columns: dict[str, Sequence], types: dict[str, pa.DataType]) -> pa.Table:
    """Build a typed Arrow table from equally long Python lists."""
    return pa.table({name: pa.array(values, type=types.get(name, STR))
                     for name, values in columns.items()})


def register(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, Sequence],
             types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Register ``columns`` as view ``name`` on ``con`` (replacing an earlier one)."""
    table = arrow_table(columns, types or {})
    con.register(name, table)
    return table
