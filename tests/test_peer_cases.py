"""Issue 17 item 7, "nothing lost, nothing silent": real files from other projects' test suites
on which ingest lost records or stayed silent (tests/data/peer_cases/, copied byte for byte from
the shared peer_cases fixtures), through the real parsers, the warehouse and the installed
``harmonize`` console script."""

from __future__ import annotations

import gzip
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harmonize.models import Reject, SampleRecord
from harmonize.parse import iter_file, parse_bytes
from harmonize.parse.streams import Repairs, Utf8Repair
from harmonize.warehouse.db import connect_read

BIN = Path(sys.executable).parent / "harmonize"
PEER = Path(__file__).parent / "data" / "peer_cases"
SOFT = Path(__file__).parent / "data" / "ncbi" / "geo_soft"
LATIN1 = PEER / "gemma_GSE730_family_latin1.xml"
SERIES_ONLY = PEER / "geofetch_GSE146537_series_only.soft"
GDS = PEER / "geoquery_GDS507.soft.gz"
TWO_GSM = PEER / "sramongo_SRR3001915_two_gsm.xml"
OLD_SOFT = PEER / "biopython_GSM645_old_soft.txt"
GPL_FAMILY = PEER / "geoparse_GPL20814_family_missing_samples.soft"
NO_GSM = PEER / "geoparse_soft_ex_family_no_gsm.txt"
LEGACY_BIOSAMPLE = PEER / "ebi_SAMD00046940_legacy_biosample.xml"
BIOSAMPLE_SET = PEER / "ddbj_biosample_set_SAMN00000002-11.xml.gz"


def run(*args: str) -> subprocess.CompletedProcess:
    """Run the installed ``harmonize`` command."""
    return subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True,
                          check=False, timeout=900)


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect_read(warehouse)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def accessions_of(warehouse: Path, accession: str) -> set[str]:
    """Every accession stored on the sample that ``accession`` names."""
    return {a for (a,) in rows(warehouse, "SELECT b.accession FROM sample_accessions a JOIN "
                               "sample_accessions b USING (sample_id) WHERE a.accession = ?",
                               [accession])}


def parsed(path: Path) -> tuple[list[SampleRecord], list[Reject]]:
    out = list(iter_file(path))
    return ([r for r in out if isinstance(r, SampleRecord)],
            [r for r in out if isinstance(r, Reject)])


# -- a MINiML file declared UTF-8 with Latin-1 bytes ------------------------------------------

def test_latin1_bytes_in_a_utf8_miniml_keep_every_sample_and_are_counted():
    items = iter_file(LATIN1)
    recs = list(items)
    assert [r.record_accession for r in recs] == ["GSM11095", "GSM11096", "GSM11097"]
    assert all({"GSE730", "PRJNA89787"} <= set(r.accessions) for r in recs)
    bad = [n for n, line in enumerate(LATIN1.read_bytes().split(b"\n"), 1)
           if re.search(rb"[\x80-\xff]", line)]
    (note,) = items.notes
    assert str(LATIN1) in note and f"{len(bad)} bytes not valid UTF-8" in note
    assert f"line {bad[0]}" in note


def test_a_declared_latin1_encoding_is_decoded_as_declared():
    data = LATIN1.read_bytes().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1)
    items = parse_bytes(data, origin="declared.xml")
    assert [r.record_accession for r in items] == ["GSM11095", "GSM11096", "GSM11097"]
    assert items.notes == []


@pytest.mark.parametrize("size", [1, 2, 3, 7, 4096])
def test_repair_is_the_same_whatever_the_read_size(size):
    """Multi-byte UTF-8 cut by a read boundary passes unchanged; only invalid bytes change."""
    data = LATIN1.read_bytes() + "µ déjà vu €\n".encode() + b"end \xb5\n"
    repairs = Repairs()
    reader, out = Utf8Repair(io.BytesIO(data), repairs), bytearray()
    while chunk := reader.read1(size):
        out += chunk
    text = out.decode("utf-8")  # valid UTF-8 now
    assert text.count("µ") == data.count(b"\xb5")  # 3 Latin-1 bytes + 1 UTF-8 + 1 more Latin-1
    assert "µ déjà vu €\nend µ\n" in text
    assert repairs.replaced == 4


