"""Assay rules: the table is valid EFO, and real records get the right library prep."""

from __future__ import annotations

from pathlib import Path

import pytest

from harmonize.assay import ACCEPT_AT, compatible, infer_assay, load_rules
from harmonize.errors import ConfigError
from harmonize.models import Reject, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.parse import iter_file

DATA = Path(__file__).parent / "data" / "ncbi"


@pytest.fixture(scope="module")
def efo():
    return load_snapshot("EFO")


def first(path: str) -> SampleRecord:
    rec = next(iter(iter_file(DATA / path)))
    assert isinstance(rec, SampleRecord)
    return rec


def labels(texts) -> list[str]:
    return [a.term_label for a in infer_assay(texts)]


def test_every_rule_names_a_live_efo_term_with_its_label(efo):
    rules = load_rules()
    assert len(rules) > 50
    for rule in rules:
        if not rule.term_id:  # anchor-only rule
            assert rule.family and rule.precision == 0
            continue
        term = efo.terms.get(rule.term_id)
        assert term is not None, rule.term_id
        assert term.label == rule.term_label, (rule.term_id, rule.term_label, term.label)
        assert not term.obsolete, rule.term_id
        assert 0 < rule.precision <= 1 and rule.comment


def test_10x_v3_1_protocol_of_gse212527():
    rec = first("sra_efetch/pavlidis_GSE212527_sra.xml")
    (ann,) = infer_assay(rec.library.as_texts())
    assert (ann.term_id, ann.term_label) == ("EFO:0022980", "10x 3' v3.1")
    assert ann.facet == "assay" and ann.method == "rule" and ann.status == "accepted"
    assert ann.source_key == "library_protocol"
    assert "v3.1" in ann.source_text and ann.source_text in rec.library.protocol
    assert {c.term_id for c in ann.candidates} >= {"EFO:0022980", "EFO:0008913", "EFO:0008896"}


def test_10x_v2_with_unicode_prime():
    rec = first("sra_efetch/pavlidis_SRX26261721_sra.xml")
    assert labels(rec.library.as_texts()) == ["10x 3' v2"]


def test_single_nuclei_10x_gives_kit_and_material():
    rec = first("sra_efetch/pavlidis_GSE217511_sra.xml")
    assert labels(rec.library.as_texts()) == ["10x 3' v3", "single nucleus RNA sequencing"]


def test_transcriptomic_single_cell_without_kit_is_scrnaseq():
    texts = {"library_strategy": "RNA-Seq", "library_source": "TRANSCRIPTOMIC SINGLE CELL",
             "library_protocol": "Cells were sorted and libraries were made."}
    (ann,) = infer_assay(texts)
    assert ann.term_id == "EFO:0008913" and ann.source_key == "library_source"


@pytest.mark.parametrize("path, expected", [
    ("sra_efetch/pavlidis_GSE125536_sra.xml", "inDrop"),
    ("geo_miniml/pavlidis_GSE100007_family.xml", "RNA-seq of total RNA"),  # TruSeq Stranded Total
    ("sra_efetch/pavlidis_SRX24833773_sra.xml", "RNA-seq of coding RNA"),  # poly-T beads
    ("sra_efetch/pavlidis_SRX1772599_sra.xml", "RNA-seq of coding RNA"),  # oligo-dT
    ("sra_efetch/sradbrs_SRP174132_efetch.xml", "RNA-Seq"),  # no kit named
    ("sra_efetch/pysradb_ERS3331676_wgs_efetch.xml", "whole genome shotgun sequencing"),
    ("geo_soft/geofetch_GSE100750_GSM.soft", "ATAC-seq"),
])
def test_first_record_of_real_files(path: str, expected: str):
    assert labels(first(path).library.as_texts())[0] == expected


def test_dna_library_never_gets_rna_assay_from_shared_protocol_text():
    """GSE280296 shares one protocol text (10x scRNA-seq and CUT&RUN) across its samples."""
    recs = [r for r in iter_file(DATA / "sra_efetch/pavlidis_GSE280296_sra.xml")
            if isinstance(r, SampleRecord)]
    by_source = {}
    for rec in recs:
        by_source.setdefault(rec.library.source, set()).update(labels(rec.library.as_texts()))
    assert by_source["GENOMIC"] == {"CUT&RUN"}
    assert by_source["TRANSCRIPTOMIC SINGLE CELL"] == {"10x 3' v3"}


