"""Normalization: the lookup form every matcher and the lexicon share."""

from __future__ import annotations

import pytest

from harmonize.ground.normalize import (
    compact,
    is_null,
    normalize,
    singular,
    strip_noise,
    tokens,
    variants,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Liver", "liver"),
    ("  Peripheral   Blood Mononuclear Cells (PBMCs) ", "peripheral blood mononuclear cell pbmc"),
    ("CD4+ T-cells", "cd4+ t cell"),
    ("TNF-α treated", "tnf alpha treated"),
    ("IL-1β", "il 1 beta"),
    ("µ-opioid", "mu opioid"),
    ("Testis", "testis"),
    ("arteries", "artery"),
    ("Crohn's disease", "crohn s disease"),
    ("naïve B cells", "naive b cell"),
    ("lung_adenocarcinoma", "lung adenocarcinoma"),
    ("prefrontal cortices", "prefrontal cortex"),  # Latin and Greek plurals
    ("Glomeruli", "glomerulus"),
    ("corneal epithelia", "corneal epithelium"),
    ("testes", "testis"),
    ("alveolar type II cells", "alveolar type 2 cell"),  # Roman numerals after type/grade
    ("grade III glioma", "grade 3 glioma"),
    ("iPSC-CMs", "ipsc cm"),  # plural of a short acronym
    ("DCs", "dc"),
    ("AIDS", "aids"),  # a capital S is part of the acronym
    ("Haematopoietic stem cells", "hematopoietic stem cell"),  # British spellings
    ("acute myeloid leukaemia", "acute myeloid leukemia"),
    ("oesophageal tumours", "esophageal tumor"),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("word", ["testis", "pancreas", "diabetes", "sepsis", "colitis", "uterus"])
def test_singular_keeps_latin_and_disease_words(word):
    assert singular(word) == word


@pytest.mark.parametrize(("a", "b"), [("HEK 293", "hek-293"), ("HEK293", "hek 293"),
                                      ("RS4;11", "rs4-11"), ("MDA-MB-231", "mda mb 231")])
def test_compact_ignores_separators(a, b):
    assert compact(a) == compact(b)


@pytest.mark.parametrize("value", ["N/A", "NA", "missing", "not applicable", "unknown", "none",
                                   "not collected", "-", "?", "", "  ", "Not Applicable",
                                   "missing: not provided"])
def test_null_values(value):
    assert is_null(value)


@pytest.mark.parametrize("value", ["liver", "normal", "control", "NASH", "T cell"])
def test_real_values_are_not_null(value):
    assert not is_null(value)


def test_noise_words_only_in_a_second_variant():
    assert variants("Liver tissue") == ["liver tissue", "liver"]
    assert variants("liver") == ["liver"]
    assert strip_noise("tissue") == "tissue"


def test_marker_positivity_is_written_one_way():
    assert normalize("CD14-positive monocyte") == normalize("CD14+ monocytes") == "cd14+ monocyte"
    assert normalize("positive control") == "positive control"


@pytest.mark.slow
def test_every_spelling_rewrite_is_attested_by_an_ontology():
    """Each British -> American rewrite of spellings.tsv is the difference between its example
    words, and one term of the named ontology has both among its label and synonyms."""
    from harmonize.ground.normalize import fold
    from harmonize.ground.rules import table
    from harmonize.ontology.snapshot import load_snapshot

    loaded: dict = {}
    unattested = []
    for row in table("spellings"):
        british, american = row["example"].split("/")
        assert british.replace(row["british"], row["american"]) == american, row
        data = loaded.setdefault(row["ontology"], load_snapshot(row["ontology"]))
        found = any(
            any(british in fold(n).split() for n in names) and any(american in fold(n).split() for n in names)
            for names in ([t.label, *(s for s, _ in t.synonyms)] for t in data.terms.values()))
        if not found:
            unattested.append(row["example"])
    assert unattested == []


@pytest.mark.parametrize("name", ["keep_s", "anatomy_adjectives", "disease_context",
                                  "disease_heads", "culture_reagents", "cell_nouns"])
def test_word_lists_read_against_tokens_hold_no_british_spelling(name):
    """These lists are compared with :func:`tokens`, which writes British spellings the
    American way: a British entry there could never match (its American twin does)."""
    from harmonize.ground.normalize import american
    from harmonize.ground.rules import table

    rows = table(name)
    first = next(iter(rows[0]))
    assert [w for r in rows for w in r[first].split() if american(w) != w] == []


def test_british_words_of_the_lists_are_read_as_their_american_twins():
    from harmonize.ground.mentions import noun_phrasings

    assert tokens("oesophagus") == ["esophagus"]  # a singular ending in -s, kept
    assert noun_phrasings("oesophageal fibroblasts") == noun_phrasings("esophageal fibroblasts")
