"""Loading records: migrations, idempotence, updates, identity merge, run bookkeeping."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from harmonize.models import Attribute, Library, Reject, Run, SampleRecord
from harmonize.warehouse.db import connect_read, migrate, writer
from harmonize.warehouse.load import (
    add_rejects,
    done_batches,
    finish_run,
    last_watermark,
    mark_batch,
    start_run,
    upsert_records,
)

TABLES = ("samples", "sample_accessions", "records", "sample_attributes", "libraries", "runs",
          "studies")


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


def geo_record(i: int, tissue: str = "liver", **kw) -> SampleRecord:
    return SampleRecord(
        source="geo", record_accession=f"GSM{1000 + i}", accessions=(f"GSM{1000 + i}", "GSE77"),
        organism="Homo sapiens", taxon_id=9606, title=f"liver sample {i}",
        attributes=(Attribute("tissue", tissue), Attribute("disease state", "NAFLD")),
        library=Library(strategy="RNA-Seq", platform="GPL16791"), **kw)


def sra_record(i: int, biosample: bool = True) -> SampleRecord:
    accs = (f"SRX{2000 + i}", f"SRS{3000 + i}", "SRP55", "PRJNA99")
    if biosample:
        accs += (f"SAMN{4000 + i}",)
    return SampleRecord(
        source="sra", record_accession=f"SRX{2000 + i}", accessions=accs,
        organism="Homo sapiens", attributes=(Attribute("sex", "female"),),
        runs=(Run(f"SRR{5000 + i}", f"SRX{2000 + i}", 1000, 100000, "2020-01-02"),
              Run(f"SRR{6000 + i}", f"SRX{2000 + i}", 500, 50000)),
        library=Library(strategy="RNA-Seq", source="TRANSCRIPTOMIC", layout="PAIRED"))


def biosample_link(i: int) -> SampleRecord:
    """A BioSample record that names both the GSM and the SRS: the link that merges them."""
    return SampleRecord(
        source="biosample", record_accession=f"SAMN{4000 + i}",
        accessions=(f"SAMN{4000 + i}", f"GSM{1000 + i}", f"SRS{3000 + i}"),
        organism="Homo sapiens",
        attributes=(Attribute("age", "54", harmonized_key="age"),
                    Attribute("tissue", "liver biopsy", harmonized_key="tissue")))


@pytest.fixture()
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate(c)
    yield c
    c.close()


def test_migrations_apply_once(tmp_path):
    c = duckdb.connect(str(tmp_path / "m.duckdb"))
    first = migrate(c)
    assert [n.split("_")[0] for n in first] == sorted(n.split("_")[0] for n in first)
    assert len(first) >= 3
    assert migrate(c) == []
    assert c.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] == len(first)
    for name in ("samples", "annotations", "sample_summary", "review_queue", "term_ancestors"):
        c.execute(f"SELECT * FROM {name} LIMIT 0").fetchall()


def test_loading_twice_changes_no_count(con):
    recs = [geo_record(i) for i in range(5)] + [sra_record(i) for i in range(5)]
    first = upsert_records(con, recs, batch_size=3)
    assert (first.inserted, first.unchanged, first.samples) == (10, 0, 10)
    before = counts(con)
    second = upsert_records(con, recs, batch_size=4)
    assert (second.inserted, second.updated, second.unchanged, second.merged) == (0, 0, 10, 0)
    assert counts(con) == before
    assert before["runs"] == 10 and before["sample_attributes"] == 15
    assert con.execute("SELECT count(*) FROM studies").fetchall()[0][0] == 3


def test_changed_content_updates_without_duplicating(con):
    upsert_records(con, [geo_record(1)])
    stats = upsert_records(con, [geo_record(1, tissue="liver lobe")])
    assert (stats.inserted, stats.updated, stats.unchanged) == (0, 1, 0)
    rows = con.execute("SELECT key, value FROM sample_attributes ORDER BY ord").fetchall()
    assert rows == [("tissue", "liver lobe"), ("disease state", "NAFLD")]
    assert counts(con)["records"] == 1 and counts(con)["libraries"] == 1


def test_link_record_merges_gsm_and_srs_samples_keeping_everything(con):
    upsert_records(con, [geo_record(1), sra_record(1, biosample=False)])
    assert sorted(r[0] for r in con.execute("SELECT sample_id FROM samples").fetchall()) == [
        "GSM1001", "SRS3001"]
    attrs_before = con.execute("SELECT count(*) FROM sample_attributes").fetchall()[0][0]
    stats = upsert_records(con, [biosample_link(1)])
    assert stats.merged == 2 and stats.samples == 0
    assert con.execute("SELECT sample_id, sources FROM samples").fetchall() == [
        ("SAMN4001", ["biosample", "geo", "sra"])]
    attrs_after = con.execute("SELECT count(*) FROM sample_attributes").fetchall()[0][0]
    assert attrs_after == attrs_before + 2
    for table in ("sample_attributes", "runs", "records", "libraries", "sample_accessions"):
        ids = {r[0] for r in con.execute(f"SELECT DISTINCT sample_id FROM {table}").fetchall()}
        assert ids == {"SAMN4001"}, table
    accs = {r[0] for r in con.execute("SELECT accession FROM sample_accessions").fetchall()}
    assert {"GSM1001", "SRS3001", "SRX2001", "SRR5001", "SRR6001", "GSE77", "SRP55",
            "PRJNA99", "SAMN4001"} <= accs
    dup = con.execute("SELECT count(*) - count(DISTINCT (accession, sample_id)) "
                      "FROM sample_accessions").fetchall()[0][0]
    assert dup == 0


def test_merge_is_order_independent(tmp_path):
    recs = [geo_record(1), sra_record(1, biosample=False), biosample_link(1)]
    results = []
    for n, order in enumerate((recs, recs[::-1], [recs[1], recs[2], recs[0]])):
        c = duckdb.connect(str(tmp_path / f"o{n}.duckdb"))
        migrate(c)
        for r in order:
            upsert_records(c, [r])
        results.append((c.execute("SELECT sample_id FROM samples").fetchall(), counts(c)))
        c.close()
    assert results[0] == results[1] == results[2]
    assert results[0][0] == [("SAMN4001",)]


def test_one_batch_with_linked_records_makes_one_sample(con):
    stats = upsert_records(con, [geo_record(2), sra_record(2), biosample_link(2)])
    assert stats.samples == 1 and stats.inserted == 3
    assert con.execute("SELECT sample_id FROM samples").fetchall() == [("SAMN4002",)]


def test_study_accessions_link_many_samples(con):
    upsert_records(con, [geo_record(i) for i in range(4)])
    rows = con.execute("SELECT count(DISTINCT sample_id) FROM sample_accessions "
                       "WHERE accession = 'GSE77'").fetchall()
    assert rows[0][0] == 4
    assert counts(con)["samples"] == 4


def test_run_bookkeeping(con):
    run_id = start_run(con, "nightly", "sra", {"window_start": "2024-01-01"})
    assert con.execute("SELECT status FROM harvest_runs WHERE run_id = ?",
                       [run_id]).fetchall() == [("running",)]
    assert last_watermark(con, "sra") is None
    finish_run(con, run_id, "success", {"inserted": 3}, watermark=date(2024, 1, 5))
    failed = start_run(con, "nightly", "sra", {})
    finish_run(con, failed, "failed", {}, watermark="2030-01-01", message="boom")
    assert last_watermark(con, "sra") == date(2024, 1, 5)
    mark_batch(con, "plan-a", 0, run_id)
    mark_batch(con, "plan-a", 2, run_id)
    mark_batch(con, "plan-a", 2, run_id)
    assert done_batches(con, "plan-a") == {0, 2} and done_batches(con, "plan-b") == set()
    n = add_rejects(con, [Reject("f.xml", "bad xml", "SRX1", b"<x")], run_id)
    assert n == 1
    assert con.execute("SELECT origin, raw FROM rejects").fetchall() == [("f.xml", b"<x")]


def test_writer_publishes_a_readable_warehouse(tmp_path):
    db = tmp_path / "pub.duckdb"
    with writer(db) as c:
        upsert_records(c, [geo_record(i) for i in range(3)])
    r = connect_read(db)
    assert r.execute("SELECT count(*) FROM samples").fetchall()[0][0] == 3
    r.close()


def test_parsed_real_records_load_idempotently(tmp_path):
    parse = pytest.importorskip("harmonize.parse")
    from pathlib import Path

    files = sorted(Path("/work/shared/fixtures/ncbi/sra_efetch").glob("*.xml"))[:3]
    files += sorted(Path("/work/shared/fixtures/ncbi/biosample").glob("ebi_*.xml"))[:2]
    if not files or not hasattr(parse, "iter_file"):
        pytest.skip("parsers or fixtures not available")
    records = []
    for f in files:
        records += [r for r in parse.iter_file(f) if isinstance(r, SampleRecord)]
    if not records:
        pytest.skip("no records parsed from the fixtures")
    c = duckdb.connect(str(tmp_path / "real.duckdb"))
    migrate(c)
    upsert_records(c, records)
    before = counts(c)
    again = upsert_records(c, records)
    assert again.inserted == 0 and again.updated == 0
    assert counts(c) == before and before["samples"] >= 1


def test_readme_documents_every_table_that_exists(tmp_path):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "warehouse" / "README.md").read_text()
    documented = set(re.findall(r"^\| (?:view )?`(\w+)`", readme, flags=re.M))
    c = duckdb.connect(str(tmp_path / "d.duckdb"))
    migrate(c)
    actual = {r[0] for r in c.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    assert documented == actual - {"schema_migrations"}


def test_changed_and_merged_samples_come_back_for_annotation(con):
    from harmonize.models import Annotation
    from harmonize.warehouse.annotations import replace_annotations, samples_to_annotate

    upsert_records(con, [geo_record(1), sra_record(1, biosample=False), geo_record(2)])
    todo = {s.sample_id: s for s in samples_to_annotate(con, "v1")}
    assert set(todo) == {"GSM1001", "SRS3001", "GSM1002"}
    assert todo["SRS3001"].library["library_layout"] == "PAIRED"
    ann = Annotation("tissue", "UBERON:0002107", "liver", 0.9, "exact", "accepted", "tissue",
                     "liver", lexicon_version="v1")
    replace_annotations(con, list(todo), [(sid, ann) for sid in todo])
    assert list(samples_to_annotate(con, "v1")) == []
    upsert_records(con, [biosample_link(1)])  # merges GSM1001 + SRS3001 into SAMN4001
    todo = list(samples_to_annotate(con, "v1"))
    assert [s.sample_id for s in todo] == ["SAMN4001"]
    assert todo[0].attributes["tissue"] == "liver biopsy; liver"  # ordered by source, record
    assert con.execute("SELECT count(*) FROM annotations WHERE sample_id = 'SAMN4001'"
                       ).fetchall()[0][0] == 2
    upsert_records(con, [geo_record(2, tissue="kidney")])
    assert [s.sample_id for s in samples_to_annotate(con, "v1")] == ["GSM1002", "SAMN4001"]
    replace_annotations(con, ["SAMN4001", "GSM1002"], [("SAMN4001", ann), ("GSM1002", ann)])
    assert con.execute("SELECT sample_id, count(*) FROM annotations GROUP BY 1 ORDER BY 1"
                       ).fetchall() == [("GSM1002", 1), ("SAMN4001", 1)]
    assert list(samples_to_annotate(con, "v1")) == []


def test_run_named_by_a_second_record_is_stored_once(con):
    first = SampleRecord("sra", "SRX1", ("SRX1", "SRS1"), runs=(Run("SRR1", "SRX1", 10),))
    second = SampleRecord("sra", "SRX2", ("SRX2", "SRS2"), runs=(Run("SRR1", "SRX2", 12),))
    upsert_records(con, [first])
    stats = upsert_records(con, [second])
    assert (stats.inserted, stats.samples) == (1, 0)  # the shared run: one sample
    assert con.execute("SELECT sample_id FROM samples").fetchall() == [("SRS1",)]
    assert con.execute("SELECT run_accession, experiment, sample_id, total_spots FROM runs"
                       ).fetchall() == [("SRR1", "SRX2", "SRS1", 12)]


def test_samples_without_annotations_are_not_picked_again(con):
    from harmonize.warehouse.annotations import replace_annotations, samples_to_annotate

    upsert_records(con, [geo_record(5)])
    assert [s.sample_id for s in samples_to_annotate(con, "v9")] == ["GSM1005"]
    replace_annotations(con, ["GSM1005"], [])  # nothing to annotate, no version known
    assert list(samples_to_annotate(con, "v9")) == []
    assert [s.sample_id for s in samples_to_annotate(con, "v9", only_changed=False)] == [
        "GSM1005"]


def test_a_record_rejected_again_is_kept_once(tmp_path):
    bad = [Reject(origin="dump.xml", reason="truncated at line 9", record_id="SRX1", raw=b"<x"),
           Reject(origin="dump.xml", reason="empty file")]
    with writer(tmp_path / "w.duckdb") as con:
        add_rejects(con, bad, "run-1")
        add_rejects(con, bad, "run-2")
        add_rejects(con, [Reject(origin="dump.xml", reason="other", record_id="SRX1")], "run-2")
        rows = con.execute("SELECT record_id, reason, run_id FROM rejects ORDER BY ALL").fetchall()
    assert rows == [("SRX1", "other", "run-2"), ("SRX1", "truncated at line 9", "run-2"),
                    (None, "empty file", "run-2")]
