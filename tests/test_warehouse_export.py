"""Cohort export with descendant expansion, term lookup, manifest; read-only query."""

from __future__ import annotations

import hashlib
import io
import json
import random
from collections import Counter

import pandas as pd
import pytest

from harmonize.errors import (
    AmbiguousTermError,
    ConfigError,
    OntologyError,
    ReadOnlyQueryError,
)
from harmonize.models import Annotation, Attribute, Candidate, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.warehouse.annotations import (
    load_ontology,
    ontology_rows,
    replace_annotations,
    samples_to_annotate,
)
from harmonize.warehouse.db import connect_read, snapshot_id, writer
from harmonize.warehouse.export import export_cohort
from harmonize.warehouse.load import upsert_records
from harmonize.warehouse.query import run_query, write_result

LIVER = "UBERON:0002107"
N = 120


@pytest.fixture(scope="module")
def onto():
    return {name: load_snapshot(name) for name in ("UBERON", "MONDO", "PATO")}


def closure(data, term_id: str) -> set[str]:
    """Independent computation: the term and every term listing it as an ancestor."""
    return {t.id for t in data.terms.values() if term_id in t.ancestors} | {term_id}


@pytest.fixture(scope="module")
def wh(tmp_path_factory, onto):
    """A warehouse of N samples with random tissue/disease annotations of real terms."""
    rng = random.Random(7)
    uberon, mondo = onto["UBERON"], onto["MONDO"]
    liver_parts = sorted(closure(uberon, LIVER))
    other = [t for t in sorted(uberon.terms) if not uberon.terms[t].obsolete][:400:7]
    liver_disease = sorted(closure(mondo, "MONDO:0005154"))[:40]
    other_disease = [t for t in sorted(mondo.terms) if not mondo.terms[t].obsolete][:300:5]
    db = tmp_path_factory.mktemp("export") / "w.duckdb"
    truth = {}
    with writer(db) as con:
        for data in onto.values():
            load_ontology(con, *ontology_rows(data))
        recs = [SampleRecord("geo", f"GSM{7000 + i}", (f"GSM{7000 + i}", "GSE700"),
                             organism="Homo sapiens", taxon_id=9606,
                             attributes=(Attribute("tissue", f"t{i}"),)) for i in range(N)]
        recs += [SampleRecord("sra", f"SRX{8000 + i}", (f"SRX{8000 + i}", f"GSM{7000 + i}"),
                              runs=()) for i in range(0, N, 3)]
        upsert_records(con, recs)
        pairs = []
        for i in range(N):
            sid = f"GSM{7000 + i}"
            tissue = rng.choice(liver_parts if rng.random() < 0.5 else other)
            disease = rng.choice(liver_disease if rng.random() < 0.5 else other_disease)
            conf_t, conf_d = rng.choice([0.3, 0.6, 0.9]), rng.choice([0.4, 0.7, 0.95])
            status_t = rng.choice(["accepted", "accepted", "needs_review"])
            truth[sid] = (tissue, conf_t, status_t, disease, conf_d)
            pairs.append((sid, Annotation("tissue", tissue, uberon.terms[tissue].label, conf_t,
                                          "exact", status_t, "tissue", f"t{i}",
                                          lexicon_version="lex1")))
            pairs.append((sid, Annotation("disease", disease, mondo.terms[disease].label, conf_d,
                                          "fuzzy", "accepted", "disease", f"d{i}",
                                          lexicon_version="lex1")))
            pairs.append((sid, Annotation("cell_type", None, None, 0.0, "none", "unmapped",
                                          "cell type", "weird cells",
                                          candidates=(Candidate("CL:0000000", "cell", "fuzzy",
                                                                "cell", "label", 0.4, 0.4),),
                                          lexicon_version="lex1")))
        replace_annotations(con, list(truth), pairs)
    return db, truth


