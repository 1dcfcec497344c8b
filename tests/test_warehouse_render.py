"""Cohort text and digests rendered in DuckDB are byte for byte what pandas writes and what the
Python digests (cohort_state) compute, so files and manifests stay rebuildable either way."""

from __future__ import annotations

import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from harmonize.warehouse import render
from harmonize.warehouse.cohort_state import DIGEST_HEX, parts, row_digests

TRICKY = ["plain", "tab\there", "comma, here", 'a "quoted" word', "line\nbreak", "cr\ronly",
          "", " leading space", "é ü 肝臓", "back\\slash", "semi;colon", "'single'", '"', None]


def frame() -> pd.DataFrame:
    """Every kind of column an export has: texts (with separators, quotes, newlines, NULLs),
    doubles of every magnitude (NULL, NaN, -0.0), integers with and without NULLs."""
    rng = np.random.default_rng(3)
    n = len(TRICKY) * 3
    doubles = np.concatenate([rng.beta(5, 1.4, n - 8), [0.0, -0.0, 1.0, 1e-05, 1e16,
                                                        0.30000000000000004, 5e-324, 2.5e-07]])
    conf = [None if i % 5 == 0 else float(v) for i, v in enumerate(doubles)]
    return pd.DataFrame({
        "sample_id": [f"SAMN{i:04d}" for i in range(n)],
        "srr": [None if i % 4 == 0 else f"SRR{i};SRR{i + 1}" for i in range(n)],
        "organism": (TRICKY * 3)[:n],
        "taxon_id": [9606 + i for i in range(n)],
        "tissue_id": [None] * n,
        "tissue_label": list(reversed((TRICKY * 3)[:n])),
        "tissue_confidence": conf,
        "disease_confidence": [math.nan if i % 6 == 0 else float(v) for i, v in
                               enumerate(rng.random(n))],
    })


@pytest.fixture()
def con():
    con = duckdb.connect()
    df = frame()
    con.register("df", df)
    con.execute("CREATE TEMP TABLE t AS SELECT sample_id, srr, organism, taxon_id, "
                "CAST(tissue_id AS VARCHAR) AS tissue_id, tissue_label, tissue_confidence, "
                "disease_confidence, CASE WHEN taxon_id % 3 = 0 THEN NULL ELSE taxon_id END "
                "AS nullable_taxon FROM df")
    yield con
    con.close()


@pytest.mark.parametrize("sep", ["\t", ","])
def test_text_is_what_pandas_writes(con, sep):
    df = con.execute("SELECT * FROM t").df()
    assert str(df["nullable_taxon"].dtype) == "Int64" and df["tissue_id"].isna().all()
    assert render.renderable(render.columns(con, "t"))
    assert render.text(con, "t", sep) == df.to_csv(sep=sep, index=False)


def test_digests_are_the_python_digests(con):
    df = con.execute("SELECT * FROM t").df()
    groups = parts(df.columns) | {"gone": ["no_such_column"], "empty": []}
    assert render.digests(con, "t", groups, DIGEST_HEX) == row_digests(df, groups)


def test_an_empty_table_and_unsupported_columns(con):
    con.execute("CREATE TEMP TABLE e AS SELECT * FROM t WHERE false")
    assert render.text(con, "e", "\t") == con.execute("SELECT * FROM e").df().to_csv(
        sep="\t", index=False)
    con.execute("CREATE TEMP TABLE l AS SELECT sample_id, [srr] AS srr FROM t")
    assert not render.renderable(render.columns(con, "l"))
    con.execute("CREATE TEMP TABLE one AS SELECT sample_id FROM t")
    assert not render.renderable(render.columns(con, "one"))


def test_manifest_text_is_the_same_json_with_the_cohort_lists_on_one_line():
    from harmonize.warehouse.export import manifest_json

    manifest = {"query": {"sql": "SELECT 1", "params": [["a", "b"], 0.5, None]},
                "cohort": {"samples": ["S1", "S\x002", 'S"3'],
                           "parts": {"tissue": ["tissue_id", "tissue_label"]},
                           "digests": {"tissue": ["ab", "cd", "ef"]}, "state_sha256": "x"},
                "created_at": "2026"}
    text = manifest_json(manifest)
    assert json.loads(text) == manifest
    lines = text.splitlines()
    assert '    "samples": ["S1", "S\\u00002", "S\\"3"],' in lines
    assert '    "params": [' in lines  # the rest stays indented item by item
    assert json.loads(manifest_json({"a": [1]})) == {"a": [1]}
