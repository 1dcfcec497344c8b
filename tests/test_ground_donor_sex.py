"""One person, one sex: a donor's sex shared by the donor's samples in one study."""

from __future__ import annotations

import pytest

from harmonize.ground import Grounder, load_lexicon, load_overrides
from harmonize.ground import donor_sex
from harmonize.ground.donor_sex import donor_key

FEMALE, MALE = "PATO:0000383", "PATO:0000384"


@pytest.fixture(scope="module")
def grounder() -> Grounder:
    return Grounder(load_lexicon(), overrides=load_overrides(), use_embeddings=False)


def _sexes(grounder, samples, studies):
    anns = grounder.annotate_many([(a, t, None) for a, t in samples], studies=studies)
    return [next((a.term_id for a in s if a.facet == "sex" and a.term_id), None) for s in anns]


SAMPLES = [
    ({"source_name": "dermal fibroblast culture", "individual": "D7"},
     "Fibroblasts from a forearm biopsy of a 61-year-old woman"),
    ({"source_name": "iPSC clone 2", "individual": "D7"}, None),
    ({"source_name": "iPSC-derived cortical neurons", "individual": "D7"}, None),
    ({"source_name": "iPSC-derived cortical neurons", "individual": "D9"}, None),
]


def test_the_donors_other_samples_give_a_sample_its_sex(grounder):
    assert _sexes(grounder, SAMPLES, ["S1"] * 4) == [FEMALE, FEMALE, FEMALE, None]


def test_no_sex_is_taken_across_studies_or_from_a_donor_of_two(grounder):
    assert _sexes(grounder, SAMPLES, ["S1", "S2", "S2", "S2"])[1:] == [None, None, None]
    mixed = SAMPLES[:3] + [({"individual": "D7"}, "a 40-year-old man")]
    assert _sexes(grounder, mixed, ["S1"] * 4)[1:3] == [None, None]
    assert _sexes(grounder, SAMPLES, None)[1:] == [None, None, None]  # no study known


def test_the_rule_switched_off_shares_nothing(grounder, monkeypatch):
    monkeypatch.setattr(donor_sex, "ON", False)
    assert _sexes(grounder, SAMPLES, ["S1"] * 4)[1:] == [None, None, None]


@pytest.mark.parametrize(("key", "names_donor"), [
    ("individual", True), ("participant id", True), ("Subject_ID", True), ("donor", True),
    ("sample id", False), ("cell line", False), ("patient age", False)])
def test_keys_naming_the_person_sampled(key, names_donor):
    assert donor_key(key) is names_donor
