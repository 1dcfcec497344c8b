"""The tables precomputed at publish hold exactly what the live queries give, and cohort exports
read from them give the same rows as the live query over annotations and accessions."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
import pytest

from harmonize.ground.sample_type import ORIGIN_FACET
from harmonize.ground.sample_type_features import CULTURED, SAMPLE_TYPES
from harmonize.models import Annotation, Attribute, Run, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.warehouse import materialize
from harmonize.warehouse.annotations import (
    Override,
    add_overrides,
    load_ontology,
    ontology_rows,
    replace_annotations,
)
from harmonize.warehouse.db import connect_read, migrations_dir, writer
from harmonize.warehouse.export import (
    choose_export_sql,
    cohort_params,
    cohort_sql,
    export_cohort,
    export_params,
    export_sql,
    indexed_cohort_sql,
    precomputed_export_sql,
    sample_types,
)
from harmonize.warehouse.load import upsert_records
from harmonize.warehouse.lookup import with_descendants

LIVER, BRAIN, LIVER_DISEASE = "UBERON:0002107", "UBERON:0000955", "MONDO:0005154"


def view_sql(name: str) -> str:
    """The body of a view as migration 003 defined it (the reference the tables must match)."""
    text = (migrations_dir() / "003_views.sql").read_text()
    body = text.split(f"CREATE OR REPLACE VIEW {name} AS", 1)[1]
    return body.split(";\n", 1)[0]
N = 150


@pytest.fixture(scope="module")
def onto():
    return {name: load_snapshot(name) for name in ("UBERON", "MONDO", "PATO")}


def below(data, term: str) -> list[str]:
    return sorted({t.id for t in data.terms.values() if term in t.ancestors} | {term})


def annotations_for(rng: random.Random, sid: str, onto, pools) -> list[tuple[str, Annotation]]:
    """0-3 annotations per facet, distinct confidences, every status."""
    out = []
    for facet, terms, ont in (("tissue", pools["tissue"], "UBERON"),
                              ("disease", pools["disease"], "MONDO")):
        confs = rng.sample([0.2, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95], rng.randint(0, 3))
        for k, conf in enumerate(confs):
            if rng.random() < 0.1:
                out.append((sid, Annotation(facet, None, None, 0.0, "none", "unmapped", facet,
                                            rng.choice(["unclear bit", "n/a", "mystery"]),
                                            lexicon_version="lex")))
                continue
            tid = rng.choice(terms)
            status = "accepted" if conf >= 0.7 else "needs_review" if conf >= 0.4 else "rejected"
            out.append((sid, Annotation(facet, tid, onto[ont].terms[tid].label, conf, "exact",
                                        status, f"{facet} {k}", f"text {tid} {k}",
                                        lexicon_version="lex")))
    if rng.random() < 0.5:
        out.append((sid, Annotation("sex", "PATO:0000383", "female", 0.9, "exact", "accepted",
                                    "sex", "F", lexicon_version="lex")))
    return out


def records(start: int, n: int, rng: random.Random) -> list[SampleRecord]:
    recs = []
    for i in range(start, start + n):
        org = rng.choice([("Homo sapiens", 9606), ("Mus musculus", 10090)])
        if i % 3 == 0:  # GEO only
            recs.append(SampleRecord("geo", f"GSM{1000 + i}", (f"GSM{1000 + i}", f"GSE{i // 20}"),
                                     organism=org[0], taxon_id=org[1],
                                     attributes=(Attribute("tissue", "x"),)))
            continue
        runs = tuple(Run(f"SRR{5000 + 2 * i + j}", f"SRX{3000 + i}", 10, 1500)
                     for j in range(rng.randint(0, 2)))
        recs.append(SampleRecord("sra", f"SRX{3000 + i}", (
            f"SRX{3000 + i}", f"SRS{4000 + i}", f"SAMN{9000 + i}", f"SRP{i // 20}",
            f"PRJNA{i // 20}") + ((f"GSM{1000 + i}",) if i % 3 == 1 else ()),
            organism=org[0], taxon_id=org[1], runs=runs, attributes=(Attribute("tissue", "y"),)))
    return recs


@pytest.fixture(scope="module")
def wh(tmp_path_factory, onto):
    rng = random.Random(11)
    pools = {"tissue": below(onto["UBERON"], LIVER)[:30] + below(onto["UBERON"], BRAIN)[:30],
             "disease": below(onto["MONDO"], LIVER_DISEASE)[:30]
             + [t for t in sorted(onto["MONDO"].terms) if not onto["MONDO"].terms[t].obsolete
                and t.startswith("MONDO:")][:200:10]}
    db = tmp_path_factory.mktemp("mat") / "w.duckdb"
    with writer(db) as con:
        for data in onto.values():
            load_ontology(con, *ontology_rows(data))
        upsert_records(con, records(0, N, rng))
        ids = [r[0] for r in con.execute("SELECT sample_id FROM samples ORDER BY 1").fetchall()]
        pairs = [p for sid in ids[: N - 10] for p in annotations_for(rng, sid, onto, pools)]
        replace_annotations(con, ids, pairs, "lex")
        add_overrides(con, [Override("tissue", "Mystery", None)])  # drops out of the queue
    return db, pools, rng


def live_and_indexed(con, expanded, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    params = cohort_params(expanded, kw.get("min_confidence", 0.5),
                           kw.get("status", ["accepted"]), kw.get("organism"), kw.get("source"))
    live = con.execute(cohort_sql(list(expanded)), params).df()
    fast = con.execute(indexed_cohort_sql(list(expanded)), params).df()
    return live, fast


def test_precomputed_tables_equal_the_live_queries(wh):
    db, _, _ = wh
    con = connect_read(db)
    try:
        assert materialize.is_current(con)
        summary = con.execute("SELECT * FROM sample_summary ORDER BY sample_id").df()
        original = con.execute(f"SELECT * FROM ({view_sql('sample_summary')}) "
                               "ORDER BY sample_id").df()
        assert len(summary) == N and summary["tissue_id"].notna().sum() > 50
        assert summary["srr"].str.contains(";").any() and summary["gsm"].isna().any()
        # migration 003 had no sample_type columns: its columns must agree
        pd.testing.assert_frame_equal(summary[list(original.columns)], original)
        queue = con.execute("SELECT * FROM review_queue").fetchall()
        assert queue == con.execute(f"SELECT * FROM ({view_sql('review_queue')}) "
                                    "ORDER BY n_samples DESC, facet, source_text").fetchall()
        assert queue and "mystery" not in {r[1] for r in queue if r[0] == "tissue"}
        top = con.execute("SELECT facet, source_text, n_samples FROM review_queue "
                          "ORDER BY n_samples DESC, facet, source_text LIMIT 3").fetchall()
        assert [r[:3] for r in queue[:3]] == top
    finally:
        con.close()


@pytest.mark.parametrize("filters, options", [
    ({"tissue": [LIVER]}, {}),
    ({"tissue": [BRAIN]}, {"min_confidence": 0.0, "status": ["accepted", "needs_review"]}),
    ({"tissue": [LIVER, BRAIN], "disease": [LIVER_DISEASE]}, {"min_confidence": 0.4}),
    ({"disease": [LIVER_DISEASE]}, {"organism": "homo sapiens", "source": "sra"}),
    ({"tissue": [LIVER]}, {"organism": "10090", "status": ["rejected"], "min_confidence": 0}),
    ({}, {"source": "geo"}),
])
def test_indexed_export_query_gives_the_live_rows(wh, filters, options):
    db, _, _ = wh
    con = connect_read(db)
    try:
        expanded = {f: with_descendants(con, ids) for f, ids in filters.items()}
        live, fast = live_and_indexed(con, expanded, **options)
    finally:
        con.close()
    assert len(live) > 0
    pd.testing.assert_frame_equal(fast, live)


def test_export_files_are_identical_with_and_without_the_precomputed_tables(wh, tmp_path,
                                                                           monkeypatch):
    db, _, _ = wh
    kw = dict(tissue=[LIVER, BRAIN], disease=[LIVER_DISEASE], min_confidence=0.4, status="any")
    fast = export_cohort(db, tmp_path / "fast.tsv", **kw)
    monkeypatch.setattr(materialize, "is_current", lambda con: False)
    live = export_cohort(db, tmp_path / "live.tsv", **kw)
    assert fast.n_samples == live.n_samples > 0
    assert (tmp_path / "fast.tsv").read_bytes() == (tmp_path / "live.tsv").read_bytes()


def test_the_next_publish_refreshes_them_and_a_stale_stamp_is_not_trusted(wh, onto):
    db, pools, rng = wh
    with writer(db) as con:
        upsert_records(con, records(N, 20, rng))
        new = [r[0] for r in con.execute(
            "SELECT sample_id FROM samples s ANTI JOIN annotations USING (sample_id) "
            "ORDER BY 1").fetchall()]
        replace_annotations(con, new, [p for sid in new
                                       for p in annotations_for(rng, sid, onto, pools)], "lex")
        # inside the writer they still hold the previous snapshot's rows
        assert con.execute("SELECT count(*) FROM summary_rows").fetchone()[0] == N
    con = connect_read(db)
    try:
        assert materialize.is_current(con)
        assert con.execute("SELECT count(*) FROM sample_summary").fetchone()[0] == N + 20
        summary = con.execute("SELECT * FROM sample_summary ORDER BY sample_id").df()
        live = con.execute(
            f"SELECT * FROM ({view_sql('sample_summary')}) ORDER BY sample_id").df()
        pd.testing.assert_frame_equal(summary[list(live.columns)], live)
        assert con.execute("SELECT * FROM review_queue").fetchall() == \
            con.execute(materialize.LIVE_REVIEW).fetchall()
        expanded = {"tissue": with_descendants(con, [LIVER, BRAIN])}
        live, fast = live_and_indexed(con, expanded, min_confidence=0.0, status=["accepted"])
        pd.testing.assert_frame_equal(fast, live)
    finally:
        con.close()
    raw = duckdb.connect(str(db))  # as a warehouse written by an older harmonize would be
    raw.execute("DELETE FROM meta WHERE key = 'materialized_snapshot'")
    raw.close()
    con = connect_read(db)
    try:
        assert not materialize.is_current(con)
    finally:
        con.close()


# --- export_rows (migration 007): the export read from the precomputed tables -----------------

TAB_HEADER = ("Accession", "Submission", "Status", "Updated", "Published", "Type", "Visibility",
              "Alias", "Experiment", "Sample", "Study", "BioSample", "BioProject", "ReplacedBy")


def typed_annotations(i: int, sid: str, onto, pools, rng) -> list[tuple[str, Annotation]]:
    """annotations_for, plus sample types as the grounder writes them: an accepted cultured type
    moves the organ to origin_tissue; a needs_review type leaves it a tissue."""
    out = annotations_for(rng, sid, onto, pools)
    organ = rng.choice(pools["tissue"])
    label = onto["UBERON"].terms[organ].label
    kind = i % 5
    if kind == 0:  # accepted cell line, organ only as its origin
        out += [(sid, Annotation("sample_type", "cell_line", "cell line", 0.9, "classifier",
                                 "accepted", "source_name", f"line {i}")),
                (sid, Annotation(ORIGIN_FACET, organ, label, 0.8, "exact", "accepted",
                                 "tissue", f"origin {i}"))]
    elif kind == 1:  # a typed tissue
        out.append((sid, Annotation("sample_type", "tissue", "tissue", 0.85, "classifier",
                                    "accepted", "source_name", f"tissue {i}")))
    elif kind == 2:  # an organoid the classifier is unsure of: it stays a tissue
        out += [(sid, Annotation("sample_type", "organoid", "organoid", 0.45, "classifier",
                                 "needs_review", "source_name", f"organoid {i}")),
                (sid, Annotation("tissue", organ, label, 0.75, "exact", "accepted", "tissue",
                                 f"organ {i}"))]
    return out


@pytest.fixture(scope="module")
def typed_wh(tmp_path_factory, onto):
    """Samples of every sample type, some SRA-suppressed or withdrawn (SRA_Accessions.tab)."""
    from harmonize.dump.accessions_tab import load_accessions_tab

    rng = random.Random(23)
    pools = {"tissue": below(onto["UBERON"], LIVER)[:20] + below(onto["UBERON"], BRAIN)[:20],
             "disease": below(onto["MONDO"], LIVER_DISEASE)[:20]}
    folder = tmp_path_factory.mktemp("typed")
    db = folder / "w.duckdb"
    tab = folder / "SRA_Accessions.tab"
    rows = ["\t".join(TAB_HEADER)]
    for i in range(0, 90, 7):  # SRA samples only (i % 3 != 0), every 7th: not live
        if i % 3:
            status = "suppressed" if i % 2 else "withdrawn"
            rows.append("\t".join([f"SRS{4000 + i}", "SRA1", status, "-", "-", "SAMPLE",
                                   "public"] + ["-"] * 7))
    tab.write_text("\n".join(rows) + "\n")
    with writer(db) as con:
        for data in onto.values():
            load_ontology(con, *ontology_rows(data))
        upsert_records(con, records(0, 90, rng))
        load_accessions_tab(con, tab)
        ids = [r[0] for r in con.execute("SELECT sample_id FROM samples ORDER BY 1").fetchall()]
        pairs = [p for i, sid in enumerate(ids) for p in typed_annotations(i, sid, onto, pools,
                                                                            rng)]
        replace_annotations(con, ids, pairs, "lex")
    return db


@pytest.mark.parametrize("filters, options", [
    ({"tissue": [LIVER]}, {}),
    ({"tissue": [LIVER, BRAIN]}, {"types": ["cell_line"]}),
    ({"tissue": [LIVER, BRAIN]}, {"types": sorted(SAMPLE_TYPES), "inactive": True}),
    ({"tissue": [BRAIN], "disease": [LIVER_DISEASE]},
     {"min_confidence": 0.0, "status": ["accepted", "needs_review"]}),
    ({"disease": [LIVER_DISEASE]}, {"organism": "9606", "source": "sra"}),
    ({}, {"inactive": True}),
    ({}, {"types": ["organoid"]}),
])
def test_precomputed_export_gives_the_live_export(typed_wh, filters, options):
    con = connect_read(typed_wh)
    try:
        assert materialize.is_current(con) and materialize.has_export_rows(con)
        expanded = {f: with_descendants(con, ids) for f, ids in filters.items()}
        types, untyped = (options["types"], False) if "types" in options else \
            sample_types([], tissue="tissue" in filters)
        params = export_params(expanded, options.get("min_confidence", 0.5),
                               options.get("status", ["accepted"]), options.get("organism"),
                               options.get("source"), types, untyped,
                               options.get("inactive", False))
        live = con.execute(export_sql(list(expanded)), params).df()
        fast = con.execute(precomputed_export_sql(list(expanded)), params).df()
        assert choose_export_sql(con, list(expanded)) == precomputed_export_sql(list(expanded))
    finally:
        con.close()
    assert len(live) > 0 and live["sample_id"].is_unique
    pd.testing.assert_frame_equal(fast, live)


def independent_liver_samples(db) -> tuple[set[str], set[str], set[str]]:
    """Straight from the base tables: samples with an accepted liver (or below) tissue at
    confidence >= 0.5; the SRA-inactive ones; those typed as cultured with an accepted type."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        liver = {r[0] for r in con.execute(
            "SELECT DISTINCT a.sample_id FROM annotations a JOIN term_ancestors t "
            "ON t.term_id = a.term_id AND t.ancestor_id = ? WHERE a.facet = 'tissue' "
            "AND a.status = 'accepted' AND a.confidence >= 0.5", [LIVER]).fetchall()}
        inactive = {r[0] for r in con.execute(
            "SELECT DISTINCT sa.sample_id FROM sample_accessions sa JOIN sra_accessions x "
            "ON x.accession = sa.accession WHERE sa.kind IN ('srs', 'srx') "
            "AND x.status <> 'live'").fetchall()}
        cultured = {r[0] for r in con.execute(
            "SELECT sample_id FROM annotations WHERE facet = 'sample_type' "
            "AND status = 'accepted' AND term_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(CULTURED)]).fetchall()}
    finally:
        con.close()
    return liver, inactive, cultured


def test_export_from_export_rows_equals_an_independent_count(typed_wh, tmp_path):
    liver, inactive, cultured = independent_liver_samples(typed_wh)
    out = tmp_path / "liver.tsv"
    res = export_cohort(typed_wh, out, tissue=[LIVER])
    got = set(pd.read_csv(out, sep="\t")["sample_id"])
    assert got == liver - inactive - cultured and res.n_samples == len(got) > 0
    # the fixture has what the filters leave out, and each comes back when asked for
    assert liver & inactive and liver & cultured - inactive
    kept = export_cohort(typed_wh, tmp_path / "all.tsv", tissue=[LIVER], include_inactive=True)
    assert set(pd.read_csv(tmp_path / "all.tsv", sep="\t")["sample_id"]) == liver - cultured
    assert kept.n_samples == len(liver - cultured)
    lines = export_cohort(typed_wh, tmp_path / "lines.tsv", tissue=[LIVER],
                          sample_type=["cell_line"])
    rows = pd.read_csv(tmp_path / "lines.tsv", sep="\t")
    assert lines.n_samples > 0 and set(rows["sample_type_id"]) == {"cell_line"}
    # a cell line matched through its origin: no tissue of its own, the origin is filled
    assert rows["matched_tissue_id"].isna().any() and rows["origin_tissue_id"].notna().all()


def test_export_rows_hold_every_sample_and_the_sra_status(typed_wh):
    _, inactive, _ = independent_liver_samples(typed_wh)
    con = connect_read(typed_wh)
    try:
        rows = dict(con.execute("SELECT r.sample_id, e.inactive FROM summary_rows r "
                                "JOIN export_rows e USING (sample_key)").fetchall())
        n = con.execute("SELECT count(*) FROM samples").fetchone()[0]
        fresh = con.execute(f"SELECT count(*) FROM ({materialize.LIVE_EXPORT_ROWS}) "
                            "EXCEPT ALL SELECT count(*) FROM export_rows").fetchall()
    finally:
        con.close()
    assert len(rows) == n and {s for s, gone in rows.items() if gone} == inactive != set()
    assert fresh == []


def test_sample_keys_follow_the_tissue_walk_then_the_sample_id(typed_wh, onto):
    con = connect_read(typed_wh)
    try:
        keys = con.execute("SELECT sample_key, sample_id, coalesce(tissue_id, origin_tissue_id) "
                           "FROM summary_rows ORDER BY sample_key").fetchall()
        ranks = materialize.tissue_ranks(con)
        parents = con.execute("SELECT term_id, ancestor_id FROM term_ancestors "
                              "WHERE distance = 1").fetchall()
    finally:
        con.close()
    assert [k for k, _, _ in keys] == list(range(1, len(keys) + 1))
    expected = sorted(keys, key=lambda r: (r[2] is None, ranks.get(r[2], 0), r[1]))
    assert [sid for _, sid, _ in keys] == [sid for _, sid, _ in expected]
    # a depth-first walk: a term below liver whose only parent is liver comes after liver and
    # before any term that is neither liver nor below it
    below_liver = set(below(onto["UBERON"], LIVER))
    only_child = {c for c, p in parents if p == LIVER} - {c for c, p in parents if p != LIVER}
    used_below = sorted(t for t in ranks if t in below_liver)
    if LIVER in ranks and only_child & set(ranks):
        child = min(only_child & set(ranks), key=ranks.get)
        between = [t for t in ranks if ranks[LIVER] < ranks[t] < ranks[child]]
        assert all(t in below_liver for t in between)
    assert len(set(ranks.values())) == len(ranks) and used_below
