"""A sex coded in a study's sample titles, and an age and a sex written as one code."""

from __future__ import annotations

import pytest

from harmonize.ground import fields, title_sex
from harmonize.ground.compose import rules_that_took
from harmonize.ground.fields import listed_pairs, load_field_keys
from harmonize.ground.title_sex import coded_sexes, title_of

FEMALE, MALE = "PATO:0000383", "PATO:0000384"


CELLS = {"source_name": "nasal epithelial cells, brushing"}
TITLED = [(CELLS, "NE-07-M\nBrushings of the inferior turbinate"),
          (CELLS, "NE-11-F\nBrushings of the inferior turbinate"),
          (CELLS, "NE-12-F\nBrushings of the inferior turbinate"),
          (CELLS, "NE-15-M\nBrushings of the inferior turbinate")]


def test_a_letter_coding_sex_in_every_title_gives_each_sample_its_sex(study_sexes):
    assert study_sexes(TITLED, ["S1"] * 4) == [MALE, FEMALE, FEMALE, MALE]


def test_a_title_sex_is_a_rule_reading_at_a_cautious_confidence(full_grounder):
    anns = full_grounder.annotate_many([(a, t, None) for a, t in TITLED], studies=["S1"] * 4)
    sex = next(a for a in anns[0] if a.facet == "sex")
    assert sex.method == "rule" and sex.source_text == "NE-07-M"
    assert rules_that_took(sex.candidates[0]) == ("title_sex_code",)
    assert sex.confidence < 0.95


def test_no_sex_from_titles_of_one_letter_too_few_or_contradicted(study_sexes):
    one = [(a, t.replace("-F\n", "-M\n")) for a, t in TITLED]
    assert study_sexes(one, ["S1"] * 4) == [None] * 4  # 'M' alone codes nothing
    assert study_sexes(TITLED[:3], ["S1"] * 3) == [None] * 3
    stated = TITLED[:3] + [({**CELLS, "sex": "female"}, TITLED[3][1])]
    assert study_sexes(stated, ["S1"] * 4) == [None, None, None, FEMALE]
    assert study_sexes(TITLED, ["S1", "S1", "S2", "S2"]) == [None] * 4
    assert study_sexes(TITLED, None) == [None] * 4  # no study known


def test_a_trio_code_is_not_a_sex():
    # mother, father and proband share the place: 'P' is no sex letter
    assert coded_sexes(["FAM1_M", "FAM1_F", "FAM1_P", "FAM2_M", "FAM2_F", "FAM2_P"]) is None


def test_two_places_that_disagree_say_nothing():
    assert coded_sexes(["M_x_F", "F_x_M", "M_y_F", "F_y_M"]) is None


def test_the_title_is_a_title_key_or_the_texts_first_short_line():
    assert title_of({"sample_title": " K9_F "}, "ignored") == "K9_F"
    assert title_of({}, "K9_F\nlong description") == "K9_F"
    assert title_of({}, "w " * 60) is None


def test_the_rule_switched_off_reads_no_title(study_sexes, monkeypatch):
    monkeypatch.setattr(title_sex, "ON", False)
    assert study_sexes(TITLED, ["S1"] * 4) == [None] * 4


@pytest.mark.parametrize(("key", "value", "pairs"), [
    ("age/sex", "58M", [("age", "58"), ("sex", "M")]),
    ("Sex/Age", "F 34y", [("Sex", "F"), ("Age", "34")]),
    ("patient", "66/M", [("patient", "66/M"), ("sex", "M"), ("age", "66")]),
    ("donor", "45 F", [("donor", "45 F"), ("sex", "F"), ("age", "45")]),
    ("patient", "M2", [("patient", "M2")]),  # a donor's number, not a 2-year-old boy
    ("patient", "12F", [("patient", "12F")]),
    ("treatment", "58M", [("treatment", "58M")]),
])
def test_an_age_and_a_sex_written_as_one_code(key, value, pairs):
    assert listed_pairs(key, value, load_field_keys()) == pairs


def test_a_patients_code_gives_the_sample_its_sex(full_grounder):
    anns = full_grounder.annotate({"tissue": "tongue", "patient": "47F"})
    assert [a.term_id for a in anns if a.facet == "sex"] == [FEMALE]


def test_the_code_rule_switched_off_reads_the_value_whole(monkeypatch):
    monkeypatch.setattr(fields, "_AGE_SEX_CODE", False)
    assert listed_pairs("patient", "66/M", load_field_keys()) == [("patient", "66/M")]
