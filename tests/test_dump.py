"""SRA metadata dumps on real submissions: streamed tar, folder tree, links, increments, resume,
filters, SRA_Accessions.tab statuses, the BioSample dump, and Dask = local."""

from __future__ import annotations

import csv
import io
import shutil
import tarfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from harmonize.dump import backfill as dump_backfill
from harmonize.dump.filters import NO_FILTER, DumpFilter
from harmonize.parse.sniff import sniff
from harmonize.steps.ingest import ingest_files
from harmonize.warehouse.db import writer
from harmonize.warehouse.load import start_run
from tests.warehouse_support import warehouse_content

DUMP = Path(__file__).parent / "data" / "sra_dump"
TAR = DUMP / "ddbj_sra_metadata_20_submissions.tar.gz"
TAB = DUMP / "SRA_Accessions.tab"
SUBS = DUMP / "submissions"
HUMAN_TRANSCRIPTOME = DumpFilter(("Homo sapiens",), ("RNA-Seq", "OTHER"), ("TRANSCRIPTOMIC",))


def _objects() -> dict[str, dict[str, etree._Element]]:
    """Every object of the real submission folders, read here independently of harmonize."""
    out: dict[str, dict[str, etree._Element]] = {}
    for f in sorted(SUBS.glob("*/*.xml")):
        for el in etree.parse(str(f)).getroot():
            if el.tag in ("SAMPLE", "EXPERIMENT", "RUN"):
                out.setdefault(el.tag, {})[el.get("accession")] = el
    return out


def _ingest(db: Path, paths, filt=NO_FILTER):
    with writer(db) as con:
        stats = ingest_files(con, [str(p) for p in paths], start_run(con, "ingest", "files"),
                             filt=filt)
    return stats


def _sample_of(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT accession, sample_id FROM sample_accessions "
                                "WHERE kind IN ('srs', 'srx', 'srr')").fetchall())
    finally:
        con.close()


def test_the_tar_loads_every_accession_with_experiments_and_runs_on_their_samples(tmp_path):
    db = tmp_path / "w.duckdb"
    stats = _ingest(db, [TAR])
    assert not stats.failed
    objs = _objects()
    sample_of = _sample_of(db)
    for kind in ("SAMPLE", "EXPERIMENT", "RUN"):
        missing = sorted(set(objs[kind]) - set(sample_of))
        assert not missing, f"{kind} accessions not loaded: {missing[:5]}"
    for srx, el in objs["EXPERIMENT"].items():
        srs = el.find("DESIGN/SAMPLE_DESCRIPTOR").get("accession")
        assert sample_of[srx] == sample_of[srs], srx
    for srr, el in objs["RUN"].items():
        assert sample_of[srr] == sample_of[el.find("EXPERIMENT_REF").get("accession")], srr
    con = duckdb.connect(str(db), read_only=True)
    runs = dict(con.execute("SELECT run_accession, experiment FROM runs").fetchall())
    assert set(runs) == set(objs["RUN"])
    # the BioSample of each sample joins the same sample row
    for srs, el in objs["SAMPLE"].items():
        for ext in el.iterfind("IDENTIFIERS/EXTERNAL_ID[@namespace='BioSample']"):
            assert con.execute("SELECT sample_id FROM sample_accessions WHERE accession = ?",
                               [ext.text]).fetchone()[0] == sample_of[srs]
    con.close()


def test_a_folder_tree_and_the_tar_give_the_same_warehouse(tmp_path):
    _ingest(tmp_path / "tar.duckdb", [TAR])
    _ingest(tmp_path / "dir.duckdb", [SUBS])
    a, b = warehouse_content(tmp_path / "tar.duckdb"), warehouse_content(tmp_path / "dir.duckdb")
    assert len(a["records"]) > 100
    for table in a:
        assert a[table] == b[table], table


def test_single_object_files_link_across_files(tmp_path):
    db = tmp_path / "w.duckdb"
    _ingest(db, [DUMP / "refinebio_ena_browser_experiment_SRX666716.xml"])
    _ingest(db, [DUMP / "refinebio_ena_browser_sample_SRS671406.xml"])
    sample_of = _sample_of(db)
    assert sample_of["SRX666716"] == sample_of["SRS671406"] == "SAMN02947828"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT organism FROM samples WHERE sample_id = 'SAMN02947828'"
                       ).fetchone()[0] == "Homo sapiens"
    # the sample-only record of the second file gave way to the experiment's record
    assert con.execute("SELECT list(record_accession ORDER BY 1) FROM records").fetchone()[0] \
        == ["SRX666716"]


