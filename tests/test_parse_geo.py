"""GEO MINiML and SOFT parsing on real family/acc.cgi files (tests/data/ncbi/geo_*)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from parse_support import RAW_ACCESSION, records

from harmonize.models import Reject, SampleRecord
from harmonize.parse import iter_file, parse_bytes

DATA = Path(__file__).parent / "data" / "ncbi"
MINIML = DATA / "geo_miniml" / "pavlidis_GSE100007_family.xml"
SOFT = DATA / "geo_soft"



def test_miniml_gse100007_has_52_samples_each_linked():
    recs = records(MINIML)
    assert len(recs) == 52
    for r in recs:
        kinds = {a[:3] for a in r.accessions}
        assert r.record_accession.startswith("GSM")
        assert {"GSM", "SRX", "SAM", "GSE"} <= kinds, r.accessions
        assert "GSE100007" in r.accessions
        assert {"PRJNA390315", "SRP109126"} <= set(r.accessions)  # from the Series relations
    strategies = [r.library.strategy for r in recs]
    assert strategies.count("RNA-Seq") == 40 and strategies.count("OTHER") == 12


def test_miniml_sample_fields_are_stripped():
    first = records(MINIML)[0]
    assert first.record_accession == "GSM2667747"
    assert first.accessions[:3] == ("GSM2667747", "SAMN07229981", "SRX2916198")
    assert first.attributes[0].key == "source_name"
    assert first.attribute_dict() == {
        "source_name": "Human embryonic stem cells (hESC)",
        "cell type": "Human embryonic stem cells (hESC)",
        "fraction": "Cytoplasm",
        "molecule": "Cytoplasmic RNA",
    }
    assert first.title == "hesc_cyto_rep1" and first.taxon_id == 9606
    assert first.updated == "2019-05-15" and first.published == "2017-06-26"
    assert first.description.startswith("rRNA-depleted")
    lib = first.library
    assert lib.protocol.startswith("Libraries were prepared using the Illumina TruSeq Stranded")
    assert lib.platform.startswith("GPL20301") and "high-throughput sequencing" in lib.platform
    assert lib.instrument == "Illumina HiSeq 4000"


def test_soft_samples_with_characteristics_and_relations():
    recs = records(SOFT / "geofetch_GSE146540_GSM.soft")
    assert len(recs) == 6
    r = recs[0]
    assert r.source == "geo" and r.record_accession == "GSM4391934"
    assert r.accessions == ("GSM4391934", "SAMN14322309", "SRX7866186", "GSE146540", "GSE146583")
    assert r.attribute_dict() == {"source_name": "Clear cell renal cell carcinoma cells",
                                  "cell line": "JHRCC12", "genotype": "SETD2-deficient"}
    assert r.library.strategy == "RNA-Seq" and r.library.platform == "GPL20301"
    assert r.updated == "2021-11-15" and r.published == "2021-11-15"
    assert "SMART-seq V4" in r.library.protocol


def test_soft_superseries_samples_list_both_series():
    recs = records(SOFT / "geofetch_GSE146583_GSM.soft")
    assert len(recs) == 50
    assert all(sum(a.startswith("GSE") for a in r.accessions) == 2 for r in recs)
    assert all("GSE146583" in r.accessions for r in recs)


def test_soft_missing_key_on_one_sample():
    recs = records(SOFT / "geofetch_GSE101426_GSM.soft")
    assert len(recs) == 8
    assert sum("ebv strain" in r.attribute_dict() for r in recs) == 7


def test_series_only_soft_links_the_samples_it_names():
    recs = records(SOFT / "geofetch_GSE146540_GSE.soft")
    named = re.findall(r"^!Series_sample_id = (GSM\d+)",
                       (SOFT / "geofetch_GSE146540_GSE.soft").read_text(), re.MULTILINE)
    assert [r.record_accession for r in recs] == [f"GSE146540/{g}" for g in named]
    assert all(r.accessions[:2] == (g, "GSE146540") for r, g in zip(recs, named))
    assert all(any(a.startswith("PRJNA") for a in r.accessions) for r in recs)
    assert all(not r.attributes and r.title is None for r in recs)  # links, not a description


def test_truncated_family_soft_loads_its_links_and_is_a_reject():
    *recs, rej = list(iter_file(SOFT / "geoparse_GSE105845_family_truncated.soft"))
    assert [r.record_accession for r in recs] == ["GSE105845/GSM2828511", "GSE105845/GSM2828512"]
    assert isinstance(rej, Reject)
    assert rej.record_id == "GSE105845"
    assert "truncated" in rej.reason and "GSM2828511" in rej.reason


def test_soft_cut_inside_a_sample_keeps_earlier_samples():
    data = (SOFT / "geofetch_GSE146583_GSM.soft").read_bytes()
    cut = data[: data.index(b"^SAMPLE = GSM4391910") + 300]
    out = list(parse_bytes(cut, origin="cut.soft"))
    assert len(out) == 15
    assert all(isinstance(r, SampleRecord) for r in out[:-1])
    assert isinstance(out[-1], Reject) and out[-1].record_id == "GSM4391910"
    assert out[-1].raw.startswith(b"^SAMPLE = GSM4391910")


def test_crlf_soft_and_gzip(tmp_path: Path):
    src = SOFT / "geofetch_GSE100750_GSM.soft"
    assert b"\r\n" in src.read_bytes()
    plain = records(src)
    assert len(plain) == 18
    assert all(not a.value.endswith("\r") for r in plain for a in r.attributes)
    path = tmp_path / "x.soft.gz"
    path.write_bytes(gzip.compress(src.read_bytes()))
    assert records(path) == plain


def test_truncated_miniml_keeps_earlier_samples():
    data = MINIML.read_bytes()
    cut = data[: len(data) // 2]
    out = list(parse_bytes(cut, origin="half.xml"))
    assert len(out) - 1 == cut.count(b"</Sample>") > 0
    assert isinstance(out[-1], Reject) and out[-1].raw.startswith(b"<Sample ")


@pytest.mark.parametrize("path", [MINIML, *sorted(SOFT.glob("*_GSM.soft"))],
                         ids=lambda p: p.name)
def test_every_sample_accession_in_the_file_is_found(path: Path):
    raw = {m.decode() for m in RAW_ACCESSION.findall(path.read_bytes())}
    got = {a for r in records(path) for a in r.accessions}
    assert raw - got == set()


def test_soft_data_tables_are_skipped_and_a_cut_table_is_a_reject():
    block = (SOFT / "geofetch_GSE146540_GSM.soft").read_bytes().split(b"^SAMPLE = GSM4391935")[0]
    table = b"!sample_table_begin\nID_REF\tVALUE\n!Sample_title = not a field\n1007_s_at\t5.2\n"
    whole = block + table + b"!sample_table_end\n" + block.replace(b"GSM4391934", b"GSM9")
    recs = list(parse_bytes(whole, origin="tables.soft"))
    assert [r.record_accession for r in recs] == ["GSM4391934", "GSM9"]
    assert recs[0].title == "RNA-Seq JHRCC12_SETD2_mut_rep1"
    (rej,) = list(parse_bytes(block + table, origin="cut.soft"))
    assert isinstance(rej, Reject) and "data table" in rej.reason
