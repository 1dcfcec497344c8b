"""BioSample parsing on real efetch responses (tests/data/ncbi/biosample)."""

from __future__ import annotations

from pathlib import Path

import pytest
from parse_support import RAW_ACCESSION
from parse_support import records as _records

from harmonize.models import Reject, SampleRecord
from harmonize.parse import iter_file, parse_bytes

BIOSAMPLE = Path(__file__).parent / "data" / "ncbi" / "biosample"


def records(name: str) -> list[SampleRecord]:
    return _records(BIOSAMPLE / name)


def test_harmonized_names_kept_next_to_submitter_names():
    (rec,) = records("biopython_SAMN03502652.xml")
    assert rec.source == "biosample" and rec.record_accession == "SAMN03502652"
    body_site = next(a for a in rec.attributes if a.key == "body site")
    assert (body_site.value, body_site.harmonized_key) == ("Saliva", "tissue")
    assert rec.attribute_dict()["sex"] == "female"
    # repeated attribute names are all kept, in order
    assert [a.value for a in rec.attributes if a.key == "molecular data type"] == [
        "SNP Genotypes (Array)", "SNP Genotypes (imputed)"]
    assert rec.updated == "2019-07-03T19:34:04.987"
    assert rec.published == "2015-04-23T01:25:03.980"


def test_cell_line_record_with_unharmonized_attributes():
    (rec,) = records("ebi_SAMN11893677.xml")
    attrs = {a.key: a for a in rec.attributes}
    assert attrs["cell_line"].value == "HuH-7" and attrs["cell_line"].harmonized_key == "cell_line"
    assert attrs["cell line Cellosaurus ID"].value == "CVCL 0336"
    assert attrs["cell line Cellosaurus ID"].harmonized_key is None
    assert attrs["disease"].value == "Hepatocellular carcinoma"
    assert attrs["tissue"].value == "liver"
    assert set(rec.accessions) == {"SAMN11893677", "SRS4847471", "PRJNA545487"}
    assert rec.title == "HuH-7_2" and rec.taxon_id == 9606


def test_geo_brokered_record_links_gsm_srs_and_bioproject():
    (rec,) = records("ebi_SAMN04327149_geo_brokered.xml")
    assert rec.accessions[0] == "SAMN04327149"
    assert {"SRS1198108", "GSM1967932", "PRJNA281338"} <= set(rec.accessions)
    assert "281338" not in rec.accessions  # the numeric link text is not an accession
    assert rec.organism == "Homo sapiens"
    assert rec.attribute_dict()["human cell line"] == "HeLa-S3 (ATCC CCL-2.2)"


def test_bare_biosample_root_and_family_role_harmonized():
    (rec,) = records("turbomam_SAMN00794697_curation_nowrapper.xml")
    role = next(a for a in rec.attributes if a.key == "family_role")
    assert role.harmonized_key == "family_relationship"
    race = next(a for a in rec.attributes if a.key == "Race")
    assert race.harmonized_key == "race"
    assert rec.description.startswith("Donor subject tested negative")
    assert [a.value for a in rec.attributes if a.key == "tag"][2] == "Parkinson disease"


def test_set_of_four_and_entity_in_table():
    recs = records("ebi_amr_sample_set_4records.xml")
    assert len(recs) == 4 and len({r.record_accession for r in recs}) == 4
    (table,) = records("turbomam_SAMN01163409_table.xml")
    assert table.organism == "Enterobacter cloacae" and "SRS362631" in table.accessions


@pytest.mark.parametrize("path", sorted(BIOSAMPLE.glob("*.xml")), ids=lambda p: p.name)
def test_every_sample_accession_in_the_file_is_found(path: Path):
    raw = {m.decode() for m in RAW_ACCESSION.findall(path.read_bytes())}
    got = {a for r in iter_file(path) if isinstance(r, SampleRecord) for a in r.accessions}
    assert raw - got == set()


def test_truncated_set_keeps_complete_records():
    data = (BIOSAMPLE / "ebi_amr_sample_set_4records.xml").read_bytes()
    cut = data[: data.index(b"</BioSample>", data.index(b"</BioSample>") + 1) + 200]
    out = list(parse_bytes(cut, origin="cut.xml"))
    assert [type(r).__name__ for r in out] == ["SampleRecord", "SampleRecord", "Reject"]
    assert out[-1].origin == "cut.xml" and out[-1].raw.startswith(b"<BioSample ")
    assert out[-1].record_id not in {out[0].record_accession, out[1].record_accession}


def test_record_without_accession_is_rejected_not_raised():
    xml = (b"<BioSampleSet><BioSample id='1'><Attributes/></BioSample>"
           b"<BioSample accession='SAMN2'><Attributes/></BioSample></BioSampleSet>")
    out = list(parse_bytes(xml, origin="body"))
    assert isinstance(out[0], Reject) and "accession" in out[0].reason
    assert isinstance(out[1], SampleRecord) and out[1].record_accession == "SAMN2"
