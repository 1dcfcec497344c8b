"""Misspelt words (rule respelt_words): which words are written right, and which are left alone."""

from __future__ import annotations

import pytest

from harmonize.ground.lexicon import Lexicon
from harmonize.ground.spelling import Speller, english_words, listed_words


def _lexicon(**names: list[str]) -> Lexicon:
    return Lexicon(version="test", ontology_versions={},
                   names={facet: {n: ((f"X:{i}", "label"),) for i, n in enumerate(ns)}
                          for facet, ns in names.items()},
                   compact_names={}, terms={})


@pytest.fixture
def speller() -> Speller:
    lex = _lexicon(disease=["hepatocellular adenoma", "tuberculosis", "addiction"],
                   tissue=["pancreas", "umbilical ring", "glomerulus", "glomeruli"],
                   cell_type=["fibroblast", "platelet"])
    return Speller(lex, more_words={"healthy", "volunteer", "addition", "cultured"})


@pytest.mark.parametrize(("word", "right"), [
    ("hepatocelular", "hepatocellular"),   # a letter left out
    ("tuberculsis", "tuberculosis"),
    ("heathy", "healthy"),                 # six letters: only a letter left out
    ("pancraes", "pancreas"),              # two letters swapped
    ("umbilicel", None),                   # changed in its last two letters: left alone
    ("umbelical", "umbilical"),            # a letter changed
    ("glomeruli", None),                   # known
    ("fibroblsts", "fibroblasts"),         # a plural
    ("glomerullii", None),                 # two edits
    ("pancreass", "pancreas"),             # a doubled last letter
])
def test_a_word_one_keystroke_from_one_known_word_is_that_word(speller, word, right):
    assert speller.correct(word) == right


@pytest.mark.parametrize("word", [
    "addition",      # a known word, though one letter from 'addiction'
    "cultured",      # known
    "ancreas",       # its first letter changed (left out): left alone
    "pancreasx",     # its last letter added: left alone
    "heathly",       # seven letters: a swap needs eight
    "tuberculosix",  # last letter
])
def test_known_short_and_edge_edited_words_are_left_alone(speller, word):
    assert speller.correct(word) is None


def test_respell_keeps_the_text_and_names_the_words_it_wrote_right(speller):
    assert speller.respell("Heathy volunter, PBMC") == ("Healthy volunteer, PBMC",
                                                       frozenset({"healthy", "volunteer"}))
    assert speller.respell("HEPATOCELULAR carcinoma") is None  # capitals: a code, left alone
    assert speller.respell("nothing here to fix") is None


def test_the_word_lists_and_the_model_vocabulary_are_known_words():
    listed = listed_words()
    assert {"volunteer", "donor", "control"} <= listed
    english = english_words()  # the embedding model's whole words, when the model is there
    assert not english or {"addition", "either", "reference"} <= english


def test_a_model_folder_without_a_vocabulary_leaves_only_the_names_known(tmp_path, monkeypatch):
    monkeypatch.setenv("HARMONIZE_EMBEDDING_MODEL", str(tmp_path))  # no vocab.txt there
    assert english_words() == frozenset()
    lex = _lexicon(disease=["tuberculosis"])
    assert Speller(lex, known_words=english_words()).correct("tuberculsis") == "tuberculosis"


def test_a_word_several_known_words_are_near_gives_a_reading_for_each():
    sp = Speller(_lexicon(tissue=["retinal pigment epithelium"]), more_words={"retinol"})
    assert sp.correct("retinl") is None  # not one word: no single correction
    assert sp.readings("retinl pigment epithelium") == [
        ("retinal pigment epithelium", frozenset({"retinal"})),
        ("retinol pigment epithelium", frozenset({"retinol"}))]
    assert sp.readings("Heathy") == []  # nothing near here



@pytest.mark.parametrize(("word", "right"), [
    ("pancreascultured", "pancreas cultured"),  # a hyphen dropped: two known words
    ("culturedfibroblast", "cultured fibroblast"),
    ("healthyvolunteer", None),                 # neither part a word of the names
    ("pancreasxyz", None),                      # a part no one knows
    ("fibroblastpancreas", "fibroblast pancreas"),
])
def test_two_known_words_run_together_are_read_apart(speller, word, right):
    assert speller.apart(word) == right
    assert speller.correct(word) is None  # no keystroke away from one known word


def test_a_word_that_runs_together_two_ways_is_left_alone():
    lex = _lexicon(tissue=["pancreas", "panc", "reasbone", "bone"])
    speller = Speller(lex)
    assert speller.apart("pancreasbone") is None  # panc reasbone, pancreas bone


@pytest.mark.parametrize("word", ["antipancreas", "pancreatopancreas", "fibroblastpin"])
def test_a_prefix_a_combining_form_or_a_short_second_part_makes_one_word(word):
    lex = _lexicon(tissue=["pancreas", "pancreato", "fibroblast", "pin"])
    assert Speller(lex, more_words={"anti"}).apart(word) is None


def test_respell_reads_a_run_together_word_as_its_parts(speller):
    assert speller.respell("whole pancreascultured cells") is None  # only when asked
    out = speller.respell("whole pancreascultured cells", apart=True)
    assert out == ("whole pancreas cultured cells", frozenset({"pancreas", "cultured"}))