def test_latin1_byte_in_soft_is_read_not_replaced_blindly():
    """SOFT has no declaration: a Latin-1 byte is read as cp1252 and counted, as in XML."""
    data = OLD_SOFT.read_bytes().replace(b"Pre-BII cells\r\n", b"Pre-BII cells \xb5\r\n")
    items = parse_bytes(data, origin="old.soft")
    (rec,) = list(items)
    assert rec.attribute_dict()["source_name"] == "Large Pre-BII cells µ"
    assert len(items.notes) == 1 and "1 byte not valid UTF-8 (first at line 6)" in items.notes[0]


def test_worker_parse_keeps_the_warnings():
    from harmonize.steps.distribute import parse_file

    records, rejects, error, notes = parse_file(LATIN1)
    assert len(records) == 3 and not rejects and error is None
    assert len(notes) == 1 and "not valid UTF-8" in notes[0]


def test_latin1_miniml_through_the_cli_loads_and_warns(tmp_path):
    wh = tmp_path / "w.duckdb"
    proc = run("ingest", LATIN1, "-w", wh)
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and LATIN1.name in warnings[0] and "not valid UTF-8" in warnings[0]
    assert rows(wh, "SELECT count(*) FROM samples") == [(3,)]
    assert {"GSE730", "PRJNA89787"} <= accessions_of(wh, "GSM11096")


# -- files that hold no sample of their own --------------------------------------------------

def test_series_only_soft_links_its_samples_whatever_the_load_order(tmp_path):
    """The series' BioProject and SRA study reach the samples it lists; the samples' own
    records (loaded before or after) keep every attribute."""
    recs, rejects = parsed(SERIES_ONLY)
    assert not rejects and len(recs) == 6
    assert all({"PRJNA610881", "SRP251915", "GSE146537"} <= set(r.accessions) for r in recs)
    samples = SOFT / "geofetch_GSE146583_GSM.soft"
    counts = []
    for order in ((SERIES_ONLY, samples), (samples, SERIES_ONLY)):
        wh = tmp_path / f"{order[0].stem}.duckdb"
        for path in order:
            assert run("ingest", path, "-w", wh).returncode == 0
        assert {"PRJNA610881", "SRP251915", "SAMN14322350"} <= accessions_of(wh, "GSM4391896")
        counts.append(rows(wh, "SELECT (SELECT count(*) FROM samples), "
                               "(SELECT count(*) FROM sample_attributes), "
                               "(SELECT count(*) FROM records)"))
    assert counts[0] == counts[1]
    assert counts[0][0][0] == 50  # the 6 linked samples are not duplicated
    assert counts[0][0][2] == 56  # 50 sample records + 6 series contributions


def test_gds_subsets_annotate_the_samples_they_name(tmp_path):
    recs, rejects = parsed(GDS)
    text = gzip.decompress(GDS.read_bytes()).decode()
    listed = {g for line in re.findall(r"^!subset_sample_id = (.*)$", text, re.MULTILINE)
              for g in line.split(",")}
    assert not rejects and {r.record_accession.split("/")[1] for r in recs} == listed
    by_gsm = {r.record_accession: r.attribute_dict() for r in recs}
    assert by_gsm["GDS507/GSM11815"]["disease state"] == "RCC"
    assert by_gsm["GDS507/GSM11810"]["disease state"] == "normal"
    assert all("GSE781" in r.accessions and r.organism == "Homo sapiens" for r in recs)
    wh = tmp_path / "w.duckdb"
    proc = run("ingest", GDS, "-w", wh)
    assert proc.returncode == 0, proc.stderr
    assert rows(wh, "SELECT count(DISTINCT sample_id) FROM sample_attributes "
                    "WHERE key = 'disease state'") == [(len(listed),)]


