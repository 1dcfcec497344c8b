"""Review queue, curator decisions, cache, and the HTML report rendered in headless Chromium."""

from __future__ import annotations

import base64
import csv
import io
import re
import subprocess
from pathlib import Path

import pytest

from harmonize.errors import OntologyError, ParseError
from harmonize.models import Annotation, Attribute, Candidate, SampleRecord
from harmonize.ontology.model import OntologyData, TermData
from harmonize.warehouse.annotations import (
    add_overrides,
    annotation_counts,
    load_cache,
    load_ontology,
    load_overrides,
    ontology_rows,
    replace_annotations,
    save_cache,
)
from harmonize.warehouse.db import connect_read, writer
from harmonize.warehouse.load import finish_run, start_run, upsert_records
from harmonize.warehouse.report import write_report
from harmonize.warehouse.review import read_decisions, write_review

CHROMIUM = Path("/usr/bin/chromium")


def tiny_ontology() -> OntologyData:
    terms = {
        "UBERON:0000062": TermData("UBERON:0000062", "organ"),
        "UBERON:0002107": TermData("UBERON:0002107", "liver", [("hepar", "exact")],
                                   {"UBERON:0000062": 1}),
        "UBERON:0002113": TermData("UBERON:0002113", "kidney", [], {"UBERON:0000062": 1}),
    }
    return OntologyData("UBERON", "test-1", "tiny", terms)


def candidate(tid: str, label: str, score: float) -> Candidate:
    return Candidate(tid, label, "fuzzy", label, "label", score, score)


@pytest.fixture()
def wh(tmp_path):
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        load_ontology(con, *ontology_rows(tiny_ontology()))
        run = start_run(con, "nightly", "geo", {})
        recs = [SampleRecord("geo", f"GSM{i}", (f"GSM{i}", "GSE1"), organism="Homo sapiens",
                             attributes=(Attribute("tissue", "x"),),
                             published=f"20{10 + i % 3}-05-01") for i in range(1, 11)]
        upsert_records(con, recs, run_id=run)
        finish_run(con, run, "success", {"inserted": 10}, watermark="2012-05-02")
        pairs = []
        for i in range(1, 11):
            sid = f"GSM{i}"
            pairs.append((sid, Annotation("tissue", "UBERON:0002107", "liver", 0.5 + i / 25,
                                          "exact", "accepted", "tissue", "liver")))
            if i <= 6:
                pairs.append((sid, Annotation(
                    "tissue", None, None, 0.0, "none", "unmapped", "tissue", "hepatic thing",
                    (candidate("UBERON:0002107", "liver", 0.41),))))
            if i <= 3:
                pairs.append((sid, Annotation(
                    "disease", "UBERON:0002113", "kidney", 0.55, "embedding", "needs_review",
                    "disease", "kidny", (candidate("UBERON:0002113", "kidney", 0.55),))))
        replace_annotations(con, [f"GSM{i}" for i in range(1, 11)], pairs, "lex-a")
    return db


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_review_queue_ordered_by_impact_and_decisions_round_trip(wh, tmp_path):
    out = tmp_path / "review.tsv"
    assert write_review(wh, out) == 2
    rows = read_tsv(out)
    assert [(r["facet"], r["source_text"], r["n_samples"], r["status"]) for r in rows] == [
        ("tissue", "hepatic thing", "6", "unmapped"), ("disease", "kidny", "3", "needs_review")]
    assert "UBERON:0002107 liver (0.41)" in rows[0]["candidates"]
    assert rows[0]["decision_term_id"] == rows[0]["curator"] == rows[0]["note"] == ""
    assert write_review(wh, tmp_path / "one.tsv", limit=1) == 1

    rows[0].update(decision_term_id="UBERON:0002107", curator="ana", note="hepatic = liver")
    rows[1].update(decision_term_id="reject")
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter="\t")
        w.writeheader()
        w.writerows(rows)
    decisions = read_decisions(out, wh)
    assert [(d.facet, d.text, d.term_id, d.term_label, d.curator) for d in decisions] == [
        ("tissue", "hepatic thing", "UBERON:0002107", "liver", "ana"),
        ("disease", "kidny", None, None, None)]
    with writer(wh) as con:
        assert add_overrides(con, decisions) == 2
        overrides = load_overrides(con)
    assert overrides[("tissue", "hepatic thing")].term_id == "UBERON:0002107"
    assert overrides[("disease", "kidny")].term_id is None
    assert write_review(wh, tmp_path / "after.tsv") == 0


