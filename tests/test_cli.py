"""The CLI through its real console entry point (subprocesses), on real record files."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harmonize.cli import cli

BIN = Path(sys.executable).parent / "harmonize"

#: Real files of each format (copied from the shared NCBI fixtures).
FILES = {
    "sra": "ncbi/sra_efetch/pavlidis_GSE212527_sra.xml",
    "sra_lines": "ncbi/sra_efetch/sradbrs_SRP174132_efetch.xml",
    "biosample": "ncbi/biosample/ebi_SAMN04327149_geo_brokered.xml",
    "miniml": "ncbi/geo_miniml/pavlidis_GSE100007_family.xml",
    "soft": "ncbi/geo_soft/geofetch_GSE146540_GSM.soft",
}
ACCESSION = re.compile(rb"\b(GSM\d+|SRX\d+|SRS\d+|SAMN\d+)\b")


def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the installed ``harmonize`` command."""
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, check=check,
                          timeout=600)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name):
    command = cli.commands[name]
    assert command.help and "Example" in command.help, f"{name} lacks an example in --help"


def test_help_through_the_entry_point():
    out = run("--help", check=True).stdout
    for name in ("ingest", "normalize", "map", "query", "export", "nightly"):
        assert name in out


@pytest.fixture()
def record_dir(tmp_path: Path, data_dir: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    for name, rel in FILES.items():
        shutil.copy(data_dir / rel, folder / Path(rel).name)
    # one file as .gz, to show transparent decompression
    gz = folder / Path(FILES["soft"]).name
    (folder / (gz.name + ".gz")).write_bytes(gzip.compress(gz.read_bytes()))
    gz.unlink()
    return folder


def test_ingest_loads_every_accession_and_reports_a_truncated_file(record_dir, tmp_path, data_dir):
    raw = b"".join((data_dir / rel).read_bytes() for rel in FILES.values())
    expected = {m.decode() for m in ACCESSION.findall(raw)}
    good = (data_dir / FILES["sra"]).read_bytes()
    (record_dir / "truncated_sra.xml").write_bytes(good[: len(good) // 2])
    wh = tmp_path / "w.duckdb"

    proc = run("ingest", str(record_dir), "--warehouse", str(wh))

    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "truncated_sra.xml" in errors[0]
    out = run("query", "SELECT DISTINCT accession FROM sample_accessions", "--format", "json",
              "--warehouse", str(wh), check=True).stdout
    loaded = {row["accession"] for row in json.loads(out)}
    missing = expected - loaded
    assert not missing, f"accessions not loaded: {sorted(missing)[:10]}"


def test_ingest_twice_changes_no_count(record_dir, tmp_path):
    wh = tmp_path / "w.duckdb"
    sql = ("SELECT (SELECT count(*) FROM samples) s, (SELECT count(*) FROM sample_accessions) a,"
           " (SELECT count(*) FROM sample_attributes) t, (SELECT count(*) FROM runs) r")
    run("ingest", str(record_dir), "--warehouse", str(wh), check=True)
    first = run("query", sql, "--format", "csv", "--warehouse", str(wh), check=True).stdout
    run("ingest", str(record_dir), "--warehouse", str(wh), check=True)
    second = run("query", sql, "--format", "csv", "--warehouse", str(wh), check=True).stdout
    assert first == second
    assert int(first.splitlines()[1].split(",")[0]) > 50


def test_query_refuses_writes_and_keeps_data(record_dir, tmp_path):
    wh = tmp_path / "w.duckdb"
    run("ingest", str(record_dir), "--warehouse", str(wh), check=True)
    count = "SELECT count(*) AS n FROM samples"
    before = run("query", count, "--format", "csv", "--warehouse", str(wh), check=True).stdout
    for sql in ("DROP TABLE samples", "INSERT INTO samples (sample_id) VALUES ('x')",
                "DELETE FROM samples"):
        proc = run("query", sql, "--warehouse", str(wh))
        assert proc.returncode != 0
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stdout == ""
    after = run("query", count, "--format", "csv", "--warehouse", str(wh), check=True).stdout
    assert before == after


def test_query_csv_goes_to_stdout_alone(record_dir, tmp_path):
    wh = tmp_path / "w.duckdb"
    run("ingest", str(record_dir), "--warehouse", str(wh), check=True)
    proc = run("query", "SELECT kind, count(*) AS n FROM sample_accessions GROUP BY 1 ORDER BY 1",
               "--format", "csv", "--warehouse", str(wh), check=True)
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "kind,n"
    assert {line.split(",")[0] for line in lines[1:]} >= {"gsm", "srx", "srs", "biosample"}


def test_missing_warehouse_is_a_one_line_error(tmp_path):
    proc = run("query", "SELECT 1", "--warehouse", str(tmp_path / "nope.duckdb"))
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "nope.duckdb" in proc.stderr


def test_map_writes_the_contract_to_stdout(tmp_path):
    rows = [
        {"accession": "S1", "attributes": {"tissue": "vastus lateralis muscle", "sex": "female"}},
        {"accession": "S2", "attributes": {"cell line": "HeLa", "disease": "healthy"}, "text": None},
        {"accession": "S3", "attributes": {}, "text": "total RNA from human liver biopsy"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = run("map", str(src), "-o", "-", "--no-embeddings", check=True)
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["accession"] for o in out] == ["S1", "S2", "S3"]
    by = {(o["accession"], a["facet"]): a for o in out for a in o["annotations"]}
    assert by[("S1", "sex")]["term_id"] == "PATO:0000383"
    assert by[("S1", "tissue")]["term_id"] == "UBERON:0001379"
    assert by[("S2", "cell_line")]["term_id"] == "CVCL:0030"
    assert by[("S2", "disease")]["term_id"] == "PATO:0000461"
    assert by[("S3", "tissue")]["term_id"] == "UBERON:0002107"
    for a in by.values():
        assert 0.0 <= a["confidence"] <= 1.0
        assert a["status"] in {"accepted", "needs_review", "unmapped"}
        assert a["source_text"]


def test_map_reports_malformed_lines_and_maps_the_rest(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"accession": "S1", "attributes": {"sex": "male"}}\n'
                   '{"accession": "S2", "attributes": \n'
                   '{"accession": "S3", "attributes": {"sex": "female"}}\n')
    proc = run("map", str(src), "-o", "-", "--no-embeddings")
    assert proc.returncode != 0
    assert "in.jsonl" in proc.stderr.strip().splitlines()[-1]
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 3 and "error" in out[1]
    assert out[2]["annotations"][0]["term_id"] == "PATO:0000383"


def test_map_quarantines_a_line_that_is_not_utf8_and_maps_the_rest(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"accession": "S1", "attributes": {"sex": "male"}}\n'
                    b'{"accession": "S2", "attributes": {"tissue": "f\xe9mur"}}\n'
                    b'{"accession": "S3", "attributes": {"sex": "female"}}\n')
    proc = run("map", str(src), "-o", "-", "--no-embeddings")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "in.jsonl: 1 malformed line(s)" in proc.stderr.strip().splitlines()[-1]
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert out[1] == {"accession": None, "line": 2,
                      "error": "line 2: not UTF-8 text; write the file as UTF-8"}
    sex = [a["term_id"] for a in out[2]["annotations"] if a["facet"] == "sex"]
    assert sex == ["PATO:0000383"]


@pytest.mark.parametrize("command", [["backfill", "{data}"], ["renormalize"],
                                     ["nightly", "--snapshot", "{snap}"]])
def test_flow_commands_check_the_warehouse_before_starting(tmp_path, data_dir, snapshot_dir,
                                                           command):
    """A warehouse that is not one, or that cannot be created, is one line and exit 1, before
    any Prefect server starts; nothing is written."""
    bogus = tmp_path / "w.duckdb"
    bogus.write_text("not a database\n")
    args = [a.format(data=data_dir / "ncbi", snap=snapshot_dir) for a in command]
    for target in (bogus, tmp_path / "file" / "w.duckdb"):
        if target.parent.name == "file":
            (tmp_path / "file").write_text("a file where a folder should be\n")
        proc = run(*args, "-w", str(target))
        assert proc.returncode == 1
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error:") and str(target.parent) in lines[0]
        assert "prefect" not in proc.stderr.lower()
    assert bogus.read_text() == "not a database\n"


@pytest.mark.slow
def test_explain_reads_the_text_as_its_key_says():
    """The same words as a disease field and inside a source_name: JSON output, score parts."""
    field = json.loads(run("explain", "HIV negative", "--facet", "disease", "--json",
                           "--no-embeddings", check=True).stdout)
    assert field["key"] == "disease"
    assert field["annotation"]["term_id"] == "PATO:0000461"  # rules the disease out
    assert field["negated"] == ["hiv"]  # and says which name it set aside
    scanned = json.loads(run("explain", "PBMC from an HIV-positive donor", "--facet", "disease",
                             "--key", "source_name", "--json", "--no-embeddings",
                             check=True).stdout)
    assert scanned["annotation"]["term_id"] == "MONDO:0005109" and scanned["negated"] == []
    top = scanned["candidates"][0]
    assert top["term_id"] == "MONDO:0005109" and top["method"] == "mention"
    table = run("explain", "vastus lateralis muscle", "--facet", "tissue", "--no-embeddings",
                check=True).stdout
    assert "UBERON:0001379" in table and "score" in table and "bias" in table


def test_explain_says_what_the_study_would_make_of_a_bare_control():
    done = run("explain", "control", "--facet", "disease", "--key", "group", "--no-embeddings",
               "--json")
    assert done.returncode == 0
    out = json.loads(done.stdout)
    assert out["annotation"]["term_id"] is None  # alone: nothing
    assert "PATO:0000461" in out["study_controls"] and "'group'" in out["study_controls"]


def test_explain_reads_a_value_of_pairs_as_map_does(tmp_path):
    """"diagnosis: healthy kidney; fibrosis stage: 2" under "characteristics" is explained by the
    pair that decides it, the annotation map writes for the same value."""
    value = "diagnosis: healthy kidney; fibrosis stage: 2"
    done = run("explain", value, "--facet", "disease", "--key", "characteristics",
               "--no-embeddings", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"accession": "A", "attributes": {"characteristics": value}}) + "\n")
    mapped = run("map", str(src), "-o", "-", "--no-embeddings")
    disease = next(a for a in json.loads(mapped.stdout)["annotations"] if a["facet"] == "disease")
    assert out["annotation"]["term_id"] == disease["term_id"] == "PATO:0000461"
    assert out["key"] == disease["source_key"] == "diagnosis"


