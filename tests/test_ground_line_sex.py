"""A cell line's sex: a Cellosaurus release's sex subsets, the listed sexes of common lines,
else what EFO says of the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harmonize.ground import Grounder
from harmonize.ground.line_sex import cellosaurus_sexes
from harmonize.ontology.obo import load_obo

DATA = Path(__file__).parent / "data" / "ontologies"
FEMALE, MALE = "PATO:0000383", "PATO:0000384"


def test_a_cellosaurus_release_files_each_line_under_its_sex():
    cvcl = load_obo(DATA / "mini_cellosaurus.obo", "CVCL")
    assert cvcl.terms["CVCL:T001"].subsets == ("Cancer_cell_line", "Female")
    sexes = cellosaurus_sexes({t: d.subsets for t, d in cvcl.terms.items()})
    # mixed and unspecified sexes give none
    assert sexes == {"CVCL:T001": FEMALE, "CVCL:T002": MALE}


def test_a_line_filed_under_both_sexes_gets_neither():
    assert cellosaurus_sexes({"CVCL:X": ("Female", "Male"), "CVCL:Y": ("male",)}) == {
        "CVCL:Y": MALE}


def test_every_listed_line_is_a_packaged_cellosaurus_line_of_that_name():
    from harmonize.ground.rules import table
    from harmonize.ontology.snapshot import load_snapshot

    cvcl = load_snapshot("CVCL")
    rows = table("line_sexes")
    assert len(rows) > 200
    assert len({r["line"] for r in rows}) == len(rows)
    for row in rows:
        assert cvcl.terms[row["line"]].label == row["name"], row
        assert row["sex"] in (FEMALE, MALE), row


def test_a_release_sex_overrides_a_listed_one(monkeypatch):
    from harmonize.ground import line_sex

    listed = line_sex.listed_sexes(["CVCL:0030", "CVCL:0023", "CVCL:NONE"])
    assert listed == {"CVCL:0030": FEMALE, "CVCL:0023": MALE}  # HeLa, A-549; unknown ids out
    release = cellosaurus_sexes({"CVCL:0023": ("Female",)})
    assert {**listed, **release}["CVCL:0023"] == FEMALE


def _sex(grounder: Grounder, attrs: dict[str, str]) -> list[tuple[str | None, str | None]]:
    return [(a.term_id, a.method) for a in grounder.annotate(attrs) if a.facet == "sex"]


@pytest.mark.slow
def test_the_description_of_a_line_names_its_donors_sex(full_grounder):
    # EFO describes MCF-7 as established from a woman's pleural effusion
    assert _sex(full_grounder, {"cell line": "MCF-7", "treatment": "vehicle"}) == [
        (FEMALE, "rule")]


@pytest.mark.slow
def test_a_line_classed_under_an_organ_of_one_sex_is_that_sex(full_grounder):
    # EFO classes 22Rv1 as a 'prostate derived' line and says nothing of its donor
    assert _sex(full_grounder, {"cell line": "22Rv1"}) == [(MALE, "rule")]
    # HeLa: a cervical carcinoma line
    assert _sex(full_grounder, {"cell_line": "HeLa", "genotype": "wild type"}) == [
        (FEMALE, "rule")]


@pytest.mark.slow
def test_a_listed_line_and_a_line_derived_from_it_have_its_sex(full_grounder):
    # A-549 and K-562 have no sex in EFO's words; Cellosaurus records them male and female
    assert _sex(full_grounder, {"cell line": "A549"}) == [(MALE, "rule")]
    assert _sex(full_grounder, {"cell line": "A549-ACE2"}) == [(MALE, "rule")]
    assert _sex(full_grounder, {"cell line": "K562 Cas9"}) == [(FEMALE, "rule")]
    # a derivative whose tag Cellosaurus writes in brackets
    assert _sex(full_grounder, {"cell line": "MCF-7 Cas9"}) == [(FEMALE, "rule")]
    # an embryonic stem cell line by its common name
    assert _sex(full_grounder, {"cell line": "H9 hESC"}) == [(FEMALE, "rule")]


@pytest.mark.slow
def test_a_stated_sex_wins_and_an_unknown_line_says_nothing(full_grounder):
    assert _sex(full_grounder, {"cell line": "MCF-7", "sex": "male"}) == [(MALE, "exact")]
    # neither listed nor sexed by EFO
    assert _sex(full_grounder, {"cell line": "NCI-H2228"}) == []


@pytest.mark.slow
def test_the_sex_is_as_sure_as_the_line(full_grounder):
    anns = full_grounder.annotate({"cell line": "MCF-7"})
    line, = (a for a in anns if a.facet == "cell_line")
    sex, = (a for a in anns if a.facet == "sex")
    assert sex.confidence == line.confidence and sex.source_key == "cell line"


def test_a_lines_sex_stated_on_one_sample_of_a_study_holds_for_the_others(full_grounder):
    from harmonize.ground import line_sex

    # a line whose sex neither the packaged ontologies nor the listed sexes say
    samples = [({"cell line": "NCI-H2228", "sex": "male", "treatment": "none"}, None),
               ({"cell line": "NCI-H2228", "treatment": "drug A"}, None),
               ({"cell line": "NCI-H2228", "treatment": "drug B"}, None)]

    def sexes(studies):
        anns = full_grounder.annotate_many([(a, t, None) for a, t in samples], studies=studies)
        return [next((a.term_id for a in s if a.facet == "sex" and a.term_id), None)
                for s in anns]

    assert sexes(["S1"] * 3) == ["PATO:0000384"] * 3
    assert sexes(["S1", "S2", "S2"])[1:] == [None, None]  # never across studies
    original = line_sex.STATED_ON
    line_sex.STATED_ON = False
    try:
        assert sexes(["S1"] * 3)[1:] == [None, None]
    finally:
        line_sex.STATED_ON = original


@pytest.mark.slow
def test_a_lines_sex_says_where_it_was_read(full_grounder):
    from harmonize.ground.line_sex import source_said

    def kind(line):
        sex, = (a for a in full_grounder.annotate({"cell line": line}) if a.facet == "sex")
        return sex.candidates[0].match_kind

    assert kind("A549") == "line_sex_cellosaurus"       # the shipped list
    assert kind("K562 Cas9") == "line_sex_parent_cellosaurus"
    assert kind("C-4-II") == "line_sex_efo"              # EFO: a cervical carcinoma line
    assert "line_sexes.tsv" in source_said("line_sex_cellosaurus")
    assert source_said("exact") is None


@pytest.mark.parametrize(("line", "facet", "term", "source"), [
    ("A549", "sex", MALE, "line_sexes.tsv"),
    ("HepG2", "disease", "MONDO:0018666", "line_diseases.tsv"),  # a hepatoblastoma
])
def test_explain_says_where_a_lines_sex_or_disease_was_read(tmp_path, line, facet, term,
                                                             source):
    """`explain --in` names the shipped list a line's sex or disease was read from, in its
    JSON (``read_from``) and in words."""
    import json

    from click.testing import CliRunner

    from harmonize.cli import cli

    src = tmp_path / "s.jsonl"
    src.write_text(json.dumps({"accession": "L1", "series": "S1", "text": None,
                               "attributes": {"cell line": line, "treatment": "vehicle"}}))
    args = ["explain", "L1", "--facet", facet, "--in", str(src), "--no-embeddings"]
    got = CliRunner().invoke(cli, [*args, "--json"])
    assert got.exit_code == 0, got.output
    found, = json.loads(got.output)["annotations"]
    assert found["annotation"]["term_id"] == term
    assert "Cellosaurus" in found["read_from"] and source in found["read_from"]
    words = " ".join(CliRunner().invoke(cli, args).output.split())
    assert f"the line's {facet} was read from" in words
