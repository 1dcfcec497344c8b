"""The curator loop through the CLI: review queue out, decisions in, decisions win on re-runs."""

from __future__ import annotations

import csv
import json

import pytest
from test_cli import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grounded(tmp_path_factory, snapshot_dir):
    wh = tmp_path_factory.mktemp("cur") / "w.duckdb"
    run("ingest", str(snapshot_dir / "sra"), "--normalize", "--no-embeddings",
        "--warehouse", str(wh), check=False)
    return wh


def _rows(wh, sql):
    out = run("query", sql, "--format", "json", "--warehouse", str(wh), check=True).stdout
    return json.loads(out)


def test_review_then_curate_makes_the_decision_win(grounded, tmp_path):
    review = tmp_path / "review.tsv"
    run("review", "-o", str(review), "--warehouse", str(grounded), check=True)
    with review.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert rows, "the snapshot has values that need review"
    counts = [int(r["n_samples"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    target = rows[0]
    term = {"tissue": "UBERON:0002107", "cell_type": "CL:0000057", "disease": "MONDO:0004992",
            "cell_line": "CVCL:0030", "dev_stage": "UBERON:0000113", "sex": "PATO:0000383",
            "assay": "EFO:0008896"}[target["facet"]]
    target["decision_term_id"], target["curator"] = term, "test"
    with review.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t")
        w.writeheader()
        w.writerows(rows)

    run("curate", str(review), "--no-embeddings", "--warehouse", str(grounded), check=True)
    got = _rows(grounded, "SELECT DISTINCT term_id, method, status FROM annotations "
                          f"WHERE facet = '{target['facet']}' AND source_text = "
                          f"'{target['source_text'].replace(chr(39), chr(39) * 2)}'")
    assert got == [{"term_id": term, "method": "curated", "status": "accepted"}]

    # a later normalize (the mapping cache is warm) still honours the decision
    run("normalize", "--all", "--no-embeddings", "--warehouse", str(grounded), check=True)
    again = _rows(grounded, "SELECT count(*) AS n FROM annotations WHERE method = 'curated'")
    assert again[0]["n"] >= int(target["n_samples"])


def test_a_decision_naming_an_unknown_term_is_a_one_line_error(grounded, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("facet\tsource_text\tdecision_term_id\ntissue\tliver\tUBERON:9999999\n")
    before = _rows(grounded, "SELECT count(*) AS n FROM curator_overrides")
    proc = run("curate", str(bad), "--warehouse", str(grounded))
    assert proc.returncode != 0
    assert "bad.tsv" in proc.stderr and "UBERON:9999999" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert _rows(grounded, "SELECT count(*) AS n FROM curator_overrides") == before