def test_explain_of_a_whole_sample_agrees_with_map(tmp_path):
    """A JSON sample: the facet's annotation is the one map writes, and the ranking shows the
    key of each competing name and which key order put the winner first."""
    sample = {"cell type": "induced pluripotent stem cells", "cell subpopulation": "motor neurons",
              "source_name": "spinal cord organoid"}
    done = run("explain", json.dumps(sample), "--facet", "cell_type", "--no-embeddings", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"accession": "A", "attributes": sample}) + "\n")
    mapped = run("map", str(src), "-o", "-", "--no-embeddings")
    cell = next(a for a in json.loads(mapped.stdout)["annotations"] if a["facet"] == "cell_type")
    # the motor neurons of the finer key, named with the organoid's spinal cord (cell_of_tissue)
    assert [a["term_id"] for a in out["annotations"]] == [cell["term_id"]] == ["CL:0011001"]
    first = out["ranking"][0]
    second = next(r for r in out["ranking"] if r["source_key"] != first["source_key"])
    assert (first["source_key"], first["finer_key"]) == ("cell subpopulation", True)
    assert (second["source_key"], second["finer_key"], second["by_facet_key"]) == (
        "cell type", False, True)
    assert second["score"] > first["score"]  # the key order, not the score, decided
    table = run("explain", json.dumps(sample), "--facet", "cell_type", "--no-embeddings").stdout
    assert "finer" in table and "CL:0002248" in table


