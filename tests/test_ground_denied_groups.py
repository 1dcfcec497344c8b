"""A study's disease named by its controls' denial of it (rule ``denied_by_controls``)."""

from __future__ import annotations

import pytest

from harmonize.ground.denied_groups import denied_disease, denied_words

pytestmark = pytest.mark.slow

CF, HIV = "MONDO:0009061", "MONDO:0005109"


def _diseases(grounder, samples, study="S"):
    got = grounder.annotate_many([(attrs, text, None) for attrs, text in samples],
                                 studies=[study] * len(samples))
    return [next((a.term_id for a in anns if a.facet == "disease" and a.term_id), None)
            for anns in got]


def test_the_words_a_sample_denies(full_grounder):
    reader = full_grounder._groups
    said = denied_words(reader, {"donor": "non-CF sibling"}, "sputum smear hiv negative")
    assert set(said) == {"cf", "hiv"}
    assert said["hiv"] == ("text", "sputum smear hiv negative")
    assert denied_words(reader, {"group": "noncf"}, None) == {"cf": ("group", "noncf")}
    assert denied_words(reader, {"group": "nonsense words"}, None) == {}


def test_a_denied_word_names_one_disease_and_never_a_tumour(full_grounder):
    reader = full_grounder._groups
    assert denied_disease(reader, "cf", frozenset()) == CF
    assert denied_disease(reader, "tumour", frozenset()) is None  # a specimen's denial
    assert denied_disease(reader, "sibling", frozenset()) is None


def test_the_samples_beside_the_denying_controls_have_the_disease(full_grounder):
    samples = [({"cells": "bronchial epithelium cultured at an air interface"}, "non-CF donor 3"),
               ({"cells": "bronchial epithelium cultured at an air interface"}, "donor 7, modulator"),
               ({"cells": "bronchial epithelium cultured at an air interface"}, "donor 9, solvent")]
    assert _diseases(full_grounder, samples) == [None, CF, CF]
    got = full_grounder.annotate_many([(a, t, None) for a, t in samples], studies=["S"] * 3)
    (ann,) = [a for a in got[1] if a.facet == "disease"]
    assert ann.candidates[0].features.get("rule:denied_by_controls") == 1.0
    assert ann.source_text == "non-CF donor 3"
    # alone, or with no study, a sample says nothing of the disease
    assert _diseases(full_grounder, samples[1:]) == [None, None]
    plain = full_grounder.annotate_many([(a, t, None) for a, t in samples])
    assert [a.term_id for anns in plain for a in anns if a.facet == "disease"
            and a.term_id] == []


def test_a_study_that_names_its_disease_needs_no_denial(full_grounder):
    samples = [({"subject": "HIV-negative volunteer"}, None),
               ({"subject": "volunteer", "infection": "HIV-1"}, None),
               ({"subject": "volunteer"}, None)]
    got = _diseases(full_grounder, samples)
    assert got[2] is None  # the third sample is not given the infection the second names
    assert got[1] is not None and got[1] != "PATO:0000461"
