"""Annotating the warehouse: distinct values once, re-annotation when matchers or fit change."""

from __future__ import annotations

from dataclasses import replace

from test_ground_grounder import small_ontologies
from test_warehouse_load import geo_record, sra_record

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import load_calibration
from harmonize.ground.lexicon import read_synonyms
from harmonize.steps.annotate import annotate_samples
from harmonize.warehouse.db import writer
from harmonize.warehouse.load import upsert_records


def test_a_new_calibration_reannotates_but_keeps_the_mapping_cache(tmp_path):
    lex = build_lexicon(small_ontologies(), read_synonyms(), version="small-ann")
    fitted = load_calibration()
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        upsert_records(con, [geo_record(i) for i in range(3)] + [sra_record(i) for i in range(2)])
        first = annotate_samples(con, Grounder(lex, use_embeddings=False, calibration=fitted))
        again = annotate_samples(con, Grounder(lex, use_embeddings=False, calibration=fitted))
        refit = replace(fitted, version=fitted.version + "-refit",
                        platt={**fitted.platt, "tissue": [4.0, 0.0, 0.0]},
                        evidence={**fitted.evidence, "prior": 0.99, "held_out": {}})
        after = annotate_samples(con, Grounder(lex, use_embeddings=False, calibration=refit))
        conf = con.execute("SELECT DISTINCT round(confidence, 3) FROM annotations "
                           "WHERE facet = 'tissue' AND method = 'exact'").fetchall()
    assert first.samples == 5 and first.annotations > 0
    assert again.samples == 0  # nothing changed: nothing re-annotated
    assert after.samples == 5  # the confidences changed, so every sample is redone...
    assert after.cache_hits_before == first.cache_size_after > 0  # ...from the cached candidates
    assert conf and all(c[0] > 0.98 for c in conf)  # with the new fit (sigmoid(4), new prior)


def test_the_cache_version_follows_the_key_table(tmp_path, monkeypatch):
    """Which keys speak for which facet decides the candidates: a new table re-grounds."""
    from harmonize.ground import fields
    from harmonize.steps.annotate import cache_version

    g = Grounder(build_lexicon(small_ontologies(), read_synonyms(), version="small-keys"),
                 use_embeddings=False)
    before = cache_version(g)
    table = tmp_path / "field_keys.tsv"
    table.write_text(fields.FIELD_KEYS_PATH.read_text() + "biopsy site\ttissue\t\n")
    monkeypatch.setattr(fields, "FIELD_KEYS_PATH", table)
    assert cache_version(g) != before
    assert before.startswith("small-keys-")


def test_a_control_added_later_reads_its_study_from_the_warehouse(tmp_path):
    """Only the new sample is annotated; its series' case, already stored, makes its bare
    "control" the healthy state (a treated arm, written with its dose, stays unknown: rule
    contrast_group reads an arm naming nothing else as the comparison group)."""
    from harmonize.ground.lexicon import HEALTHY

    _, stats, got, _ = _two_passes(tmp_path, 7000, ["breast cancer", "tamoxifen 10 uM"],
                                   ["control"])
    assert stats.samples == 1
    assert got == {"GSM7001": "MONDO:0007254", "GSM7003": HEALTHY}


def test_a_later_control_reads_its_study_under_the_key_as_the_grounder_compares_it(tmp_path):
    """Keys are compared as the grounder compares them ("Disease group" ~ "disease_group",
    a pair written inside a value), not as stored strings."""
    from harmonize.ground.lexicon import HEALTHY
    from harmonize.models import Attribute, Library, SampleRecord

    def record(i: int, *attrs: Attribute) -> SampleRecord:
        return SampleRecord(
            source="geo", record_accession=f"GSM{7100 + i}", accessions=(f"GSM{7100 + i}", "GSE89"),
            organism="Homo sapiens", title=f"breast biopsy {i}",
            attributes=(Attribute("tissue", "breast"), *attrs), library=Library(strategy="RNA-Seq"))

    g = Grounder(build_lexicon(small_ontologies(), read_synonyms(), version="small-study-keys"),
                 use_embeddings=False)
    with writer(tmp_path / "w.duckdb") as con:
        upsert_records(con, [
            record(1, Attribute("Disease group", "breast cancer")),
            record(2, Attribute("characteristics", "arm: breast cancer; age: 50"))])
        annotate_samples(con, g)
        upsert_records(con, [record(3, Attribute("disease_group", "control")),
                             record(4, Attribute("characteristics", "arm: control; age: 48"))])
        annotate_samples(con, g)
        got = dict(con.execute(
            "SELECT s.accession, a.term_id FROM annotations a JOIN sample_accessions s "
            "USING (sample_id) WHERE a.facet = 'disease' AND s.kind = 'gsm'").fetchall())
    assert got.get("GSM7103") == HEALTHY and got.get("GSM7104") == HEALTHY