def test_explain_in_a_file_shows_a_reading_of_the_study_map_makes(tmp_path):
    """With --in, an accession is read with the other samples of its study: a sex its titles
    code shows with the rule that made it and agrees with map; a sample alone gets none."""
    titles = ["NE-07-M", "NE-11-F", "NE-12-F", "NE-15-M"]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({
        "accession": f"X{i}", "series": "S1", "text": f"{t}\nBrushings of the turbinate",
        "attributes": {"source_name": "nasal epithelial cells, brushing"}}) + "\n"
        for i, t in enumerate(titles)))
    done = run("explain", "X1", "--facet", "sex", "--in", str(src), "--no-embeddings", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["study_samples"] == 4
    assert [a["rules"] for a in out["annotations"]] == [["title_sex_code"]]
    mapped = run("map", str(src), "-o", "-", "--no-embeddings").stdout.splitlines()
    sex = [a["term_id"] for a in json.loads(mapped[1])["annotations"] if a["facet"] == "sex"]
    assert [e["term_id"] for e in out["emitted"]] == sex == ["PATO:0000383"]
    table = run("explain", "X1", "--facet", "sex", "--in", str(src), "--no-embeddings").stdout
    assert "title_sex_code" in table and "3 other sample(s)" in table
    missing = run("explain", "X9", "--facet", "sex", "--in", str(src), "--no-embeddings")
    assert missing.returncode == 1 and "no record with accession 'X9'" in missing.stderr
    with src.open("ab") as fh:  # a line that is no UTF-8, another that is no JSON
        fh.write(b'{"accession": "X9", "text": "NE-\xff"}\n{"accession": \n')
    bad = run("explain", "X9", "--facet", "sex", "--in", str(src), "--no-embeddings")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert "no record with accession 'X9' (2 malformed line(s) skipped)" in bad.stderr
    again = run("explain", "X1", "--facet", "sex", "--in", str(src), "--no-embeddings", "--json")
    assert json.loads(again.stdout)["study_samples"] == 4  # the good lines are still read


def test_explain_says_what_the_rule_that_took_the_term_does():
    """The rule that put a narrower term first is told in its registry's words."""
    from harmonize.ground.rules import registry

    sample = {"body site": "elbow", "condition": "psoriasis"}
    done = run("explain", json.dumps(sample), "--facet", "tissue", "--no-embeddings")
    assert done.returncode == 0, done.stderr
    assert "UBERON:0001517" in done.stdout  # the skin of elbow
    said = " ".join(done.stdout.split())
    assert "rule skin_of_site: " + " ".join(registry()["skin_of_site"].does.split()[:8]) \
        in said


def test_explain_names_a_rule_that_made_the_annotation_after_the_ranking():
    """A sex read from an organ only one sex has comes from no ranked value: the rule says so."""
    from harmonize.ground.rules import registry

    done = run("explain", json.dumps({"tissue": "testis"}), "--facet", "sex", "--no-embeddings")
    assert done.returncode == 0, done.stderr
    assert "PATO:0000384" in done.stdout
    said = " ".join(done.stdout.split())
    assert "rule sex_of_organ: " + " ".join(registry()["sex_of_organ"].does.split()[:8]) in said


def test_explain_of_a_sample_lists_each_disease_a_listing_value_names(tmp_path):
    """A disease value listing unrelated diseases: explain's ranking shows each of them, as
    map annotates them, before the sample's other disease names."""
    sample = {"disease": "asthma; psoriasis", "source_name": "PBMC of a lupus patient"}
    done = run("explain", json.dumps(sample), "--facet", "disease", "--no-embeddings", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"accession": "A", "attributes": sample}) + "\n")
    mapped = json.loads(run("map", str(src), "-o", "-", "--no-embeddings").stdout)
    diseases = sorted(a["term_id"] for a in mapped["annotations"] if a["facet"] == "disease")
    assert sorted(a["term_id"] for a in out["annotations"]) == diseases
    listed = [r["term_id"] for r in out["ranking"] if r["listed"]]
    assert sorted(listed) == ["MONDO:0004979", "MONDO:0005083"]  # asthma, psoriasis
    assert [r["listed"] for r in out["ranking"]][:2] == [True, True]
    assert set(listed) < set(diseases)
    table = run("explain", json.dumps(sample), "--facet", "disease", "--no-embeddings").stdout
    assert "several_diseases" in table and "list" in table


def test_explain_refuses_a_sample_that_is_not_json():
    done = run("explain", '{"tissue": "liver", "sex"', "--facet", "tissue", "--no-embeddings")
    assert done.returncode != 0
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "TEXT looks like JSON but is not" in lines[0]


def test_explain_refuses_a_key_that_is_not_read_for_the_facet():
    done = run("explain", "TruSeq stranded", "--facet", "assay", "--key", "source_name",
               "--no-embeddings")
    assert done.returncode != 0
    assert "not read for assay" in done.stderr and "--key" in done.stderr