def test_legacy_namespaced_biosample_is_read(tmp_path):
    (rec,), rejects = parsed(LEGACY_BIOSAMPLE)
    assert not rejects
    assert rec.record_accession == "SAMD00046940" and rec.source == "biosample"
    assert rec.organism == "Diospyros lotus" and rec.taxon_id == 55363
    attrs = rec.attribute_dict()
    assert attrs["Sex"] == "male" and attrs["organism part"] == "whole flower"
    wh = tmp_path / "w.duckdb"
    assert run("ingest", LEGACY_BIOSAMPLE, "-w", wh).returncode == 0
    assert rows(wh, "SELECT sample_id, organism FROM samples") == [
        ("SAMD00046940", "Diospyros lotus")]


def test_a_file_without_samples_fails_by_name(tmp_path):
    """A GEO platform description alone holds no sample: said plainly, exit non-zero."""
    data = GPL_FAMILY.read_bytes()
    platform_only = tmp_path / "GPL20814_platform_only.soft"
    platform_only.write_bytes(data[: data.index(b"^SERIES")])
    proc = run("ingest", platform_only, "-w", tmp_path / "w.duckdb")
    assert proc.returncode == 1
    (error,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert platform_only.name in error and "holds no sample records" in error


def test_a_folder_without_record_files_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.tsv").write_text("not a record file\n")
    proc = run("ingest", tmp_path / "empty", "-w", tmp_path / "w.duckdb")
    assert proc.returncode == 1
    assert "error: no record files found" in proc.stderr and "nothing to load" in proc.stderr


@pytest.mark.slow
def test_backfill_fails_when_every_file_is_refused(tmp_path, data_dir):
    """Like ingest: one line per refused file and a non-zero exit (it used to exit 0)."""
    folder = tmp_path / "refused"
    folder.mkdir()
    shutil.copy(data_dir / "ncbi/errors/biopython_esummary_error_no_id.xml", folder)
    data = GPL_FAMILY.read_bytes()
    (folder / "platform_only.soft").write_bytes(data[: data.index(b"^SERIES")])
    proc = run("backfill", folder, "--no-embeddings", "-w", tmp_path / "w.duckdb")
    assert proc.returncode == 1, proc.stderr[-2000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2
    assert any("biopython_esummary_error_no_id.xml" in e for e in errors)
    assert any("platform_only.soft" in e and "no sample records" in e for e in errors)
    assert any(ln.startswith("Error: 2 of 2 files had errors") for ln in proc.stderr.splitlines())


# -- records that lost accessions or fields --------------------------------------------------

def test_experiment_gsm_that_differs_from_its_samples_is_kept_and_linked(tmp_path):
    (rec,), _ = parsed(TWO_GSM)
    assert {"GSM1973128", "GSM1471477", "SAMN02981965", "SRX1483046"} <= set(rec.accessions)
    wh = tmp_path / "w.duckdb"
    assert run("ingest", TWO_GSM, "-w", wh).returncode == 0
    assert rows(wh, "SELECT accession, sample_id FROM sample_accessions WHERE kind = 'gsm' "
                    "ORDER BY 1") == [("GSM1471477", "SAMN02981965"),
                                      ("GSM1973128", "SAMN02981965")]


def test_biosample_bioproject_links_without_a_label_are_kept():
    recs, _ = parsed(BIOSAMPLE_SET)
    raw = gzip.decompress(BIOSAMPLE_SET.read_bytes()).decode()
    linked = {}
    for block in raw.split("<BioSample ")[1:]:
        acc = re.search(r'accession="(SAMN\d+)"', block).group(1)
        uids = re.findall(r'<Link type="entrez" target="bioproject"[^>]*>(\d+)</Link>', block)
        linked[acc] = {f"PRJNA{u}" for u in uids}
    assert sum(bool(v) for v in linked.values()) == 5
    assert sum('target="bioproject">' in b for b in raw.split("<BioSample ")) == 4  # no label
    for rec in recs:
        assert {a for a in rec.accessions if a.startswith("PRJ")} == linked[rec.record_accession]


def test_2001_era_soft_keeps_organism_and_source():
    (rec,), _ = parsed(OLD_SOFT)
    assert rec.record_accession == "GSM645"
    assert rec.organism == "Mus musculus"
    assert rec.attribute_dict()["source_name"] == "Large Pre-BII cells"
    assert "GSE13" in rec.accessions


def test_samples_without_gsm_get_ids_unique_to_their_file(tmp_path):
    """Two copies of a template are two submissions: no sample is shared, and none is keyed by
    its upper-cased title; reloading one file changes nothing."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    for folder in (a, b):
        shutil.copy(NO_GSM, folder)
    recs, _ = parsed(a / NO_GSM.name)
    ids = [r.record_accession for r in recs]
    assert len(ids) == 3 and all(re.fullmatch(r"LOCAL-[0-9A-F]{16}", i) for i in ids)
    assert ids == [r.record_accession for r in parsed(a / NO_GSM.name)[0]]  # stable
    assert not set(ids) & {r.record_accession for r in parsed(b / NO_GSM.name)[0]}
    wh = tmp_path / "w.duckdb"
    assert run("ingest", a, b, "-w", wh).returncode == 0
    stored = [sid for (sid,) in rows(wh, "SELECT sample_id FROM samples")]
    titles = {r.title.upper() for r in recs}
    assert len(stored) == 6 and not titles & set(stored)
    again = run("ingest", a, "-w", wh)
    assert again.returncode == 0 and "0 new, 0 updated, 3 unchanged" in again.stderr


def test_gpl_family_missing_samples_loads_what_is_there_and_reports_the_rest(tmp_path):
    recs, (rej,) = parsed(GPL_FAMILY)
    assert [r.record_accession for r in recs] == ["GSE72138/GSM1855902", "GSE72138/GSM1855903"]
    assert all("PRJNA293166" in r.accessions for r in recs)
    assert "GSM1855902" in rej.reason and "GSM1855903" in rej.reason
    wh = tmp_path / "w.duckdb"
    proc = run("ingest", GPL_FAMILY, "-w", wh)
    assert proc.returncode == 1  # the file is incomplete: said, by name
    (error,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert GPL_FAMILY.name in error and "GSM1855903" in error
    assert {"GSE72138", "PRJNA293166"} <= accessions_of(wh, "GSM1855902")  # but loaded


def test_a_cut_gzip_family_still_gives_the_series_links():
    """A .gz cut inside a sample after the series: the series' links to its samples still load."""
    packed = gzip.compress(GPL_FAMILY.read_bytes() + OLD_SOFT.read_bytes())
    out = list(parse_bytes(packed[: len(packed) - 40], origin="cut.soft.gz"))
    *recs, rej = out
    assert [r.record_accession for r in recs] == ["GSE72138/GSM1855902", "GSE72138/GSM1855903"]
    assert isinstance(rej, Reject) and "compressed stream broken" in rej.reason


def test_every_peer_case_through_the_cli_in_one_folder(tmp_path):
    """All of them together: every sample-level accession written in the files is stored."""
    folder = tmp_path / "peer"
    shutil.copytree(PEER, folder)
    wh = tmp_path / "w.duckdb"
    proc = run("ingest", folder, "-w", wh)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert proc.returncode == 1 and len(errors) == 1 and GPL_FAMILY.name in errors[0]
    stored = {a for (a,) in rows(wh, "SELECT accession FROM sample_accessions")}
    pattern = re.compile(rb"\b(GSM\d{3,}|SRX\d{6,}|SRS\d{6,}|SAM(?:N|EA|D)\d{5,}|PRJNA\d+)\b")
    written = set()
    for path in PEER.iterdir():
        data = path.read_bytes()
        data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        written |= {m.decode() for m in pattern.findall(data)}
    assert written - stored == set()