def test_ribosome_profiling_only_when_strategy_allows():
    recs = [r for r in iter_file(DATA / "geo_miniml/pavlidis_GSE100007_family.xml")
            if isinstance(r, SampleRecord)]
    other = {tuple(labels(r.library.as_texts())) for r in recs if r.library.strategy == "OTHER"}
    rnaseq = {tuple(labels(r.library.as_texts())) for r in recs
              if r.library.strategy == "RNA-Seq"}
    assert other == {("Ribo-seq",)}
    assert ("Ribo-seq",) not in rnaseq


@pytest.mark.parametrize("texts, expected", [
    ({"library_platform": "GPL570"}, "transcription profiling by array"),
    ({"library_platform": "GPL6480; Agilent-014850 Whole Human Genome Microarray 4x44K G4112F; "
                          "in situ oligonucleotide"}, "transcription profiling by array"),
    ({"library_platform": "GPL99999; Illumina HumanMethylation450 BeadChip"},
     "methylation profiling by array"),
    ({"library_platform": "GPL1; [HG-U133A] Affymetrix Human Genome U133A Array"},
     "transcription profiling by array"),
    ({"library_platform": "GPL2; Illumina HumanHT-12 V4.0 expression beadchip"},
     "transcription profiling by array"),
    ({"library_protocol": "Single Cell 5' Library & Gel Bead Kit v1 (10x Genomics)"}, "10x 5' v1"),
    ({"library_protocol": "Chromium Next GEM Single Cell 5ʹ Kit v2"}, "10x 5' v2"),
    ({"library_protocol": "Libraries were made with Smart-seq2."}, "Smart-seq2"),
    ({"library_protocol": "Drop-seq as in Macosko et al."}, "Drop-seq"),
    ({"library_protocol": "CEL-Seq2 libraries"}, "CEL-seq2"),
    ({"library_strategy": "miRNA-Seq"}, "microRNA profiling by high throughput sequencing"),
    ({"library_strategy": "ChIP-Seq", "library_protocol": "RNA-seq"}, "ChIP-seq"),
    ({"library_strategy": "RNA-Seq", "library_protocol": "TruSeq Stranded mRNA kit"},
     "RNA-seq of coding RNA"),
])
def test_rule_table_examples(texts, expected):
    assert labels(texts)[0] == expected


def test_free_text_conflict_goes_to_review():
    (ann,) = infer_assay({"description": "matched RNA-seq and ATAC-seq of the same cells"})
    assert ann.confidence < ACCEPT_AT and ann.status == "needs_review"


def test_buffer_concentrations_are_not_10x():
    assert labels({"library_protocol": "washed in 10X PBS, then 1X TBE"}) == []
    assert infer_assay({}) == []


def test_family_compatibility():
    assert compatible("rna", "rna.seq.sc") and compatible("rna.seq.sc", "rna.seq")
    assert not compatible("rna.seq", "dna.atac") and not compatible("rna.ribo", "rna.seq")


def test_bad_rules_file_raises(tmp_path: Path):
    path = tmp_path / "rules.tsv"
    path.write_text("field\tpattern\tterm_id\tterm_label\tprecision\tpriority\tfamily\tgroup\t"
                    "comment\nlibrary_strategy\t(unclosed\tEFO:1\tx\t0.9\t1\trna\t\tbad\n")
    with pytest.raises(ConfigError, match="row 2"):
        load_rules(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.tsv")


def test_all_real_records_get_at_most_one_rejection_free_assay():
    """Every sequencing record in the fixtures with a known strategy gets an assay."""
    for path in sorted((DATA / "sra_efetch").glob("*.xml")):
        for rec in iter_file(path):
            if isinstance(rec, Reject) or rec.library.strategy in (None, "OTHER"):
                continue
            anns = infer_assay(rec.library.as_texts())
            assert anns, (path.name, rec.record_accession)
            assert anns[0].status == "accepted"
