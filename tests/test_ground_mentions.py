"""Disease mentions in bag-of-words text: misspelled long names, names inside an ancestor's name."""

from __future__ import annotations


import pytest

from harmonize.ground import build_lexicon
from harmonize.ground.lexicon import read_synonyms
from harmonize.ground.mentions import find_mentions, mention_candidates
from harmonize.ontology.model import OntologyData, TermData


def _ont(name: str, terms: list[TermData]) -> OntologyData:
    return OntologyData(name=name, version="test", origin="test", terms={t.id: t for t in terms})


@pytest.fixture(scope="module")
def lex():
    """Real MONDO ids, labels and synonyms of a few terms."""
    mondo = _ont("MONDO", [
        TermData("MONDO:0000001", "disease"),
        TermData("MONDO:0021042", "glioma", ancestors={"MONDO:0000001": 1}),
        TermData("MONDO:0016695", "oligodendroglioma", ancestors={"MONDO:0021042": 1,
                                                                  "MONDO:0000001": 2}),
        TermData("MONDO:0005258", "autism spectrum disorder", ancestors={"MONDO:0000001": 1}),
        TermData("MONDO:0005260", "autism", ancestors={"MONDO:0005258": 1, "MONDO:0000001": 2}),
        TermData("MONDO:0016226", "specific language disorder", [("dysphasia", "exact")],
                 ancestors={"MONDO:0000001": 1}),
    ])
    uberon = _ont("UBERON", [TermData("UBERON:0001062", "anatomical entity"),
                             TermData("UBERON:0000955", "brain",
                                      ancestors={"UBERON:0001062": 1})])
    return build_lexicon({"MONDO": mondo, "UBERON": uberon}, read_synonyms(), version="small")


def test_long_misspelled_disease_word_is_read_as_the_name(lex):
    found, _ = find_mentions(lex, "disease", "brain tumor oligodendrogliama grade ii male")
    assert [(m.term_id, m.kind) for m in found] == [("MONDO:0016695", "misspelled")]


def test_short_words_are_not_read_as_misspellings(lex):
    # 'dysplasia' is one letter from 'dysphasia' but a word of its own
    found, _ = find_mentions(lex, "disease", "marrow dysplasia mononuclear cell")
    assert found == []


def test_name_inside_its_ancestors_name_is_not_a_mention(lex):
    text = "whole blood child autism spectrum disorder asd general population"
    # 'autism' inside 'autism spectrum disorder' is no mention; 'asd' names the same disorder
    assert {m.term_id for m in find_mentions(lex, "disease", text)[0]} == {"MONDO:0005258"}
    # on its own, the more specific name still counts
    cands = mention_candidates(lex, "disease", text + " autism severity score")
    assert {c.term_id for c in cands} == {"MONDO:0005258", "MONDO:0005260"}


@pytest.mark.parametrize(("text", "start", "n", "negated"), [
    ("hiv negative donor", 0, 1, True),
    ("non diabetic islet", 1, 1, True),
    ("free of tumor", 2, 1, True),
    ("tumor free margin", 0, 1, True),
    ("hiv positive donor", 0, 1, False),
    ("non small cell lung cancer", 0, 5, False),        # the trigger is part of the name
    ("non muscle invasive bladder cancer", 3, 2, False),  # a trigger must touch the name
    ("ulcerative colitis excluded", 0, 2, False),        # may open the next sentence
    # 'no history of', 'no evidence of' with their function words dropped (bag of words)
    ("volunteer history gout", 2, 1, True),
    ("donor evidence nephritis", 2, 1, True),
    ("history of gout", 2, 1, False),                    # written out, it affirms
    ("twelve year history gout", 3, 1, False),           # a duration affirms
])
def test_negation_needs_a_touching_trigger(text, start, n, negated):
    from harmonize.ground.negation import is_negated

    assert is_negated(text.split(), start, n) is negated


def test_a_thing_of_a_place_is_also_named_in_sample_word_order():
    """CL's 'fibroblast of lung' is what a sample calls 'lung fibroblast'."""
    cl = _ont("CL", [TermData("CL:0000057", "fibroblast"),
                     TermData("CL:0002553", "fibroblast of lung",
                              ancestors={"CL:0000057": 1})])
    lex = build_lexicon({"CL": cl}, [], version="small")
    assert lex.lookup("cell_type", "lung fibroblast") == (("CL:0002553", "variant"),)
    found, _ = find_mentions(lex, "cell_type", "primary lung fibroblast sirna transfected")
    assert [m.term_id for m in found] == ["CL:0002553"]


def test_the_lexicon_version_follows_its_constants_and_data_not_comments(tmp_path,
                                                                          monkeypatch):
    """A cache is reused while the ontology releases, the curated synonyms and the explicit
    lexicon version stay the same; bumping the version or editing the synonyms rebuilds it."""
    import harmonize.ground.versions as versions
    from harmonize.ground import lexicon as L

    syn = tmp_path / "synonyms.tsv"
    syn.write_text("facet\ttext\tterm_id\tkind\tnote\n")
    before = L.lexicon_version("fp", syn)
    assert before == L.lexicon_version("fp", syn)
    assert L.lexicon_version("fp2", syn) != before  # another ontology release
    syn.write_text("facet\ttext\tterm_id\tkind\tnote\ntissue\tgut\tUBERON:0001555\tcurated\t\n")
    edited = L.lexicon_version("fp", syn)
    assert edited != before
    monkeypatch.setattr(versions, "LEXICON_VERSION", versions.LEXICON_VERSION + ".1")
    assert L.lexicon_version("fp", syn) != edited
