"""Cohorts that can be rebuilt: manifest contents, every facet per row, fetchngs run lists, and
``harmonize export --manifest`` reproducing the file byte for byte or naming what changed.

The warehouse holds the real SRA and GEO records of tests/data/snapshot, real UBERON/MONDO/PATO
terms and closure, and seeded annotations of real terms over every facet; the CLI runs through
its console entry point.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from importlib import metadata
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_cli import run

from harmonize.errors import ParseError
from harmonize.models import FACETS, Annotation, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.parse import iter_file
from harmonize.warehouse.annotations import load_ontology, ontology_rows, replace_annotations
from harmonize.warehouse.db import writer
from harmonize.warehouse.load import upsert_records

LIVER, BRAIN = "UBERON:0002107", "UBERON:0000955"
#: terms of the facets that are never filtered here (labels as the ontologies give them)
OTHER_TERMS = {
    "cell_type": [("CL:0000057", "fibroblast"), ("CL:0000236", "B cell"), ("CL:0000084", "T cell")],
    "cell_line": [("CVCL:0030", "HeLa"), ("CVCL:0023", "A-549")],
    "dev_stage": [("HsapDv:0000087", "human adult stage"), ("UBERON:0000113",
                                                             "post-juvenile adult stage")],
    "assay": [("EFO:0008896", "RNA-Seq"), ("EFO:0009922", "10x 3' v3")],
    "sex": [("PATO:0000383", "female"), ("PATO:0000384", "male")],
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def closure(con: duckdb.DuckDBPyConnection, term: str) -> list[str]:
    """Independent of the export code: every term with ``term`` in its closure, from SQL."""
    return sorted(r[0] for r in con.execute(
        "SELECT term_id FROM term_ancestors WHERE ancestor_id = ?", [term]).fetchall())


def real_records(snapshot_dir: Path) -> list[SampleRecord]:
    recs = []
    for folder in ("sra", "geo"):
        for f in sorted((snapshot_dir / folder).iterdir()):
            try:
                recs += [r for r in iter_file(f) if isinstance(r, SampleRecord)]
            except ParseError:
                continue
    return recs


def seeded_annotations(sample_ids, onto, rng: random.Random):
    """Per sample: one annotation of most facets; a quarter also get a better brain tissue."""
    uberon, mondo = onto["UBERON"], onto["MONDO"]
    liver = sorted(t.id for t in uberon.terms.values() if LIVER in t.ancestors) + [LIVER]
    other = [t for t in sorted(uberon.terms) if not uberon.terms[t].obsolete
             and t.startswith("UBERON:")][:300:7]
    diseases = [t for t in sorted(mondo.terms) if not mondo.terms[t].obsolete][:200:9]
    pairs = []
    for i, sid in enumerate(sample_ids):
        tissue = rng.choice(liver if i % 2 == 0 else other)
        conf = rng.uniform(0.3, 0.99)
        status = "accepted" if i % 5 else "needs_review"
        pairs.append((sid, Annotation("tissue", tissue, uberon.terms[tissue].label, conf, "exact",
                                      status, "tissue", f"tissue text {i}", lexicon_version="lx")))
        if i % 4 == 0:
            pairs.append((sid, Annotation("tissue", BRAIN, "brain", 0.999, "mention", "accepted",
                                          "source_name", f"brain text {i}", lexicon_version="lx")))
        if i % 3:
            d = rng.choice(diseases)
            pairs.append((sid, Annotation("disease", d, mondo.terms[d].label, rng.random(),
                                          "fuzzy", "accepted", "disease", f"d{i}",
                                          lexicon_version="lx")))
        for facet, terms in OTHER_TERMS.items():
            if rng.random() < 0.7:
                tid, label = rng.choice(terms)
                pairs.append((sid, Annotation(facet, tid, label, rng.uniform(0.5, 1.0), "exact",
                                              "accepted", facet, f"{facet} {i}",
                                              lexicon_version="lx")))
    return pairs


@pytest.fixture(scope="module")
def onto():
    return {name: load_snapshot(name) for name in ("UBERON", "MONDO", "PATO")}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, onto, snapshot_dir) -> Path:
    db = tmp_path_factory.mktemp("cohort") / "w.duckdb"
    with writer(db) as con:
        for data in onto.values():
            load_ontology(con, *ontology_rows(data))
        upsert_records(con, real_records(snapshot_dir))
        ids = [r[0] for r in con.execute("SELECT sample_id FROM samples ORDER BY 1").fetchall()]
        replace_annotations(con, ids, seeded_annotations(ids, onto, random.Random(5)), "lx")
    return db


@pytest.fixture()
def wh(warehouse, tmp_path) -> Path:
    """A private copy of the warehouse a test may change."""
    copy = tmp_path / "wh" / "w.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    return copy


def export(wh: Path, out: Path, *args: str, check: bool = True):
    return run("export", "--tissue", "liver", *args, "-o", str(out), "--warehouse", str(wh),
               check=check)


def rebuild(wh: Path, manifest: Path, *args: str):
    return run("export", "--manifest", str(manifest), *args, "--warehouse", str(wh))


def text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def read_tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def test_every_row_carries_every_facet_as_sample_summary(wh, tmp_path):
    out = tmp_path / "liver.tsv"
    export(wh, out, "--status", "any", "--min-confidence", "0")
    df = read_tsv(out).set_index("sample_id")
    con = duckdb.connect(str(wh), read_only=True)
    summary = con.execute("SELECT * FROM sample_summary WHERE sample_id IN "
                          "(SELECT unnest(?::VARCHAR[]))", [list(df.index)]).df()
    liver = set(closure(con, LIVER))
    con.close()
    assert len(summary) == len(df) > 10
    for row in summary.itertuples(index=False):
        got = df.loc[row.sample_id]
        for facet in FACETS:
            want_id = text(getattr(row, f"{facet}_id"))
            assert got[f"{facet}_id"] == want_id, (row.sample_id, facet)
            assert got[f"{facet}_label"] == text(getattr(row, f"{facet}_label"))
            want_conf = getattr(row, f"{facet}_confidence")
            if want_id:
                assert float(got[f"{facet}_confidence"]) == pytest.approx(want_conf, rel=1e-12)
            else:
                assert got[f"{facet}_confidence"] == ""
        # the filter's own match is kept apart from the best tissue
        assert got["matched_tissue_id"] in liver
    brain_best = df[df["tissue_id"] == BRAIN]
    assert len(brain_best) > 0 and set(brain_best["matched_tissue_id"]) <= liver
    assert {"disease_id", "sex_label", "assay_confidence", "cell_type_status",
            "dev_stage_source_text"} <= set(df.columns)


def test_manifest_holds_what_a_rebuild_needs(wh, tmp_path):
    out = tmp_path / "liver.tsv"
    export(wh, out, "--min-confidence", "0.4")
    m = json.loads((tmp_path / "liver.tsv.manifest.json").read_text())
    df = read_tsv(out)
    con = duckdb.connect(str(wh), read_only=True)
    assert m["query"]["expanded_term_ids"] == {"tissue": closure(con, LIVER)}
    # the recorded SQL, run as it stands, selects exactly the file's samples
    again = con.execute(m["query"]["sql"], m["query"]["params"]).df()
    snapshot = con.execute("SELECT value FROM meta WHERE key = 'snapshot_id'").fetchall()[0][0]
    con.close()
    assert list(again["sample_id"]) == list(df["sample_id"]) == m["cohort"]["samples"]
    assert list(again.columns) == list(df.columns) == m["output"]["columns"]
    assert m["versions"]["harmonize"] == metadata.version("harmonize")
    assert m["versions"]["lexicon"] == ["lx"] and m["versions"]["ontologies"]["UBERON"]
    assert m["command"]["argv"][:4] == ["harmonize", "export", "--tissue", "liver"]
    assert m["command"]["argv"][-1] == str(wh)
    assert m["warehouse"]["snapshot_id"] == snapshot
    assert m["output"]["sha256"] == sha(out)
    assert re.fullmatch(r"[0-9a-f]{64}", m["cohort"]["state_sha256"])
    assert all(len(d) == len(df) for d in m["cohort"]["digests"].values())
    assert set(m["cohort"]["digests"]) == {"sample", "accessions", *FACETS}


@pytest.mark.parametrize("name,fmt", [("c.tsv", None), ("c.csv", None), ("c.parquet", None),
                                      ("runs.txt", "fetchngs")])
def test_rebuild_is_byte_identical_after_the_snapshot_is_replaced(wh, tmp_path, name, fmt):
    out = tmp_path / name
    export(wh, out, *(["--format", fmt] if fmt else []))
    manifest = tmp_path / f"{name}.manifest.json"
    recorded = sha(out)
    out.unlink()
    # the next publish replaces the snapshot and brings a new liver sample
    with writer(wh) as con:
        upsert_records(con, [SampleRecord("sra", "SRX99000001", ("SRX99000001", "SRR99000001"),
                                          organism="Homo sapiens", taxon_id=9606)])
        new = con.execute("SELECT sample_id FROM sample_accessions WHERE accession = "
                          "'SRX99000001'").fetchall()[0][0]
        replace_annotations(con, [new], [(new, Annotation("tissue", LIVER, "liver", 0.9, "exact",
                                                          "accepted", "tissue", "liver"))], "lx")

    proc = rebuild(wh, manifest)

    assert proc.returncode == 0, proc.stderr
    assert sha(out) == recorded  # so the new sample is not in it...
    assert "byte-identical" in proc.stderr and new in proc.stderr  # ...but it is named


def test_a_curated_annotation_is_named_and_nothing_is_written(wh, tmp_path):
    out = tmp_path / "liver.tsv"
    export(wh, out)
    before = read_tsv(out)
    target = before[before["tissue_id"] == before["matched_tissue_id"]].iloc[0]
    sid, old = target["sample_id"], target["tissue_id"]
    con = duckdb.connect(str(wh), read_only=True)
    new_term = next(t for t in closure(con, LIVER) if t != old)
    kept = con.execute("SELECT facet, term_id, term_label, confidence, method, status, "
                       "source_key, source_text FROM annotations WHERE sample_id = ? AND "
                       "facet <> 'tissue'", [sid]).fetchall()
    con.close()
    with writer(wh) as con:  # what `harmonize curate` leaves: the decision wins for the value
        rows = [(sid, Annotation(*r, lexicon_version="lx")) for r in kept]
        rows.append((sid, Annotation("tissue", new_term, "curated term", 1.0, "curated",
                                     "accepted", "tissue", target["tissue_source_text"])))
        replace_annotations(con, [sid], rows, "lx")
    again, changes = tmp_path / "again.tsv", tmp_path / "changes.tsv"

    proc = rebuild(wh, tmp_path / "liver.tsv.manifest.json", "-o", str(again),
                   "--changes", str(changes))

    assert proc.returncode == 1
    assert not again.exists() and not list(tmp_path.glob(".again.tsv*"))
    assert f"{sid} tissue_id: {old} -> {new_term}" in proc.stderr
    assert "cannot reproduce again.tsv" in proc.stderr.strip().splitlines()[-1]
    diff = read_tsv(changes)
    assert set(diff["change"]) == {"changed"} and set(diff["sample_id"]) == {sid}
    by_field = {r.field: (r.before, r.after) for r in diff.itertuples()}
    assert by_field["tissue_id"] == (old, new_term)
    assert by_field["matched_tissue_id"] == (old, new_term)
    assert by_field["tissue_label"][1] == "curated term"


def test_a_dropped_sample_is_reported_as_left(wh, tmp_path):
    out = tmp_path / "liver.parquet"
    export(wh, out)
    manifest = tmp_path / "liver.parquet.manifest.json"
    gone = pd.read_parquet(out)["sample_id"].iloc[1]
    with writer(wh) as con:  # a record suppressed upstream and removed from the warehouse
        for table in ("samples", "sample_accessions", "annotations", "runs", "records",
                      "sample_attributes", "libraries"):
            con.execute(f"DELETE FROM {table} WHERE sample_id = ?", [gone])
    shutil.move(out, tmp_path / "original.parquet")  # no original file: digests alone tell

    proc = rebuild(wh, manifest)

    assert proc.returncode == 1
    assert f"{gone} sample: present -> no longer in the warehouse" in proc.stderr
    assert "1 samples left" in proc.stderr and not out.exists()


def test_fetchngs_is_the_cohorts_run_accessions_one_per_line(wh, tmp_path):
    out = tmp_path / "runs.csv"
    export(wh, out, "--format", "fetchngs", "--min-confidence", "0.5")
    con = duckdb.connect(str(wh), read_only=True)
    expected = [r[0] for r in con.execute(
        "SELECT r.run_accession FROM runs r WHERE r.sample_id IN (SELECT a.sample_id "
        "FROM annotations a JOIN term_ancestors t ON t.term_id = a.term_id "
        "WHERE a.facet = 'tissue' AND t.ancestor_id = ? AND a.status = 'accepted' "
        "AND a.confidence >= 0.5) ORDER BY r.sample_id, r.run_accession", [LIVER]).fetchall()]
    con.close()
    text = out.read_text()
    assert text.endswith("\n") and text.splitlines() == expected and len(expected) > 5
    assert all(re.fullmatch(r"[SED]RR\d+", line) for line in text.splitlines())
    bad = export(wh, tmp_path / "runs.parquet", "--format", "fetchngs", check=False)
    assert bad.returncode != 0 and "must end in .csv, .tsv, .txt" in bad.stderr


def test_manifests_that_cannot_be_rebuilt_say_why(wh, tmp_path):
    out = tmp_path / "liver.tsv"
    export(wh, out)
    manifest = tmp_path / "liver.tsv.manifest.json"
    m = json.loads(manifest.read_text())
    cases = {
        "notjson": ("{not json", "not JSON"),
        "old": (json.dumps({k: v for k, v in m.items() if k != "cohort"}), "older harmonize"),
        "damaged": (json.dumps({**m, "cohort": {**m["cohort"], "samples": ["x"]}}),
                    "do not match cohort.samples"),
        "copy": (json.dumps({**m, "query": {**m["query"], "params": [],
                                            "sql": "COPY samples TO 'x.csv'"}}), "refusing COPY"),
        "file": (json.dumps({**m, "query": {**m["query"], "params": [], "sql":
                                            "SELECT content AS sample_id FROM "
                                            "read_text('/etc/hostname')"}}),
                 "disabled by config"),
    }
    for name, (text, message) in cases.items():
        bad = tmp_path / f"{name}.manifest.json"
        bad.write_text(text)
        proc = rebuild(wh, bad, "-o", str(tmp_path / f"{name}.tsv"))
        assert proc.returncode == 1, name
        assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not (tmp_path / f"{name}.tsv").exists()
    mixed = rebuild(wh, manifest, "--tissue", "brain")
    assert mixed.returncode == 2 and "drop --tissue" in mixed.stderr


@pytest.mark.slow
def test_curate_through_the_cli_then_rebuild(tmp_path, snapshot_dir):
    """End to end: real grounding, a curator decision, and the rebuild naming what it changed."""
    wh = tmp_path / "w.duckdb"
    run("ingest", str(snapshot_dir / "sra"), "--normalize", "--no-embeddings",
        "--warehouse", str(wh))
    out = tmp_path / "brain.tsv"
    run("export", "--tissue", "brain", "-o", str(out), "--warehouse", str(wh), check=True)
    assert rebuild(wh, tmp_path / "brain.tsv.manifest.json").returncode == 0
    rows = read_tsv(out)
    target = rows.iloc[0]
    decisions = tmp_path / "decisions.tsv"
    decisions.write_text("facet\tsource_text\tdecision_term_id\tcurator\n"
                         f"tissue\t{target['tissue_source_text']}\tUBERON:0002037\ttest\n")
    run("curate", str(decisions), "--no-embeddings", "--warehouse", str(wh), check=True)
    changed = set(rows[rows["tissue_source_text"] == target["tissue_source_text"]]["sample_id"])

    proc = rebuild(wh, tmp_path / "brain.tsv.manifest.json", "--changes",
                   str(tmp_path / "changes.tsv"))

    assert proc.returncode == 1
    diff = read_tsv(tmp_path / "changes.tsv")
    assert set(diff[diff["field"] == "tissue_id"]["sample_id"]) == changed
    assert set(diff[diff["field"] == "tissue_id"]["after"]) == {"UBERON:0002037"}
    assert sha(out) == json.loads((tmp_path / "brain.tsv.manifest.json").read_text()
                                  )["output"]["sha256"]  # the original is left alone


def test_tied_annotations_are_chosen_the_same_whatever_the_row_order(wh, tmp_path):
    con = duckdb.connect(str(wh), read_only=True)
    a, b = closure(con, LIVER)[:2]
    sid = con.execute("SELECT min(sample_id) FROM samples").fetchall()[0][0]
    con.close()
    tied = [(sid, Annotation("tissue", t, f"label {t}", 0.8, "exact", "accepted", key, f"{key} x",
                             lexicon_version="lx")) for t, key in ((a, "tissue"), (b, "organ"))]

    def store(pairs):
        with writer(wh) as con:
            replace_annotations(con, [sid], pairs, "lx")

    store(tied)
    out = tmp_path / "tied.tsv"
    export(wh, out)
    row = read_tsv(out).set_index("sample_id").loc[sid]
    assert row["tissue_id"] == row["matched_tissue_id"] == max(a, b)
    assert row["tissue_source_text"] == ("organ x" if b > a else "tissue x")
    store(list(reversed(tied)))  # same annotations, stored in the other order

    proc = rebuild(wh, tmp_path / "tied.tsv.manifest.json", "-o", str(tmp_path / "again.tsv"))

    assert proc.returncode == 0, proc.stderr
    assert sha(tmp_path / "again.tsv") == sha(out)


def test_fetchngs_of_a_cohort_without_runs_is_an_error_and_writes_nothing(wh, tmp_path):
    con = duckdb.connect(str(wh), read_only=True)
    geo_only = con.execute("SELECT min(sample_id) FROM samples WHERE sample_id NOT IN "
                           "(SELECT sample_id FROM sample_accessions WHERE kind = 'srr')"
                           ).fetchall()[0][0]
    con.close()
    assert geo_only, "the snapshot has GEO samples without an SRA run"
    with writer(wh) as con:
        replace_annotations(con, [geo_only], [(geo_only, Annotation(
            "tissue", "UBERON:0001264", "pancreas", 1.0, "curated", "accepted", "tissue",
            "pancreas"))], "lx")
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "runs.txt"

    proc = run("export", "--tissue", "UBERON:0001264", "--exact", "--min-confidence", "0.9995",
               "--format", "fetchngs", "-o", str(out), "--warehouse", str(wh))

    assert proc.returncode == 1
    assert "no run accession (SRR/ERR/DRR) among the 1 samples" in proc.stderr
    assert str(out) in proc.stderr and not list(out.parent.iterdir())


def test_large_cohorts_keep_one_digest_per_row(monkeypatch):
    from harmonize.warehouse import cohort_state as cs

    df = pd.DataFrame({"sample_id": ["S1", "S2", "S3"], "organism": ["Homo sapiens"] * 3,
                       "srr": ["SRR1", None, "SRR3;SRR4"], "tissue_id": ["UBERON:1", "U:2", None],
                       "tissue_confidence": [0.1 + 0.2, 0.5, float("nan")]})
    per_part = cs.cohort_state(df)
    assert set(per_part["digests"]) == {"sample", "accessions", "tissue"}
    monkeypatch.setattr(cs, "PART_DIGEST_LIMIT", 2)
    state = cs.cohort_state(df)
    assert set(state["digests"]) == {"row"} and len(state["digests"]["row"]) == 3
    changed = df.copy()
    changed.loc[1, "tissue_confidence"] = 0.5000000001
    assert cs.changed_parts(state, df) == {}
    assert cs.changed_parts(state, changed) == {"S2": ["row"]}
    assert cs.changed_parts(per_part, changed) == {"S2": ["tissue"]}
    assert cs.changed_parts(per_part, df.drop(columns=["srr"])) == {
        s: ["accessions"] for s in ("S1", "S3")}  # S2 had no run: missing either way
