"""``harmonize map`` contract: one output line per input line, same order, scorer-ready."""

from __future__ import annotations

import io
import json

import pytest
from test_ground_grounder import small_ontologies

from harmonize.ground import Grounder, build_lexicon
from harmonize.ground.calibrate import Calibration
from harmonize.ground.lexicon import read_synonyms
from harmonize.ground.sample_type_features import SAMPLE_TYPES
from harmonize.mapping import map_jsonl, map_records


@pytest.fixture(scope="module")
def grounder():
    lex = build_lexicon(small_ontologies(), read_synonyms(), version="small")
    return Grounder(lex, use_embeddings=False, calibration=Calibration())


RECORDS = [
    {"accession": "SRS779971", "attributes": {"tissue": "vastus lateralis muscle", "sex": "female"},
     "text": None},
    {"accession": "GSM1", "attributes": {}, "text": "homo sapiens breast biopsy breast cancer"},
    {"accession": "SAMN1", "attributes": {"cell line": "HEK 293", "disease": "healthy"}},
    {"accession": "SAMN2", "attributes": {"tissue": "not applicable"}},
]


def test_map_jsonl_contract(grounder, tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(r) for r in RECORDS]
    lines.insert(2, "{broken json")
    lines.insert(3, json.dumps({"no_accession": 1}))
    src.write_text("\n".join(lines) + "\n")
    out = io.StringIO()
    stats = map_jsonl(src, out, grounder, progress=False)
    got = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(got) == len(lines) == stats.lines
    assert [g.get("accession") for g in got] == ["SRS779971", "GSM1", None, None, "SAMN1",
                                                 "SAMN2"]
    assert stats.errors == 2
    assert "line 3" in got[2]["error"] and "line 4" in got[3]["error"]
    first = {a["facet"]: a for a in got[0]["annotations"]}
    assert first["tissue"]["term_id"] == "UBERON:0001379"
    assert first["tissue"]["source_key"] == "tissue"
    assert first["tissue"]["source_text"] == "vastus lateralis muscle"
    assert first["sex"]["term_id"] == "PATO:0000383"
    for a in first.values():
        assert set(a) >= {"facet", "term_id", "term_label", "confidence", "method", "source_key",
                          "source_text", "status"}
        assert 0.0 <= a["confidence"] <= 1.0
    samn1 = {a["facet"]: a["term_id"] for a in got[4]["annotations"]}
    assert samn1 == {"cell_line": "CVCL:0045", "disease": "PATO:0000461",
                     "sample_type": "cell_line", "sex": "PATO:0000383"}  # HEK293: a girl's
    assert got[5]["annotations"] == []


def test_map_records_is_lazy_and_ordered(grounder):
    it = map_records(iter(RECORDS), grounder)
    assert next(it)["accession"] == "SRS779971"
    assert [r["accession"] for r in it] == ["GSM1", "SAMN1", "SAMN2"]


def test_low_confidence_is_written_unmapped_with_candidates(grounder):
    out = list(map_records(RECORDS[:1], grounder, min_confidence=1.01))[0]
    tissue = [a for a in out["annotations"] if a["facet"] == "tissue"][0]
    assert tissue["term_id"] is None and tissue["status"] == "unmapped"
    assert tissue["candidates"][0]["term_id"] == "UBERON:0001379"


