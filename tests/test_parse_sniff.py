"""Format sniffing and whole-file errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from harmonize.errors import ParseError
from harmonize.parse import PARSERS, iter_file, parse_bytes, sniff

DATA = Path(__file__).parent / "data" / "ncbi"


@pytest.mark.parametrize("path, fmt", [
    ("sra_efetch/pavlidis_SRX26261721_sra.xml", "sra"),  # DOCTYPE-less, pretty
    ("sra_efetch/pavlidis_GSE163314_sra.xml", "sra"),
    ("sra_efetch/sradbrs_SRP174132_efetch.xml", "sra"),  # one record per line
    ("sra_efetch/pysradb_SRP251352_celegans_efetch.xml", "sra"),  # re-serialised header
    ("errors/pavlidis_SRX835000_not_public.xml", "sra"),  # with DOCTYPE
    ("biosample/ebi_SAMN11893677.xml", "biosample"),
    ("biosample/turbomam_SAMN00794697_curation_nowrapper.xml", "biosample"),
    ("geo_miniml/pavlidis_GSE100007_family.xml", "miniml"),
    ("geo_soft/geofetch_GSE146540_GSM.soft", "soft"),
    ("geo_soft/geoparse_GSE105845_family_truncated.soft", "soft"),
])
def test_sniff_real_files(path: str, fmt: str):
    assert sniff((DATA / path).read_bytes()[:4096]) == fmt
    assert fmt in PARSERS


def test_sniff_bom_and_leading_whitespace():
    assert sniff(b"\xef\xbb\xbf\n  <?xml version='1.0'?>\n<!-- c -->\n<MINiML>") == "miniml"


@pytest.mark.parametrize("head", [b"", b"  \n", b'{"error": "x"}', b"<eSummaryResult/>",
                                  b"Run,ReleaseDate\n", b"!Unknown = 1"])
def test_sniff_rejects_unknown(head: bytes):
    with pytest.raises(ParseError):
        sniff(head)


def test_empty_gz_file_raises_naming_the_file():
    path = DATA / "errors" / "geoquery_GPLbroken.soft.gz"
    assert path.stat().st_size == 0
    with pytest.raises(ParseError) as info:
        iter_file(path)
    assert str(path) in str(info.value) and "empty" in str(info.value)
    assert "\n" not in str(info.value)


def test_gz_of_empty_content_raises(tmp_path: Path):
    path = tmp_path / "empty.xml.gz"
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(ParseError, match="empty"):
        iter_file(path)


def test_unknown_format_raises_naming_the_file():
    path = DATA / "errors" / "biopython_esummary_error_no_id.xml"
    with pytest.raises(ParseError, match=r"biopython_esummary_error_no_id.xml: unknown format"):
        iter_file(path)


def test_missing_file_and_bad_forced_format(tmp_path: Path):
    with pytest.raises(ParseError, match="cannot open"):
        iter_file(tmp_path / "nope.xml")
    with pytest.raises(ParseError, match="unknown format 'csv'"):
        parse_bytes(b"<BioSampleSet/>", origin="x", fmt="csv")


def test_forced_format_skips_sniffing():
    xml = (DATA / "biosample" / "ebi_SAMN11893677.xml").read_bytes()
    (rec,) = list(parse_bytes(xml, origin="body", fmt="biosample"))
    assert rec.record_accession == "SAMN11893677"


def test_entities_are_not_expanded():
    xml = (b'<?xml version="1.0"?><!DOCTYPE BioSampleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<BioSampleSet><BioSample accession="SAMN1"><Attributes>'
           b'<Attribute attribute_name="tissue">&x;liver</Attribute></Attributes></BioSample>'
           b"</BioSampleSet>")
    (rec,) = list(parse_bytes(xml, origin="body"))
    assert "root:" not in rec.attribute_dict().get("tissue", "")