def _tar_of(folders: dict[str, dict[str, bytes]], path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for sub, files in folders.items():
            for name, data in files.items():
                info = tarfile.TarInfo(f"{sub}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return path


def test_a_later_increment_updates_its_submission_and_duplicates_nothing(tmp_path):
    db = tmp_path / "w.duckdb"
    _ingest(db, [TAR])
    before = warehouse_content(db)
    sub = SUBS / "DRA000368"
    sample = (sub / "DRA000368.sample.xml").read_bytes()
    # the daily increment re-ships the submission with one sample's title revised
    title = etree.fromstring(sample).find("SAMPLE/TITLE").text
    revised = sample.replace(title.encode(), b"revised: " + title.encode(), 1)
    increment = _tar_of({"DRA000368": {f.name: (revised if f.name.endswith("sample.xml")
                                                else f.read_bytes())
                                       for f in sorted(sub.iterdir())}}, tmp_path / "inc.tar.gz")
    stats = _ingest(db, [increment])
    after = warehouse_content(db)
    assert stats.dump.staged["updated"] == 1 and stats.dump.staged["unchanged"] > 20
    assert stats.updated > 0 and stats.inserted == 0
    assert len(after["records"]) == len(before["records"])
    assert len(after["samples"]) == len(before["samples"])
    con = duckdb.connect(str(db), read_only=True)
    titles = {r[0] for r in con.execute("SELECT title FROM samples WHERE title LIKE 'revised: %'"
                                        ).fetchall()}
    assert titles == {"revised: " + title}


def test_an_interrupted_load_resumes_and_equals_a_clean_run(tmp_path, monkeypatch):
    clean = tmp_path / "clean.duckdb"
    _ingest(clean, [TAR, TAB])
    monkeypatch.setattr(dump_backfill, "MEMBER_BATCH", 8)
    monkeypatch.setattr(dump_backfill, "COMMIT_MEMBERS", 8)  # every batch commits
    real = dump_backfill.write_objects
    calls = []

    def dying(con, objects):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the process is killed mid-run
        return real(con, objects)

    monkeypatch.setattr(dump_backfill, "write_objects", dying)
    resumed = tmp_path / "resumed.duckdb"
    with pytest.raises(KeyboardInterrupt):
        _ingest(resumed, [TAR, TAB])
    assert not resumed.exists()  # nothing published
    monkeypatch.setattr(dump_backfill, "write_objects", real)
    stats = _ingest(resumed, [TAR, TAB])
    assert stats.dump.members_resumed == 24  # three committed batches of 8 members
    a, b = warehouse_content(clean), warehouse_content(resumed)
    for table in a:
        assert a[table] == b[table], table
    again = _ingest(resumed, [TAR, TAB])  # a complete re-run changes nothing
    assert again.inserted == again.updated == 0
    assert warehouse_content(resumed) == b


def test_filters_keep_human_transcriptomes_and_count_every_skip(tmp_path):
    db = tmp_path / "w.duckdb"
    stats = _ingest(db, [TAR], filt=HUMAN_TRANSCRIPTOME)
    objs = _objects()
    other_organism = sum(1 for el in objs["SAMPLE"].values()
                         if el.findtext("SAMPLE_NAME/SCIENTIFIC_NAME") != "Homo sapiens")
    other_source = sum(1 for el in objs["EXPERIMENT"].values()
                       if el.findtext("DESIGN/LIBRARY_DESCRIPTOR/LIBRARY_SOURCE")
                       != "TRANSCRIPTOMIC")
    skipped = stats.dump.skipped
    assert skipped["sample: organism"] == other_organism
    assert skipped["experiment: library source"] == other_source
    assert "filtered" in stats.dump.line()
    con = duckdb.connect(str(db), read_only=True)
    kept = con.execute("SELECT DISTINCT s.organism, l.source_kind FROM samples s "
                       "JOIN libraries l USING (sample_id)").fetchall()
    assert kept == [("Homo sapiens", "TRANSCRIPTOMIC")]
    wanted = {a for a, el in objs["EXPERIMENT"].items()
              if el.findtext("DESIGN/LIBRARY_DESCRIPTOR/LIBRARY_SOURCE") == "TRANSCRIPTOMIC"
              and objs["SAMPLE"][el.find("DESIGN/SAMPLE_DESCRIPTOR").get("accession")]
              .findtext("SAMPLE_NAME/SCIENTIFIC_NAME") == "Homo sapiens"}
    got = {r[0] for r in con.execute("SELECT record_accession FROM records").fetchall()}
    assert got == wanted and len(wanted) > 10


def test_accessions_tab_loads_columnar_statuses_and_exports_leave_out_suppressed(tmp_path):
    from harmonize.warehouse import materialize
    from harmonize.warehouse.db import connect_read
    from harmonize.warehouse.export import (
        cohort_params,
        cohort_sql,
        export_cohort,
        indexed_cohort_sql,
    )
    from harmonize.warehouse.rebuild import rebuild_cohort

    db = tmp_path / "w.duckdb"
    stats = _ingest(db, [TAB, TAR])
    with TAB.open() as fh:
        expected = Counter(row["Status"] for row in csv.DictReader(fh, delimiter="\t"))
    assert dict(stats.dump.accessions) == dict(expected)
    full = export_cohort(db, tmp_path / "all.tsv")
    # a later SRA_Accessions.tab: NCBI suppressed one experiment, made a sample controlled access
    rows = list(csv.reader(TAB.open(), delimiter="\t"))
    header = rows[0]
    exp = next(r for r in rows if r[6] == "EXPERIMENT" and r[1] == "DRA000368")
    smp = next(r for r in rows if r[6] == "SAMPLE" and r[0] == exp[header.index("Sample")])
    exp[header.index("Status")] = "suppressed"
    smp[header.index("Visibility")] = "controlled_access"
    later = tmp_path / "SRA_Accessions.tab"
    with later.open("w", newline="") as fh:
        csv.writer(fh, delimiter="\t", lineterminator="\n").writerows([header, exp, smp])
    _ingest(db, [later])
    con = duckdb.connect(str(db), read_only=True)
    sid = con.execute("SELECT sample_id FROM sample_accessions WHERE accession = ?",
                      [exp[0]]).fetchone()[0]
    status = {r[0]: r[1:] for r in con.execute(
        "SELECT sample_id, status, controlled_access FROM sample_status").fetchall()}
    con.close()
    assert status[sid] == ("suppressed", True)
    kept = export_cohort(db, tmp_path / "kept.tsv")
    assert kept.n_samples == full.n_samples - 1
    assert sid not in (tmp_path / "kept.tsv").read_text()
    assert export_cohort(db, tmp_path / "inc.tsv", include_inactive=True).n_samples \
        == full.n_samples
    # the precomputed tables and the live query leave out the same samples
    con = connect_read(db)
    assert materialize.is_current(con)
    for inactive in (False, True):
        params = cohort_params({}, 0.5, ["accepted"], None, None, include_inactive=inactive)
        live = con.execute(cohort_sql([]), params).df()
        fast = con.execute(indexed_cohort_sql([]), params).df()
        assert live["sample_id"].tolist() == fast["sample_id"].tolist()
        assert (sid in live["sample_id"].tolist()) is inactive
    con.close()
    # the cohort made before the suppression rebuilds without it, and says why
    again = rebuild_cohort(db, tmp_path / "all.tsv.manifest.json", tmp_path / "again.tsv")
    assert not again.reproduced and not (tmp_path / "again.tsv").exists()
    assert [(c.kind, c.sample_id, c.field) for c in again.changes if c.kind == "left"] \
        == [("left", sid, "sra_status")]
    assert rebuild_cohort(db, tmp_path / "kept.tsv.manifest.json").reproduced


def test_the_biosample_dump_keeps_linked_or_matching_records(tmp_path):
    db = tmp_path / "w.duckdb"
    bs = DUMP / "ddbj_biosample_set_SAMN00000002-11.xml.gz"
    organisms = [e.get("taxonomy_name") for e in etree.parse(str(bs)).iter("Organism")]
    stats = _ingest(db, [bs], filt=DumpFilter((organisms[0],)))
    assert stats.dump.biosamples_kept == 1
    assert stats.dump.skipped["biosample: not linked to a kept SRA sample, other organism"] \
        == len(organisms) - 1


def test_sniffing_recognises_dump_members_tars_and_the_accessions_table():
    import gzip

    with gzip.open(TAR) as fh:
        assert sniff(fh.read(1024)) == "sra_dump"
    assert sniff(TAB.read_bytes()[:200]) == "sra_accessions"
    for kind in ("sample", "experiment", "run", "study"):
        assert sniff((SUBS / "DRA000368" / f"DRA000368.{kind}.xml").read_bytes()) == "insdc"


def test_a_broken_tar_is_reported_and_its_good_members_are_kept(tmp_path):
    data = TAR.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    db = tmp_path / "w.duckdb"
    stats = _ingest(db, [cut])
    assert len(stats.failed) == 1 and str(cut) in stats.failed[0].error
    assert stats.dump.parsed["experiment"] > 0  # what came before the break was loaded


def test_ingest_cli_streams_a_dump_and_prints_the_summary(tmp_path):
    from click.testing import CliRunner

    from harmonize.cli import cli

    shutil.copy(TAR, tmp_path / "NCBI_SRA_Metadata_20260127.tar.gz")
    res = CliRunner().invoke(cli, ["ingest", str(tmp_path / "NCBI_SRA_Metadata_20260127.tar.gz"),
                                   "-w", str(tmp_path / "w.duckdb")])
    assert res.exit_code == 0, res.output
    assert "dump: 80 members" in res.output and "quarantined" in res.output


@pytest.mark.slow
def test_dask_backfill_of_a_dump_equals_the_local_backfill(tmp_path, prefect_harness,
                                                           monkeypatch):
    from flows.backfill import backfill
    from flows.runners import task_runner

    monkeypatch.setattr(dump_backfill, "MEMBER_BATCH", 10)  # several batches to hand out
    local, dask = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    paths = [str(TAB), str(TAR)]
    backfill(paths=paths, warehouse=str(local), use_embeddings=False, filtered=False)
    backfill.with_options(task_runner=task_runner("local"))(
        paths=paths, warehouse=str(dask), use_embeddings=False, distributed=True,
        filtered=False)
    a, b = warehouse_content(local), warehouse_content(dask)
    assert len(a["records"]) > 100 and len(a["annotations"]) > 50
    for table in a:
        assert a[table] == b[table], f"{table} differs between local and Dask runs"


def test_a_geo_brokered_sample_named_only_by_its_alias_keeps_its_gsm(tmp_path):
    real = (DUMP / "ffq_ena_browser_sample_SRS4237519.xml").read_bytes()
    line = next(x for x in real.splitlines(keepends=True) if b'namespace="GEO"' in x)
    gsm = etree.fromstring(line.strip()).text
    alias_only = tmp_path / "SRS4237519.sample.xml"  # as dump members often are: no GEO id
    alias_only.write_bytes(real.replace(line, b""))
    db = tmp_path / "w.duckdb"
    _ingest(db, [alias_only])
    sample_of = _sample_of(db)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT sample_id FROM sample_accessions WHERE accession = ?",
                       [gsm]).fetchone()[0] == sample_of["SRS4237519"]


class _Recorder:
    """A harmonize.progress sink that keeps what each bar was told."""

    def __init__(self) -> None:
        self.bars: list[dict] = []

    def open(self, description, total, unit):
        bar = {"description": description, "total": total, "unit": unit, "done": 0.0,
               "notes": [], "closed": False}
        self.bars.append(bar)

        class Task:
            def advance(self, n=1):
                bar["done"] += n

            def set(self, completed):
                bar["done"] = completed

            def note(self, text):
                bar["notes"].append(text)

        task = Task()
        task.bar = bar  # type: ignore[attr-defined]
        return task

    def close(self, task):
        task.bar["closed"] = True


def test_a_dump_shows_one_bar_through_the_progress_module(tmp_path):
    from harmonize import progress

    sink = _Recorder()
    with progress.use(sink):
        _ingest(tmp_path / "w.duckdb", [TAR])
    dump_bars = [b for b in sink.bars if b["description"].endswith(TAR.name)]
    assert len(dump_bars) == 1
    bar = dump_bars[0]
    assert bar["unit"] == "bytes" and bar["total"] == TAR.stat().st_size
    assert 0 < bar["done"] <= bar["total"] and bar["closed"]
    last = bar["notes"][-1]
    assert "members" in last and "records/s" in last and "ETA" in last
    assert int(last.split(" members")[0].replace(",", "")) > 0
    # without a sink nothing is drawn and nothing fails
    _ingest(tmp_path / "v.duckdb", [TAR])
