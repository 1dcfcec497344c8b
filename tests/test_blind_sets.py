"""The blind sets kept in ``bench/blind`` are whole, listed, and readable by their benchmark."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import blind_eval  # noqa: E402  (the benchmark's own reader)

#: The id prefixes each facet's gold may use.
PREFIXES = {"tissue": ("UBERON:",), "cell_type": ("CL:",), "disease": ("MONDO:", "PATO:"),
            "cell_line": ("CVCL:",), "sex": ("PATO:",)}
SAMPLE_TYPES = {"tissue", "cell_line", "primary_cells", "in_vitro_differentiated_cells",
                "stem_cells", "induced_pluripotent_stem_cells", "organoid"}


def _records(name: str) -> list[dict]:
    with gzip.open(BENCH / "blind" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_every_set_file_is_listed_and_every_listed_set_has_a_file():
    listed = {m["set"] for m in blind_eval.manifest()}
    files = {p.name.removesuffix(".jsonl.gz") for p in (BENCH / "blind").glob("*.jsonl.gz")}
    assert listed == files
    assert all(m["status"] in ("read", "never read") for m in blind_eval.manifest())


@pytest.mark.parametrize("name", [m["set"] for m in blind_eval.manifest()])
def test_a_set_s_records_and_gold_are_well_formed(name):
    records = _records(name)
    accessions = [r["accession"] for r in records]
    assert len(accessions) == len(set(accessions))
    golds = [r for r in records if r.get("gold")]
    assert golds, f"{name} holds no gold"
    known = set(accessions)
    for r in golds:
        assert set(r.get("members") or ()) <= known  # a series' members are in the file
        for facet, ids in r["gold"].items():
            if facet == "sample_type":
                assert set(ids) <= SAMPLE_TYPES
            else:
                assert all(i.startswith(PREFIXES[facet]) for i in ids), (r["accession"], ids)


def test_a_row_shows_each_facet_and_bolds_a_never_read_set():
    result = {"facets": {
        "tissue": {"n_gold": 3, "strict": {"f1": 0.5}, "hier": {"f1": 0.75},
                   "calibration": {"ece": 0.1}},
        "sample_type": {"n_gold": 3, "hit_rate": 0.9, "strict": {"f1": 0.9}},
        "sex": {"n_gold": 0, "n_negative": 0}}}
    row = blind_eval.row({"set": "ZZ", "kind": "SRA", "status": "never read"}, result)
    assert row.startswith("| **ZZ** | SRA, never read | 0.500 / 0.750 / 0.100 | – |")
    assert row.endswith("| – | 0.900 |")
    means = blind_eval.means([({"kind": "SRA", "status": "never read"}, result),
                              ({"kind": "SRA", "status": "read"}, result)])
    assert means == ["- never-read SRA sets (1): mean strict F1 (sample type: accuracy) "
                     "tissue 0.500, sample_type 0.900"]


def test_never_read_keyed_sets_pool_their_reliability_bins():
    """Pooled ECE: the bins of the never-read SRA and GEO sets added up, the read sets and the
    series aside (one set over-confident in a bin, the other under: they do not cancel)."""
    def res(bins):
        return {"facets": {"tissue": {"calibration": {"bins": bins}}}}
    rows = [({"kind": "SRA", "status": "never read"}, res([[0.9, 10, 0.95, 0.75]])),
            ({"kind": "GEO", "status": "never read"}, res([[0.5, 10, 0.55, 0.75]])),
            ({"kind": "SRA", "status": "read"}, res([[0.9, 100, 0.95, 0.0]])),
            ({"kind": "GEO series", "status": "never read"}, res([[0.9, 100, 0.95, 0.0]]))]
    assert blind_eval.pooled(rows) == ["- never-read keyed sets (2), pooled ECE: tissue 0.200 "
                                       "(n 20, confidence 0.750, right 0.750)"]
    assert blind_eval.pooled(rows, "read") == ["- read keyed sets (1), pooled ECE: tissue 0.950 "
                                               "(n 100, confidence 0.950, right 0.000)"]


def test_a_writer_s_records_become_a_set_as_the_pipeline_reads_them(tmp_path):
    sys.path.insert(0, str(BENCH / "blind" / "writing"))
    import convert  # the converter a new set is added with

    writer = tmp_path / "writer"
    writer.mkdir()
    geo = {"accession": "GSMZZ1", "source": "geo", "series": "GSEZZ1", "title": "pt1 tumour",
           "source_name": "kidney", "characteristics": {"sex": "F"}, "description": "Stage II.",
           "gold": {"tissue": ["UBERON:0002113"], "sample_type": "tissue"}}
    (writer / "records.jsonl").write_text(json.dumps(geo) + "\n")
    assert convert.main([str(writer), "ZZ", str(tmp_path)]) == 0
    with gzip.open(tmp_path / "ZZ.jsonl.gz", "rt") as fh:
        rec = json.loads(fh.readline())
    assert rec["attributes"] == {"source_name": "kidney", "sex": "F"}
    assert rec["text"] == "pt1 tumour\nStage II."
    assert rec["gold"]["sample_type"] == ["tissue"]
    # the same record as txt2onto's text: values without keys, no word holding a digit
    assert convert.main([str(writer), "ZX", str(tmp_path), "--text"]) == 0
    with gzip.open(tmp_path / "ZX.jsonl.gz", "rt") as fh:
        rec = json.loads(fh.readline())
    assert (rec["attributes"], rec["text"]) == ({}, "tumour kidney stage ii")
    assert rec["gold"]["tissue"] == ["UBERON:0002113"]

    series = {"series": "GSEZZ2", "title": "Lupus and controls",
              "gold_disease": ["MONDO:0007915", "PATO:0000461"],
              "members": [{"accession": "GSMZZ2", "title": "SLE_1", "source_name": "PBMC",
                           "characteristics": {"group": "SLE"}, "description": None}]}
    (writer / "series.jsonl").write_text(json.dumps(series) + "\n")
    assert convert.main([str(writer), "ZY", str(tmp_path)]) == 0
    with gzip.open(tmp_path / "ZY.jsonl.gz", "rt") as fh:
        member, level = (json.loads(line) for line in fh)
    # its own words as txt2onto writes them: no series title, no key, no 'SLE_1' (a digit)
    assert member["text"] == "pbmc sle"
    assert level["members"] == ["GSMZZ2"]
    assert level["gold"] == {"disease": ["MONDO:0007915"]}  # no healthy state
    assert convert.main([str(writer), "ZW", str(tmp_path), "--text"]) == 2  # series are text
