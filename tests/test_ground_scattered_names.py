"""A part of an organ named in words set apart: a name whose words all stand in the text,
read when it is narrower than a term the text names itself (rule ``scattered_names``)."""

from __future__ import annotations

import pytest

from harmonize.ground import Grounder, load_lexicon, load_overrides
from harmonize.ground import mentions
from harmonize.ground.mentions import scatter_index, scattered_names


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False)


def _tissue(grounder, attributes, text=None):
    anns = grounder.annotate(attributes, text)
    return next((a.term_label for a in anns if a.facet == "tissue" and a.term_id), None)


@pytest.mark.parametrize(("attributes", "text", "label"), [
    ({"source_name": "skin, left upper arm"}, None, "upper arm skin"),
    ({"tissue": "lymph node, inguinal"}, None, "inguinal lymph node"),
    ({"tissue": "kidney, medulla"}, None, "renal medulla"),
    ({"source_name": "thyroid gland, left lobe"}, None, "left lobe of thyroid gland"),
])
def test_a_narrower_name_in_words_set_apart_is_read(grounder, attributes, text, label):
    assert _tissue(grounder, attributes, text) == label


def test_words_that_name_nothing_the_value_names_are_not_a_name(grounder):
    # 'upper arm' stands here, but no skin: the upper arm skin is below nothing named
    assert _tissue(grounder, {"source_name": "venous blood, upper arm"}) == "blood"


def test_a_bag_of_words_is_left_to_the_ranking(grounder):
    assert _tissue(grounder, {}, "sentinel lymph node lymph node inguinal melanoma") \
        == "lymph node"


def test_a_name_written_together_is_a_mention_not_a_scattered_name():
    index = scatter_index(load_lexicon(), "tissue")
    assert "inguinal lymph node" not in scattered_names(index, "inguinal lymph node")
    assert "inguinal lymph node" in scattered_names(index, "lymph node inguinal")


def test_the_rule_switched_off_keeps_the_broader_term(monkeypatch):
    value = {"source_name": "skin sample, upper arm region"}
    fresh = Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False)
    assert _tissue(fresh, value) == "upper arm skin"
    monkeypatch.setitem(mentions._ON, "scattered_names", False)
    fresh = Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False)
    assert _tissue(fresh, value) == "skin of body"
