"""SRA EXPERIMENT_PACKAGE_SET parsing on real efetch responses (tests/data/ncbi/sra_efetch)."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import pytest
from parse_support import RAW_ACCESSION, records

from harmonize.models import Reject, SampleRecord, accession_kind
from harmonize.parse import iter_file, parse_bytes

SRA = Path(__file__).parent / "data" / "ncbi" / "sra_efetch"
ERRORS = Path(__file__).parent / "data" / "ncbi" / "errors"



def test_geo_submitted_package_links_every_accession():
    (rec,) = records(SRA / "pavlidis_SRX26261721_sra.xml")
    assert rec.source == "sra"
    assert rec.record_accession == "SRX26261721"
    acc = set(rec.accessions)
    # GSM comes without the _r1 suffix GEO puts on experiment and run aliases
    assert {"SRX26261721", "SRS22801004", "SAMN44025212", "GSM8551336", "GSE278619",
            "SRP536245", "PRJNA1168106", "SRR30863712", "SRR30863713"} <= acc
    assert not any("_r" in a for a in acc)
    assert rec.organism == "Homo sapiens" and rec.taxon_id == 9606
    assert rec.title == "HNO, D72, WT, Bio Rep 1"
    assert rec.attributes[0].key == "source_name"
    assert rec.attribute_dict()["cell line"] == "iPSC F11362.11C11"
    assert [r.accession for r in rec.runs] == ["SRR30863712", "SRR30863713"]
    assert rec.runs[0].total_spots == 182659799 and rec.runs[0].experiment == "SRX26261721"
    lib = rec.library
    assert (lib.strategy, lib.source, lib.selection, lib.layout) == (
        "RNA-Seq", "TRANSCRIPTOMIC SINGLE CELL", "cDNA", "PAIRED")
    assert lib.instrument == "Illumina NovaSeq 6000" and lib.platform == "ILLUMINA"
    assert "10x Chromium single-cell 3′ V2" in lib.protocol


def test_160_runs_of_gse163314():
    path = SRA / "pavlidis_GSE163314_sra.xml"
    recs = records(path)
    assert len(recs) == 16
    runs = [run for r in recs for run in r.runs]
    assert len(runs) == 160 and len({r.accession for r in runs}) == 160
    declared = [int(n) for n in re.findall(rb'<RUN_SET runs="(\d+)"', path.read_bytes())]
    assert [len(r.runs) for r in recs] == declared  # 16 or 4 lanes per experiment
    assert all(run.experiment == r.record_accession for r in recs for run in r.runs)
    assert {r.attribute_dict()["disease state"] for r in recs}  # tag present on every record


def test_one_record_per_line_style_and_study_links():
    recs = records(SRA / "sradbrs_SRP174132_efetch.xml")
    assert len(recs) == 10
    first = recs[0]
    assert first.record_accession == "SRX5172107"
    assert {"GSM3526037", "GSE124227", "SRP174132", "PRJNA511021", "SRS4179725"} <= set(
        first.accessions)
    assert first.attribute_dict()["cell line"] == "MCF-7"


def test_reserialised_header_and_volume():
    recs = records(SRA / "pysradb_SRP251352_celegans_efetch.xml")
    assert len(recs) == 87
    assert sum(len(r.runs) for r in recs) == 92
    assert {r.library.strategy for r in recs} == {"RNA-Seq", "OTHER"}
    assert all(r.taxon_id == 6239 for r in recs)


def test_ena_brokered_wgs_record():
    (rec,) = records(SRA / "pysradb_ERS3331676_wgs_efetch.xml")
    assert rec.record_accession == "ERX4190585"
    assert {"ERS3331676", "SAMEA5529601", "ERP113893", "PRJEB31347", "ERR4229796"} <= set(
        rec.accessions)
    assert not any(accession_kind(a) == "gsm" for a in rec.accessions)
    assert rec.library.strategy == "WGS" and rec.organism == "Escherichia coli"


@pytest.mark.parametrize("name, text", [
    ("pavlidis_GSE174332_sra.xml", "β-mercaptoethanol"),
    ("pavlidis_GSE174332_sra.xml", "U/µL"),
    ("pavlidis_SRR14827398_sra.xml", "37 °C"),
])
def test_non_ascii_text_survives(name, text):
    blob = " ".join(f"{r.library.protocol} {r.description} {r.attribute_dict()}"
                    for r in records(SRA / name))
    assert text in blob


def test_non_public_experiment_is_a_reject():
    (rej,) = list(iter_file(ERRORS / "pavlidis_SRX835000_not_public.xml"))
    assert isinstance(rej, Reject)
    assert rej.reason == "SRA Experiment SRX835000 is not public"
    assert rej.record_id == "SRX835000"


@pytest.mark.parametrize("path", sorted(SRA.glob("*.xml")), ids=lambda p: p.name)
def test_every_sample_accession_in_the_file_is_found(path: Path):
    raw = {m.decode() for m in RAW_ACCESSION.findall(path.read_bytes())}
    got = {a for r in records(path) for a in r.accessions}
    assert raw - got == set()
    # and nothing that is not in the file is invented
    assert {a for a in got if accession_kind(a) in {"gsm", "srx", "srs", "srr", "biosample"}} <= raw


def test_truncated_copy_keeps_earlier_packages(tmp_path: Path):
    data = (SRA / "pavlidis_GSE163314_sra.xml").read_bytes()
    cut = data[: len(data) // 2]
    complete = cut.count(b"</EXPERIMENT_PACKAGE>")
    path = tmp_path / "cut.xml"
    path.write_bytes(cut)
    out = list(iter_file(path))
    assert all(isinstance(r, SampleRecord) for r in out[:-1])
    assert len(out) - 1 == complete > 0
    rej = out[-1]
    assert isinstance(rej, Reject) and rej.origin == str(path)
    assert "line" in rej.reason
    assert rej.raw.startswith(b"<EXPERIMENT_PACKAGE>") and rej.record_id
    assert rej.record_id not in {r.record_accession for r in out[:-1]}


def test_truncated_one_line_file_and_gzip(tmp_path: Path):
    data = (SRA / "sradbrs_SRP174132_efetch.xml").read_bytes()
    cut = data[: int(len(data) * 0.7)]
    out = list(parse_bytes(cut, origin="body"))
    assert len(out) - 1 == cut.count(b"</EXPERIMENT_PACKAGE>")
    assert isinstance(out[-1], Reject)
    gz = gzip.compress(data)
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(gz[: int(len(gz) * 0.8)])
    out = list(iter_file(path))
    recs = [r for r in out if isinstance(r, SampleRecord)]
    assert isinstance(out[-1], Reject) and "compressed stream broken" in out[-1].reason
    assert 0 < len(recs) < 10
    assert [r.record_accession for r in recs] == [
        r.record_accession for r in records(SRA / "sradbrs_SRP174132_efetch.xml")][: len(recs)]


def test_whole_gzip_file_equals_plain(tmp_path: Path):
    src = SRA / "pavlidis_GSE212527_sra.xml"
    path = tmp_path / "x.xml.gz"
    path.write_bytes(gzip.compress(src.read_bytes()))
    assert list(iter_file(path)) == records(src)
    assert list(parse_bytes(path.read_bytes(), origin="gz body")) == records(src)


def _repeat_package(path: Path, copies: int) -> None:
    data = (SRA / "pavlidis_SRX26261721_sra.xml").read_bytes()
    start = data.index(b"<EXPERIMENT_PACKAGE>")
    end = data.rindex(b"</EXPERIMENT_PACKAGE>") + len(b"</EXPERIMENT_PACKAGE>")
    with path.open("wb") as fh:
        fh.write(data[:start])
        for _ in range(copies):
            fh.write(data[start:end])
        fh.write(data[end:])


_PEAK_RSS = """
import resource, sys
from harmonize.parse import iter_file
n = sum(1 for _ in iter_file(sys.argv[1]))
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_parser_memory_does_not_grow_with_file_size(tmp_path: Path):
    """300 vs 3000 copies of a real package (~6 vs ~60 MB): same peak RSS in a fresh process."""
    peaks = {}
    for copies in (300, 3000):
        path = tmp_path / f"big_{copies}.xml"
        _repeat_package(path, copies)
        out = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(path)], check=True,
                             capture_output=True, text=True).stdout.split()
        assert int(out[0]) == copies
        peaks[copies] = int(out[1])  # KiB
    assert peaks[3000] - peaks[300] < 10_000, peaks


def test_accessions_only_in_primary_id_elements_are_still_found():
    """Some producers put the accession only in IDENTIFIERS/PRIMARY_ID, not as an attribute."""
    raw = (SRA / "pavlidis_SRX26261721_sra.xml").read_bytes()
    stripped = re.sub(rb'(<(?:EXPERIMENT|RUN) )accession="[^"]+" ', rb"\1", raw)
    assert stripped != raw
    (rec,) = [r for r in parse_bytes(stripped, origin="stripped") if isinstance(r, SampleRecord)]
    (orig,) = records(SRA / "pavlidis_SRX26261721_sra.xml")
    assert rec.record_accession == orig.record_accession
    assert [r.accession for r in rec.runs] == [r.accession for r in orig.runs]