def test_export_by_ancestor_matches_independent_closure(wh, onto, tmp_path):
    db, truth = wh
    out = tmp_path / "cohort.tsv"
    res = export_cohort(db, out, tissue=[LIVER], disease=["liver disease"], min_confidence=0.5)
    liver = closure(onto["UBERON"], LIVER)
    liver_dis = closure(onto["MONDO"], "MONDO:0005154")
    expected = {sid for sid, (t, ct, st, d, cd) in truth.items()
                if t in liver and ct >= 0.5 and st == "accepted" and d in liver_dis and cd >= 0.5}
    df = pd.read_csv(out, sep="\t")
    assert set(df["sample_id"]) == expected and len(df) == len(expected) > 0
    assert res.n_samples == len(expected)
    assert res.resolved == {"tissue": {LIVER: LIVER}, "disease": {"liver disease": "MONDO:0005154"}}
    assert {"gsm", "srx", "srr", "gse", "biosample", "matched_tissue_id", "matched_tissue_label",
            "matched_tissue_confidence", "matched_tissue_source_text", "matched_disease_id",
            "tissue_id", "tissue_label", "disease_id", "sex_id", "assay_confidence",
            "cell_type_status"} <= set(df.columns)
    assert not any(c.startswith("matched_sex") for c in df.columns)
    assert set(df["gse"]) == {"GSE700"}
    manifest = json.loads(res.manifest_path.read_text())
    assert manifest["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert manifest["counts"]["samples"] == len(expected)
    assert manifest["query"]["resolved_terms"]["disease"]["liver disease"] == "MONDO:0005154"
    assert manifest["versions"]["ontologies"]["UBERON"] == onto["UBERON"].version
    assert manifest["versions"]["lexicon"] == ["lex1"]
    assert manifest["warehouse"]["snapshot_id"] == snapshot_id(connect_read(db))


def test_export_without_descendants_and_any_status(wh, tmp_path):
    db, truth = wh
    out = tmp_path / "c.parquet"
    term = Counter(t for t, *_rest in truth.values()).most_common(1)[0][0]
    export_cohort(db, out, tissue=[term], descendants=False, status="any", min_confidence=0)
    expected = {sid for sid, (t, *_rest) in truth.items() if t == term}
    assert len(expected) > 1
    assert set(pd.read_parquet(out)["sample_id"]) == expected
    if not any(t == LIVER for t, *_rest in truth.values()):  # only parts of the liver are used
        with pytest.raises(OntologyError, match="--exact"):
            export_cohort(db, out, tissue=["liver"], descendants=False)


def test_ambiguous_and_unknown_terms(wh, onto, tmp_path):
    db, _ = wh
    uberon = onto["UBERON"]
    labels = {t.label.lower() for t in uberon.terms.values()}
    shared = Counter(s.lower() for t in uberon.terms.values() if not t.obsolete
                     for s in {s.lower() for s, _ in t.synonyms})
    ambiguous = next(s for s, n in sorted(shared.items()) if n > 1 and s not in labels)
    with pytest.raises(AmbiguousTermError, match="UBERON:") as err:
        export_cohort(db, tmp_path / "a.tsv", tissue=[ambiguous])
    assert ambiguous in str(err.value)
    with pytest.raises(OntologyError, match="no label or synonym"):
        export_cohort(db, tmp_path / "a.tsv", tissue=["not a real tissue at all"])
    with pytest.raises(OntologyError, match="UBERON:9999999"):
        export_cohort(db, tmp_path / "a.tsv", tissue=["UBERON:9999999"])
    with pytest.raises(ConfigError, match="extension"):
        export_cohort(db, tmp_path / "a.xlsx", tissue=[LIVER])
    with pytest.raises(ConfigError, match="does not exist"):
        export_cohort(db, tmp_path / "nope" / "a.tsv", tissue=[LIVER])
    assert not (tmp_path / "a.tsv").exists()


def test_values_are_parameters_not_sql(wh, tmp_path):
    db, _ = wh
    out = tmp_path / "c.csv"
    res = export_cohort(db, out, tissue=[LIVER], organism="x' OR '1'='1", min_confidence=0)
    assert res.n_samples == 0
    assert run_query(db, "SELECT count(*) AS n FROM samples")["n"][0] == N
    everyone = export_cohort(db, out, organism="homo sapiens", source="geo")
    assert everyone.n_samples == N
    assert export_cohort(db, out, organism="9606", source="biosample").n_samples == 0


@pytest.mark.parametrize("sql", [
    "DROP TABLE samples", "INSERT INTO samples (sample_id) VALUES ('x')",
    "UPDATE samples SET organism = 'x'", "DELETE FROM samples", "CREATE TABLE t (a INT)",
    "ATTACH ':memory:' AS m", "COPY samples TO '/tmp/x.csv'", "PRAGMA version",
    "SET threads = 1", "INSTALL httpfs", "SELECT 1; DROP TABLE samples",
])
def test_query_refuses_writes(wh, sql):
    db, _ = wh
    with pytest.raises(ReadOnlyQueryError, match="refusing|one statement"):
        run_query(db, sql)
    assert run_query(db, "SELECT count(*) AS n FROM samples")["n"][0] == N


def test_query_formats(wh, tmp_path):
    db, _ = wh
    df = run_query(db, "SELECT sample_id, tissue_id FROM sample_summary WHERE sample_id = ?",
                   ["GSM7000"])
    assert list(df["sample_id"]) == ["GSM7000"]
    buf = io.StringIO()
    write_result(df, "csv", buf)
    assert buf.getvalue().splitlines()[0] == "sample_id,tissue_id"
    buf = io.StringIO()
    write_result(df, "json", buf)
    assert [r["sample_id"] for r in json.loads(buf.getvalue())] == ["GSM7000"]
    buf = io.StringIO()
    write_result(df, "table", buf)
    assert "GSM7000" in buf.getvalue() and "1 row" in buf.getvalue()
    with pytest.raises(ConfigError, match="parquet output needs a file"):
        write_result(df, "parquet", None)
    write_result(df, "parquet", tmp_path / "q.parquet")
    assert pd.read_parquet(tmp_path / "q.parquet").shape == (1, 2)


def test_samples_to_annotate_only_changed(wh):
    db, truth = wh
    con = connect_read(db)
    assert list(samples_to_annotate(con, "lex1")) == []
    todo = list(samples_to_annotate(con, "lex2", batch_size=25))
    assert len(todo) == N and todo[0].attributes == {"tissue": "t0"}
    con.close()