def test_bad_decisions_name_file_and_line(wh, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("facet\tsource_text\tdecision_term_id\n"
                   "tissue\tliverish\tUBERON:0002107\n"
                   "tissue\tkidneyish\tUBERON:9999999\n")
    with pytest.raises(OntologyError, match=r"bad\.tsv line 3: unknown term id 'UBERON:9999999'"):
        read_decisions(bad, wh)
    bad.write_text("facet\tsource_text\tdecision_term_id\n\tliverish\tUBERON:0002107\n")
    with pytest.raises(ParseError, match=r"bad\.tsv record line 2"):
        read_decisions(bad, wh)
    bad.write_text("facet\tsource_text\n")
    with pytest.raises(ParseError, match="missing column"):
        read_decisions(bad, wh)


def test_cache_round_trip_and_counts(wh):
    with writer(wh) as con:
        assert save_cache(con, "lex-a", [("tissue", "liver", '{"t": 1}'),
                                         ("tissue", "liver", '{"t": 2}'),
                                         ("sex", "f", {"t": 3})]) == 2
        save_cache(con, "lex-a", [("tissue", "liver", '{"t": 4}')])
        cache = load_cache(con, "lex-a")
        assert load_cache(con, "lex-b") == {}
        counts = annotation_counts(con)
    assert cache == {("tissue", "liver"): '{"t": 4}', ("sex", "f"): '{"t": 3}'}
    assert counts["tissue"] == {"accepted": 10, "unmapped": 6}
    assert counts["_samples"] == {"total": 10, "annotated": 10}


def test_ontology_reload_replaces_rows(wh):
    onto = tiny_ontology()
    del onto.terms["UBERON:0002113"]
    with writer(wh) as con:
        load_ontology(con, *ontology_rows(onto))
        terms = con.execute("SELECT term_id FROM ontology_terms ORDER BY 1").fetchall()
        anc = con.execute("SELECT * FROM term_ancestors ORDER BY ALL").fetchall()
    assert terms == [("UBERON:0000062",), ("UBERON:0002107",)]
    assert anc == [("UBERON:0000062", "UBERON:0000062", 0),
                   ("UBERON:0002107", "UBERON:0000062", 1),
                   ("UBERON:0002107", "UBERON:0002107", 0)]


def test_report_payload_is_self_contained(wh, tmp_path):
    out = write_report(wh, tmp_path / "report.html")
    page = out.read_text()
    for heading in ("Share mapped per facet", "Confidence histogram", "Top unmapped values",
                    "Samples per source and year"):
        assert heading in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    payloads = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(payloads) == 3
    import matplotlib.image as mpimg

    for p in payloads:
        img = mpimg.imread(io.BytesIO(base64.b64decode(p)), format="png")
        assert img.shape[0] > 50 and img.shape[1] > 50 and img.std() > 0.01


@pytest.mark.slow
def test_report_renders_in_chromium(wh, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install -y chromium)")
    page = write_report(wh, tmp_path / "report.html")
    # a small script marks every image that decoded, so --dump-dom shows it
    probe = page.read_text().replace("</body>", (
        "<script>window.addEventListener('load',()=>{const ok=[...document.images]"
        ".filter(i=>i.complete&&i.naturalWidth>0).length;document.body.insertAdjacentHTML("
        "'beforeend','<p id=\"probe\">images-ok '+ok+' of '+document.images.length+'</p>')});"
        "</script></body>"))
    probed = tmp_path / "probe.html"
    probed.write_text(probe)
    flags = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
             "--virtual-time-budget=3000"]
    dom = subprocess.run([*flags, "--dump-dom", probed.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    assert "images-ok 3 of 3" in dom
    assert "Top unmapped values" in dom and "hepatic thing" in dom
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
                   capture_output=True, timeout=120)
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels[..., :3].std() > 0.05
    assert connect_read(wh).execute("SELECT count(*) FROM samples").fetchall()[0][0] == 10
