"""A cell line's disease from EFO's classes and description of the line."""

from __future__ import annotations

import pytest

from harmonize.ground import Grounder
from harmonize.ground.line_disease import LISTED_EVIDENCE, line_disease_texts
from harmonize.ontology.model import OntologyData, TermData


def _efo() -> OntologyData:
    terms = {
        "EFO:1": TermData("EFO:1", "primate cell line"),
        "EFO:2": TermData("EFO:2", "renal cancer cell line", ancestors={"EFO:1": 1}),
        "EFO:3": TermData("EFO:3", "Kid-9 cell", synonyms=[("KID 9", "unknown")],
                          ancestors={"EFO:2": 1, "EFO:1": 2},
                          definition="Human kidney tumour of clear cells, from a nephrectomy."),
        "EFO:4": TermData("EFO:4", "Twin-1", ancestors={"EFO:1": 1}),
        "EFO:5": TermData("EFO:5", "assay", ancestors={}),
    }
    return OntologyData("EFO", "test", "test", terms)


def _cvcl(*extra: tuple[str, str]) -> OntologyData:
    terms = {"CVCL:A1": TermData("CVCL:A1", "KID-9"), "CVCL:B1": TermData("CVCL:B1", "Twin-1")}
    terms.update({tid: TermData(tid, label) for tid, label in extra})
    return OntologyData("CVCL", "test", "test", terms)


def test_a_line_gets_its_classes_closest_first_and_its_description():
    words = line_disease_texts(_efo(), _cvcl())
    assert words["CVCL:A1"] == (("renal cancer", "primate"),
                                "Human kidney tumour of clear cells, from a nephrectomy.", ())
    assert "EFO:5" not in words and len(words) == 2


def test_a_line_keeps_the_classes_of_the_lines_derived_from_it():
    efo = _efo()
    efo.terms["EFO:6"] = TermData("EFO:6", "nephroblastoma cell line",
                                  ancestors={"EFO:2": 1, "EFO:1": 2})
    efo.terms["EFO:7"] = TermData("EFO:7", "Kid-9 subclone B",
                                  ancestors={"EFO:3": 1, "EFO:6": 1, "EFO:2": 2, "EFO:1": 3})
    words = line_disease_texts(efo, _cvcl())
    assert words["CVCL:A1"][2] == ("nephroblastoma",)  # the subclone's class, not its own
    assert words["CVCL:B1"][2] == ()


def test_a_name_two_cellosaurus_lines_share_gives_neither():
    words = line_disease_texts(_efo(), _cvcl(("CVCL:B2", "TWIN 1")))
    assert "CVCL:B1" not in words and "CVCL:B2" not in words
    assert "CVCL:A1" in words


@pytest.mark.slow
class TestFullLexicon:
    @pytest.fixture(scope="class")
    def full(self, full_grounder) -> Grounder:
        return full_grounder

    @pytest.fixture()
    def efo(self, full, monkeypatch) -> Grounder:
        """The full grounder reading only EFO's words of a line (no shipped list)."""
        monkeypatch.setattr(full.lexicon, "line_diseases", {})
        return full

    @staticmethod
    def _disease(full: Grounder, attrs: dict[str, str]) -> list[tuple[str | None, str]]:
        return [(a.term_id, a.status) for a in full.annotate(attrs) if a.facet == "disease"]

    def test_every_listed_line_and_disease_is_a_packaged_term_of_that_name(self):
        from harmonize.ground.rules import table
        from harmonize.ontology.snapshot import load_snapshot

        cvcl, mondo = load_snapshot("CVCL"), load_snapshot("MONDO")
        rows = table("line_diseases")
        assert len(rows) > 100
        assert len({r["line"] for r in rows}) == len(rows)
        for row in rows:
            assert cvcl.terms[row["line"]].label == row["name"], row
            assert mondo.terms[row["disease"]].label == row["label"], row

    def test_a_listed_line_has_the_disease_cellosaurus_records(self, full):
        # EFO says A549 is a lung cancer line and HepG2 a hepatocellular carcinoma's;
        # Cellosaurus: a lung adenocarcinoma and a hepatoblastoma
        assert self._disease(full, {"cell line": "A549"}) == [("MONDO:0005061", "accepted")]
        (hep, _), = self._disease(full, {"cell line": "HepG2"})
        assert full.lexicon.term(hep).label == "hepatoblastoma"
        # a derived line named after a listed one; the source is named for explain
        ann, = [a for a in full.annotate({"cell line": "A549-ACE2"}) if a.facet == "disease"]
        assert ann.term_id == "MONDO:0005061"
        assert ann.candidates[0].match_kind == "line_disease_cellosaurus"
        assert ann.confidence == full.prior_confidence(LISTED_EVIDENCE)

    def test_without_the_list_a_line_has_what_efo_says(self, efo):
        assert self._disease(efo, {"cell line": "A549"})[0][0] != "MONDO:0005061"

    def test_a_lines_disease_is_its_class_made_specific_by_its_description(self, efo):
        full = efo
        # MCF-7: EFO classes it a breast adenocarcinoma line; K562: the class is CML and the
        # description says the blast crisis (a narrower MONDO term)
        assert self._disease(full, {"cell line": "MCF-7"}) == [("MONDO:0004988", "needs_review")]
        (term, _), = self._disease(full, {"cell line": "K562"})
        assert full.lexicon.term(term).label.startswith("blast phase chronic myelogenous")

    def test_a_line_is_as_specific_as_the_lines_derived_from_it_agree(self, efo):
        full = efo
        # HeLa: EFO classes it a cervical carcinoma line, its sublines adenocarcinoma lines
        (term, _), = self._disease(full, {"cell line": "HeLa"})
        assert term == "MONDO:0005153"  # cervical adenocarcinoma

    def test_a_class_naming_two_diseases_defers_to_the_description(self, efo):
        full = efo
        # THP-1: 'lymphoma or leukaemia cell line'; the description names the leukemia
        (term, _), = self._disease(full, {"cell line": "THP-1"})
        assert term == "MONDO:0007896"  # the description's acute monocytic leukemia

    def test_a_derived_line_efo_does_not_know_has_its_parents_disease(self, efo):
        full = efo
        # Cellosaurus names derivatives '<parent> <tag>', '<parent>/<tag>': 'HeLa/GFP'
        (term, _), = self._disease(full, {"cell line": "HeLa-GFP"})
        assert term == self._disease(full, {"cell line": "HeLa"})[0][0]
        assert self._disease(full, {"cell line": "U-2 OS"}) == []  # 'U-2' is no parent

    def test_the_records_own_disease_or_health_wins(self, efo):
        full = efo
        said = self._disease(full, {"cell line": "MCF-7", "disease": "mammary carcinoma"})
        assert said == [("MONDO:0004989", "accepted")]
        assert self._disease(full, {"cell line": "MCF-7", "disease state": "normal"})[0][0] \
            == "PATO:0000461"

    def test_normal_and_generic_lines_get_none(self, efo):
        full = efo
        assert self._disease(full, {"cell line": "HEK293"}) == []  # a kidney-derived line
        assert self._disease(full, {"cell line": "GM12878"}) == []  # lymphoblastoid
        # classed as a normal line: its description's papilloma virus is no disease of it
        assert self._disease(full, {"cell line": "RWPE-1"}) == []

