"""Term ids of the curated lists checked against the loaded ontologies
(harmonize.ground.listed_ids)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from harmonize.ground.listed_ids import listed_files, unknown_ids
from harmonize.ontology.model import OntologyData, TermData

DATA = Path(__file__).parent / "data" / "ontologies"


def _ontology(name: str, *terms: TermData) -> OntologyData:
    return OntologyData(name, "2099-01-01", "test", {t.id: t for t in terms})


ONTOLOGIES = {"MONDO": _ontology(
    "MONDO", TermData("MONDO:1000001", "mock rash"),
    TermData("MONDO:1000002", "old mock rash", obsolete=True, replaced_by="MONDO:1000001"),
    TermData("MONDO:1000003", "withdrawn mock rash", obsolete=True))}


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_mistyped_id_is_reported_with_its_file_and_line(tmp_path):
    path = _write(tmp_path, "abbreviations.tsv",
                  "# a comment line\nabbreviation\tterm_id\treason\n"
                  "mr\tMONDO:1000001\tright\nmx\tMONDO:1000009\tmistyped\n")
    (problem,) = unknown_ids(ONTOLOGIES, [path])
    assert problem.startswith(f"{path}: line 4: term_id MONDO:1000009 is no MONDO term")
    assert "correct the id or remove the row" in problem


def test_an_obsolete_id_is_reported_with_its_replacement(tmp_path):
    path = _write(tmp_path, "synonyms.tsv", "facet\ttext\tterm_id\n"
                  "disease\tmock itch\tMONDO:1000002\ndisease\tmock scab\tMONDO:1000003\n")
    problems = unknown_ids(ONTOLOGIES, [path])
    assert len(problems) == 2
    assert "line 2: term_id MONDO:1000002 is obsolete" in problems[0]
    assert problems[0].endswith("write MONDO:1000001 instead")
    assert problems[1].endswith("remove the row")


def test_an_obsolete_id_may_be_left_out(tmp_path):
    # a list of terms to leave out may name a term an older release still has
    path = _write(tmp_path, "not_a_term.tsv", "term_id\tfacet\treason\n"
                  "MONDO:1000003\tdisease\tno disease\nMONDO:1000008\tdisease\tmistyped\n")
    (problem,) = unknown_ids(ONTOLOGIES, [path])
    assert "MONDO:1000008" in problem


def test_prose_and_ontologies_not_loaded_are_passed_over(tmp_path):
    path = _write(tmp_path, "words.tsv", "word\tterm_id\treason\n"
                  "rash\tUBERON:9999999\tnot loaded: cannot be checked\n"
                  "itch\tMONDO:1000001\tas MONDO:1000009 once was\n")
    assert unknown_ids(ONTOLOGIES, [path]) == []


def test_the_lexicon_build_warns_of_a_mistyped_synonym(tmp_path, monkeypatch, caplog):
    from harmonize.ground.lexicon import load_lexicon

    (tmp_path / "mondo.obo").write_bytes((DATA / "mini_mondo.obo").read_bytes())
    manifest = _write(tmp_path, "manifest.toml", '[facets]\ndisease = ["MONDO"]\n\n'
                      '[ontologies.MONDO]\nsource = "obo"\npath = "mondo.obo"\n'
                      'url = "https://example.org/mondo.obo"\n')
    monkeypatch.setenv("HARMONIZE_ONTOLOGY_MANIFEST", str(manifest))
    synonyms = _write(tmp_path, "synonyms.tsv", "facet\ttext\tterm_id\tkind\n"
                      "disease\tsugar sickness\tMONDO:0005015\tcurated\n"
                      "disease\tsugar illness\tMONDO:0005051\tcurated\n")
    with caplog.at_level(logging.WARNING, logger="harmonize.ground.lexicon"):
        lex = load_lexicon(directory=tmp_path / "cache", synonyms_path=synonyms)
    said = [r.getMessage() for r in caplog.records if str(synonyms) in r.getMessage()]
    assert said == [(f"{synonyms}: line 3: term_id MONDO:0005051 is no MONDO term "
                    "(release 2099-02-02); correct the id or remove the row")]
    assert lex.lookup("disease", "sugar sickness")[0][0] == "MONDO:0005015"


@pytest.mark.slow
def test_every_listed_id_is_a_current_term_of_the_packaged_ontologies():
    from harmonize.ground.sources import load_ontologies

    files = listed_files()
    ontologies = load_ontologies()
    assert unknown_ids(ontologies, files) == []
    # the check reads the ids of every list: against empty ontologies each one is unknown
    empty = {name: _ontology(name) for name in ontologies}
    read = unknown_ids(empty, files)
    assert len(read) > 1000
    assert {Path(m.split(":")[0]).name for m in read} >= {
        "synonyms.tsv", "organ_abbreviations.tsv", "line_sexes.tsv", "assay_rules.tsv"}