def test_output_is_scorable(grounder, tmp_path):
    """The eval kit's reader accepts our lines: accession + annotations with term/confidence."""
    out = io.StringIO()
    src = io.StringIO("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    map_jsonl(src, out, grounder, progress=False)
    for line in out.getvalue().splitlines():
        obj = json.loads(line)
        assert isinstance(obj["accession"], str) and isinstance(obj["annotations"], list)
        for a in obj["annotations"]:
            assert a["term_id"] is None or ":" in a["term_id"] or (
                a["facet"] == "sample_type" and a["term_id"] in SAMPLE_TYPES)
            assert isinstance(a["confidence"], float)


def test_with_candidates_and_stats(grounder):
    out = io.StringIO()
    stats = map_jsonl(io.StringIO(json.dumps(RECORDS[0]) + "\n"), out, grounder, progress=False,
                      with_candidates=True)
    line = json.loads(out.getvalue())
    assert all("candidates" in a for a in line["annotations"])
    assert stats.records == stats.lines == 1 and stats.annotations == 3  # + sample_type


def test_a_record_with_its_own_error_field_is_still_mapped(tmp_path):
    """An input field named "error" is the user's data, not a parse failure."""
    import io

    from harmonize.ground import Grounder, build_lexicon
    from harmonize.ground.calibrate import Calibration
    from harmonize.ground.lexicon import read_synonyms
    from harmonize.mapping import map_jsonl
    from test_ground_grounder import small_ontologies

    g = Grounder(build_lexicon(small_ontologies(), read_synonyms(), version="small-err"),
                 use_embeddings=False, calibration=Calibration())
    out = io.StringIO()
    stats = map_jsonl(io.StringIO('{"accession": "S1", "error": "x", '
                                  '"attributes": {"tissue": "liver"}}\n'), out, g, progress=False)
    line = json.loads(out.getvalue())
    assert stats.errors == 0 and "error" not in line
    assert [a["term_id"] for a in line["annotations"]] == ["UBERON:0002107", "tissue"]


def test_list_and_number_values_are_read(grounder):
    """GEO characteristics written as a list of "key: value" lines, and numbers, are grounded
    like the same text written as one string; objects are left out."""
    listed = {"accession": "L1", "attributes": {"characteristics_ch1": ["Sex: female", "age: 44"],
                                                "passage": 3, "extra": {"a": 1}}}
    joined = {"accession": "L2", "attributes": {"characteristics_ch1": "Sex: female; age: 44",
                                                "passage": "3"}}
    a, b = list(map_records([listed, joined], grounder))
    assert [x["term_id"] for x in a["annotations"] if x["facet"] == "sex"] == ["PATO:0000383"]
    assert a["annotations"] == b["annotations"]


def test_an_embedding_guess_under_review_is_a_suggestion_not_a_prediction(grounder):
    """Below the accept threshold an embedding choice is written without a term (kept among
    the candidates); a mention as unsure stays a prediction, and an accepted embedding too."""
    from harmonize.mapping import _result
    from harmonize.models import Annotation, Candidate

    cand = (Candidate(term_id="UBERON:0002107", term_label="liver", method="embedding",
                      matched_text="liver", match_kind="embedding", similarity=0.8),)
    anns = [Annotation("tissue", "UBERON:0002107", "liver", 0.31, "embedding", "needs_review",
                       "tissue", "hepatic lobe sample", candidates=cand),
            Annotation("cell_type", "CL:0000182", "hepatocyte", 0.31, "mention", "needs_review",
                       "source_name", "liver cells"),
            Annotation("disease", "MONDO:0005359", "drug-induced liver injury", 0.7, "embedding",
                       "accepted", "disease", "drug induced liver damage")]
    got = {a["facet"]: a for a in _result({"accession": "X"}, anns, grounder, None,
                                          True)["annotations"]}
    assert got["tissue"]["term_id"] is None and got["tissue"]["status"] == "unmapped"
    assert got["tissue"]["candidates"][0]["term_id"] == "UBERON:0002107"
    assert got["cell_type"]["term_id"] == "CL:0000182"
    assert got["disease"]["term_id"] == "MONDO:0005359"


def test_explain_reads_the_stretch_of_the_study_map_reads(tmp_path):
    """``explain --in`` reads a record with the records ``map`` grounds with it: the lines of
    its study in the same stretch, not lines of that study much further down the file."""
    from harmonize.mapping import CHUNK, study_records

    def line(acc: str, study: str) -> str:
        return json.dumps({"accession": acc, "series": study, "text": "liver"}) + "\n"

    src = tmp_path / "in.jsonl"
    src.write_text("".join([line(f"A{i}", "S1") for i in range(3)]
                           + [line(f"B{i}", "S2") for i in range(CHUNK)]
                           + ["{not json\n"]
                           + [line(f"A{i}", "S1") for i in range(3, 5)]))
    assert [r["accession"] for r in study_records(src, "A1")] == ["A0", "A1", "A2"]
    assert [r["accession"] for r in study_records(src, "A4")] == ["A3", "A4"]
    assert len(study_records(src, "B7")) == CHUNK
    with pytest.raises(LookupError, match=r"in\.jsonl: no record with accession 'Z1' \(1 malformed"):
        study_records(src, "Z1")