def test_a_control_stored_before_its_cases_is_redone_when_they_arrive(tmp_path):
    """The nightly run loads a study in pieces: a bare "control" stored first says nothing;
    when a case of the same key arrives, the control is re-read and becomes the healthy
    state, without a full re-normalize (and a sample of the study without a control word is
    left alone)."""
    from harmonize.ground.lexicon import HEALTHY

    first, stats, got, again = _two_passes(tmp_path, 7200, ["control", "tamoxifen"],
                                           ["breast cancer"])
    assert first.get("GSM7201") != HEALTHY  # alone, a control says nothing yet
    assert stats.samples == 1 and stats.controls_redone == 1
    assert got == {"GSM7201": HEALTHY, "GSM7203": "MONDO:0007254"}
    assert again.samples == 0 and again.controls_redone == 0


def test_a_group_code_reads_its_study_from_the_warehouse_both_ways(tmp_path):
    """A code negating the study's disease ('NMAC' beside 'MAC') is the healthy state whether
    its cases were stored before it or arrive after it."""
    from harmonize.ground.lexicon import HEALTHY

    _, _, later, _ = _two_passes(tmp_path / "a", 7300, ["MAC"], ["NMAC"])
    assert later == {"GSM7301": "MONDO:0000170", "GSM7302": HEALTHY}
    first, stats, got, _ = _two_passes(tmp_path / "b", 7400, ["NMAC"], ["MAC"])
    assert first.get("GSM7401") is None and stats.controls_redone == 1
    assert got == {"GSM7401": HEALTHY, "GSM7402": "MONDO:0000170"}


def _study_record(n: int, series: str, group: str):
    """A GEO sample of ``series`` whose ``group`` names its arm (a disease, a control...)."""
    from harmonize.models import Attribute, Library, SampleRecord

    return SampleRecord(
        source="geo", record_accession=f"GSM{n}", accessions=(f"GSM{n}", series),
        organism="Homo sapiens", title=f"breast biopsy {n}",
        attributes=(Attribute("tissue", "breast"), Attribute("group", group)),
        library=Library(strategy="RNA-Seq"))


def _two_passes(tmp_path, n: int, first: list[str], later: list[str]):
    """One study's samples stored and annotated in two passes (their ``group`` values in
    order, accessions GSM<n+1>...), then a third pass with nothing new: the diseases after the
    first pass, the second pass's stats, the diseases after it, the third pass's stats."""
    g = Grounder(build_lexicon(small_ontologies(), read_synonyms(), version=f"small-{n}"),
                 use_embeddings=False)
    series = f"GSE{n}"
    with writer(tmp_path / "w.duckdb") as con:
        upsert_records(con, [_study_record(n + i, series, grp) for i, grp in enumerate(first, 1)])
        annotate_samples(con, g)
        before = _diseases(con)
        upsert_records(con, [_study_record(n + i, series, grp)
                             for i, grp in enumerate(later, len(first) + 1)])
        stats = annotate_samples(con, g)
        after = _diseases(con)
        again = annotate_samples(con, g)
    return before, stats, after, again


def _diseases(con) -> dict[str, str]:
    """GSM accession -> disease term of every stored sample with one."""
    return dict(con.execute(
        "SELECT s.accession, a.term_id FROM annotations a JOIN sample_accessions s "
        "USING (sample_id) WHERE a.facet = 'disease' AND s.kind = 'gsm'").fetchall())


def test_a_control_named_by_its_title_reads_the_titles_stored_before(tmp_path):
    """A GEO study that says its arms only in its sample titles: a later 'Control_3' reads the
    stored case titles ('prostate cancer_1') from the warehouse and is the healthy control."""
    from harmonize.ground.lexicon import HEALTHY
    from harmonize.models import Attribute, Library, SampleRecord

    def record(n: int, title: str) -> SampleRecord:
        return SampleRecord(
            source="geo", record_accession=f"GSM{n}", accessions=(f"GSM{n}", "GSE7300"),
            organism="Homo sapiens", title=title, description="Biopsy, frozen.",
            attributes=(Attribute("tissue", "breast"),), library=Library(strategy="RNA-Seq"))

    g = Grounder(build_lexicon(small_ontologies(), read_synonyms(), version="small-7300"),
                 use_embeddings=False)
    with writer(tmp_path / "w.duckdb") as con:
        upsert_records(con, [record(7301, "prostate cancer_1"), record(7302, "prostate cancer_2")])
        annotate_samples(con, g)
        upsert_records(con, [record(7303, "Control_3")])
        stats = annotate_samples(con, g)
        got = _diseases(con)
    assert stats.samples == 1
    assert got.get("GSM7303") == HEALTHY
