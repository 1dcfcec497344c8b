"""Input checked against what it means, through the console entry point: `export` refuses a term
of another facet's ontology, a confidence outside 0..1 and a term no sample is annotated with
(naming the closest labels in use); `curate` refuses a term of the wrong ontology for the facet
and a failed `curate` leaves no staging copy behind."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from test_cli import BIN

from harmonize.models import Annotation, Attribute, SampleRecord
from harmonize.ontology.snapshot import load_snapshot
from harmonize.warehouse.annotations import load_ontology, ontology_rows, replace_annotations
from harmonize.warehouse.db import staging_path, writer
from harmonize.warehouse.load import upsert_records

CORTEX, LIVER, NEOCORTEX = "UBERON:0000956", "UBERON:0002107", "UBERON:0001950"
HEPATITIS = "MONDO:0005154"  # liver disease


@pytest.fixture(scope="module")
def onto():
    return {name: load_snapshot(name) for name in ("UBERON", "MONDO", "PATO")}


@pytest.fixture(scope="module")
def wh(tmp_path_factory, onto):
    """12 samples: cerebral cortex, neocortex or liver tissue; liver disease on the liver ones."""
    db = tmp_path_factory.mktemp("checks") / "w.duckdb"
    tissues = [CORTEX, NEOCORTEX, LIVER] * 4
    with writer(db) as con:
        for data in onto.values():
            load_ontology(con, *ontology_rows(data))
        upsert_records(con, [SampleRecord("geo", f"GSM{500 + i}", (f"GSM{500 + i}", "GSE5"),
                                          organism="Homo sapiens", taxon_id=9606,
                                          attributes=(Attribute("tissue", "x"),))
                             for i in range(len(tissues))])
        pairs = []
        for i, tid in enumerate(tissues):
            label = onto["UBERON"].terms[tid].label
            pairs.append((f"GSM{500 + i}", Annotation("tissue", tid, label, 0.9, "exact",
                                                      "accepted", "tissue", label,
                                                      lexicon_version="lex")))
            if tid == LIVER:
                pairs.append((f"GSM{500 + i}", Annotation(
                    "disease", HEPATITIS, onto["MONDO"].terms[HEPATITIS].label, 0.8, "exact",
                    "accepted", "disease", "liver disease", lexicon_version="lex")))
        replace_annotations(con, [f"GSM{500 + i}" for i in range(len(tissues))], pairs, "lex")
    return db


def harmonize(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=600)


def export(wh, tmp_path, *args: str) -> subprocess.CompletedProcess:
    return harmonize("export", *args, "-o", str(tmp_path / "c.tsv"), "--warehouse", str(wh))


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_valid_export_still_works(wh, tmp_path):
    proc = export(wh, tmp_path, "--tissue", "cerebral cortex")
    assert proc.returncode == 0, proc.stderr
    rows = (tmp_path / "c.tsv").read_text().splitlines()
    # neocortex is part of the cerebral cortex: descendants are included
    assert len(rows) == 1 + 8
    assert all(f"\t{CORTEX}\t" in r or f"\t{NEOCORTEX}\t" in r for r in rows[1:])


def test_a_term_of_another_ontology_is_refused(wh, tmp_path):
    line = one_line_error(export(wh, tmp_path, "--tissue", HEPATITIS))
    assert HEPATITIS in line and "MONDO" in line and "tissue takes UBERON" in line
    line = one_line_error(export(wh, tmp_path, "--disease", LIVER))
    assert LIVER in line and "UBERON term, not a disease" in line
    # a label that only another facet's ontology knows is refused the same way
    line = one_line_error(export(wh, tmp_path, "--tissue", "hepatitis"))
    assert "MONDO term, not a tissue" in line
    assert not (tmp_path / "c.tsv").exists()


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan"])
def test_a_confidence_outside_0_1_is_refused(wh, tmp_path, value):
    line = one_line_error(export(wh, tmp_path, "--tissue", LIVER, "--min-confidence", value))
    assert "--min-confidence" in line and "0..1" in line
    assert not (tmp_path / "c.tsv").exists()


def test_a_term_no_sample_has_names_the_closest_labels_in_use(wh, tmp_path, onto):
    # 'cortex' is a real UBERON term, but neither cerebral cortex nor neocortex is below it
    uberon = onto["UBERON"]
    assert "UBERON:0001851" not in uberon.terms[CORTEX].ancestors
    line = one_line_error(export(wh, tmp_path, "--tissue", "cortex"))
    assert "no sample has a tissue annotation 'cortex' (UBERON:0001851 cortex)" in line
    assert "cerebral cortex (UBERON:0000956, 4 samples)" in line and "neocortex" in line
    assert not (tmp_path / "c.tsv").exists()
    # a label that names no term at all gets the same hint
    line = one_line_error(export(wh, tmp_path, "--tissue", "cerebal cortex"))
    assert "no label or synonym" in line and "cerebral cortex (UBERON:0000956" in line
    # --exact says so: the liver disease annotations are below 'disease', not on it
    line = one_line_error(export(wh, tmp_path, "--disease", "MONDO:0000001", "--exact"))
    assert "--exact" in line and "liver disorder (MONDO:0005154, 4 samples)" in line


def _review_file(tmp_path, facet: str, term: str):
    tsv = tmp_path / "decisions.tsv"
    tsv.write_text(f"facet\tsource_text\tdecision_term_id\n{facet}\tbrain bits\t{term}\n")
    return tsv


def _overrides(wh) -> int:
    out = harmonize("query", "SELECT count(*) AS n FROM curator_overrides", "--format", "json",
                    "--warehouse", str(wh))
    return json.loads(out.stdout)[0]["n"]


def test_curate_refuses_a_term_of_the_wrong_ontology_and_stages_nothing(wh, tmp_path):
    before = _overrides(wh)
    line = one_line_error(harmonize("curate", str(_review_file(tmp_path, "tissue", HEPATITIS)),
                                    "--warehouse", str(wh)))
    assert "decisions.tsv line 2" in line and HEPATITIS in line and "MONDO" in line
    assert "tissue decision takes UBERON" in line
    line = one_line_error(harmonize("curate", str(_review_file(tmp_path, "tisue", CORTEX)),
                                    "--warehouse", str(wh)))
    assert "unknown facet 'tisue'" in line
    assert _overrides(wh) == before
    assert not staging_path(wh).exists()


def test_a_curate_that_fails_while_writing_removes_its_staging_copy(wh, tmp_path):
    """The decisions are fine, but re-grounding cannot load its ontologies (a manifest naming a
    missing OBO file): the run fails after the staging copy was made, and removes it."""
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[facets]\ntissue = ["UBERON"]\n\n[ontologies.UBERON]\nsource = "obo"\n'
                        'path = "missing-uberon.obo"\n')
    before = _overrides(wh)
    proc = subprocess.run([str(BIN), "curate", str(_review_file(tmp_path, "tissue", CORTEX)),
                           "--no-embeddings", "--warehouse", str(wh)],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ,
                               "HARMONIZE_ONTOLOGY_MANIFEST": str(manifest)})
    line = one_line_error(proc)
    assert "missing-uberon.obo" in line
    assert not staging_path(wh).exists()
    assert _overrides(wh) == before
